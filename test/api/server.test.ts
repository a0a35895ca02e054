import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { writeFileSync } from 'node:fs';
import { startTestService, tempDir } from '../helpers/service';
import { tinyCheckpoint } from '../helpers/checkpoints';
import { serveProcess } from '../helpers/serve-process';
import { importRoot } from '../../src/config/paths';
import { loadConfig } from '../../src/config/load-config';
import { clients, call } from '../helpers/clients';
import { InferenceServiceClient } from '../../src/api/generated/cxr/v1/inference_service';
import { HealthCheckResponse_ServingStatus } from '../../src/api/generated/grpc/health/v1/health';

const root = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);
let svc: Awaited<ReturnType<typeof startTestService>>;
let c: ReturnType<typeof clients>;

before(async () => {
  svc = await startTestService({ 'grpc.maxReceiveMessageBytes': 4 * 1024 * 1024 });
  c = clients(svc.address);
});
after(async () => {
  c.close();
  await svc.cleanup();
});

test('health Check answers SERVING for the server and each service', async () => {
  const all = await call(c.health.check.bind(c.health), { service: '' });
  assert.equal(all.status, HealthCheckResponse_ServingStatus.SERVING);
  const one = await call(c.health.check.bind(c.health), { service: 'cxr.v1.InferenceService' });
  assert.equal(one.status, HealthCheckResponse_ServingStatus.SERVING);
  await assert.rejects(call(c.health.check.bind(c.health), { service: 'no.such.Service' }), { code: grpc.status.NOT_FOUND });
});

test('health Watch streams the current status, then changes', async () => {
  const stream = c.health.watch({ service: 'cxr.v1.ModelService' });
  const seen: number[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (m: { status: number }) => {
      seen.push(m.status);
      if (seen.length === 1) svc.grpc.health.setStatus('cxr.v1.ModelService', 'NOT_SERVING');
      if (seen.length === 2) resolve();
    });
    stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
  });
  stream.cancel();
  svc.grpc.health.setStatus('cxr.v1.ModelService', 'SERVING');
  assert.deepEqual(seen, [HealthCheckResponse_ServingStatus.SERVING, HealthCheckResponse_ServingStatus.NOT_SERVING]);
});

test('an unknown method gets UNIMPLEMENTED', async () => {
  const client = new grpc.Client(svc.address, grpc.credentials.createInsecure());
  const err = await new Promise<grpc.ServiceError>((resolve) =>
    client.makeUnaryRequest('/cxr.v1.ModelService/NoSuchMethod', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), (e) => resolve(e!)),
  );
  client.close();
  assert.equal(err.code, grpc.status.UNIMPLEMENTED);
});

test('a message over the receive limit gets RESOURCE_EXHAUSTED', async () => {
  const own = new InferenceServiceClient(svc.address, grpc.credentials.createInsecure());
  const big = Buffer.alloc(5 * 1024 * 1024);
  await assert.rejects(
    call(own.predict.bind(own), { modelName: 'x', modelVersion: '', images: [{ id: 'a', data: big, mediaType: 2 }] }),
    { code: grpc.status.RESOURCE_EXHAUSTED },
  );
  own.close();
});

test('field errors carry google.rpc.BadRequest in grpc-status-details-bin', async () => {
  const err = (await call(c.models.getModel.bind(c.models), { name: '' }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
  assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
  const [bin] = err.metadata.get('grpc-status-details-bin') as Buffer[];
  assert.ok(bin, 'details trailer present');
  const status = new BinaryReader(bin);
  const fields: Record<number, unknown> = {};
  while (status.pos < status.len) {
    const [no, wt] = status.tag();
    if (no === 1) fields[1] = status.int32();
    else if (no === 2) fields[2] = status.string();
    else if (no === 3) fields[3] = status.bytes();
    else status.skip(wt);
  }
  assert.equal(fields[1], grpc.status.INVALID_ARGUMENT);
  const any = new BinaryReader(fields[3] as Uint8Array);
  any.tag();
  assert.equal(any.string(), 'type.googleapis.com/google.rpc.BadRequest');
  any.tag();
  const text = Buffer.from(any.bytes()).toString('latin1');
  assert.match(text, /name/);
});

test('NOT_FOUND for a model that does not exist; ListModels on an empty store', async () => {
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: 'nope' }), { code: grpc.status.NOT_FOUND });
  assert.deepEqual((await call(c.models.listModels.bind(c.models), {})).models, []);
});

/** buf curl runs asynchronously: the server answering it lives in this process's event loop. */
async function bufCurl(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const buf = join(root, 'node_modules', '.bin', 'buf');
  try {
    const r = await execFileAsync(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], { encoding: 'utf8' });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { status: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('reflection lists every service and resolves their files (buf curl, an independent client)', async () => {
  const list = await bufCurl('--list-services', `http://${svc.address}`);
  assert.equal(list.status, 0, list.stderr);
  for (const s of ['cxr.v1.ModelService', 'cxr.v1.InferenceService', 'cxr.v1.TrainingService', 'cxr.v1.EvaluationService', 'inference.GRPCInferenceService', 'grpc.health.v1.Health']) {
    assert.ok(list.stdout.includes(s), `reflection lists ${s}`);
  }
  const health = await bufCurl(`http://${svc.address}/grpc.health.v1.Health/Check`);
  assert.equal(health.status, 0, health.stderr);
  assert.equal(JSON.parse(health.stdout).status, 'SERVING');
  const models = await bufCurl(`http://${svc.address}/cxr.v1.ModelService/ListModels`);
  assert.equal(models.status, 0, models.stderr);
  assert.deepEqual(JSON.parse(models.stdout), {});
  const meta = await bufCurl(`http://${svc.address}/inference.GRPCInferenceService/ServerMetadata`);
  assert.equal(JSON.parse(meta.stdout).name, 'cxr-vit');
});

test('bad configuration fails fast with a message naming the key', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve'], {
    env: { ...process.env, CXR_GRPC_PORT: 'fifty', CXR_DATA_DIR: join(root, 'tmp', 'never-created') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /CXR_GRPC_PORT \(grpc\.port\)/);
});

test('the inference services say SERVING (health, KServe ServerReady) only once the serving versions are loaded', async () => {
  // A data directory that already holds a model: its serving version loads at start.
  const d = tempDir();
  writeFileSync(join(importRoot(loadConfig({ env: {}, overrides: { 'data.dir': d.path } })), 'tiny.safetensors'), tinyCheckpoint(3));
  let server = await serveProcess(d.path);
  let cl = clients(server.address);
  await call(cl.models.importModel.bind(cl.models), {
    name: 'tiny', source: { $case: 'path', value: 'tiny.safetensors' }, initKind: 4, labels: ['a', 'b', 'c'],
    preprocessing: '', imageSize: 0, architecture: '', keepHead: true, pooling: '', interpolation: '', description: '', serve: true, seed: 0,
  });
  cl.close();
  server.proc.kill('SIGTERM');
  await server.exited;
  server = await serveProcess(d.path);
  cl = clients(server.address);
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      // Readiness and health flip together, in one tick, once warm-up is done; until then a call
      // for the model would wait for its load.
      const r = await call(cl.kserve.serverReady.bind(cl.kserve), {});
      if (r.ready) {
        assert.equal((await call(cl.health.check.bind(cl.health), { service: 'inference.GRPCInferenceService' })).status, HealthCheckResponse_ServingStatus.SERVING);
        assert.equal((await call(cl.kserve.modelReady.bind(cl.kserve), { name: 'tiny', version: '' })).ready, true, 'the serving version is loaded when the server says ready');
        break;
      }
      assert.notEqual((await call(cl.health.check.bind(cl.health), { service: 'inference.GRPCInferenceService' })).status, undefined);
      assert.ok(Date.now() < deadline, 'became ready');
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    cl.close();
    server.proc.kill('SIGTERM');
    await server.exited;
    d.cleanup();
  }
});
