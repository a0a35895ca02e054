import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { startTestService, tempDir } from '../helpers/service';
import { clients, call } from '../helpers/clients';
import { tinyCheckpoint } from '../helpers/checkpoints';
import { InitKind } from '../../src/api/generated/cxr/v1/common';
import { ModelVersionState } from '../../src/api/generated/cxr/v1/model_service';
import { importRoot } from '../../src/config/paths';

let svc: Awaited<ReturnType<typeof startTestService>>;
let c: ReturnType<typeof clients>;
let hub: Server;
const outside = tempDir('cxr-outside-');
const hubFile = tinyCheckpoint(3, 7);

before(async () => {
  // A local stand-in for a model hub, serving generated files in the Hugging Face URL layout.
  hub = createServer((req, res) => {
    if (req.url === '/acme/tiny-vit/resolve/main/model.safetensors') {
      res.writeHead(200, { 'content-length': String(hubFile.length) });
      res.end(hubFile);
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
  svc = await startTestService({ 'hub.endpoint': `http://127.0.0.1:${(hub.address() as AddressInfo).port}` });
  c = clients(svc.address);
  const root = importRoot(svc.config);
  writeFileSync(join(root, 'tiny.safetensors'), tinyCheckpoint(3));
  writeFileSync(join(root, 'corrupt.safetensors'), tinyCheckpoint(3).subarray(0, 200));
  writeFileSync(join(outside.path, 'secret.safetensors'), tinyCheckpoint(3));
  mkdirSync(join(root, 'links'));
  symlinkSync(join(outside.path, 'secret.safetensors'), join(root, 'links', 'escape.safetensors'));
});
after(async () => {
  c.close();
  await svc.cleanup();
  hub.close();
  outside.cleanup();
});

const base = { initKind: InitKind.INIT_KIND_RANDOM, labels: ['Effusion', 'Edema', 'Cardiomegaly'], preprocessing: '', imageSize: 0, architecture: '', keepHead: true, pooling: '', interpolation: '', description: '', serve: false, seed: 0 };
const importModel = (req: object) => call(c.models.importModel.bind(c.models), { name: 'tiny', ...base, ...req } as never);

test('ImportModel registers a READY version from a file under the import root', async () => {
  const res = await importModel({ source: { $case: 'path', value: 'tiny.safetensors' } });
  assert.equal(res.version?.state, ModelVersionState.MODEL_VERSION_STATE_READY);
  assert.equal(res.version?.version, '1');
  assert.deepEqual(res.version?.labels, base.labels);
  assert.equal(res.version?.provenance?.checkpointFormat, 'safetensors/canonical');
  assert.match(res.version?.provenance?.sha256 ?? '', /^[0-9a-f]{64}$/);
  const got = await call(c.models.getModel.bind(c.models), { name: 'tiny' });
  assert.equal(got.model?.servingVersion, '1');
});

test('ImportModel from a hub downloads only the named repo file (local hub server)', async () => {
  const res = await importModel({ name: 'from-hub', source: { $case: 'hub', value: { repo: 'acme/tiny-vit', revision: '', filename: '' } } });
  assert.equal(res.version?.state, ModelVersionState.MODEL_VERSION_STATE_READY);
  assert.match(res.version?.provenance?.source ?? '', /acme\/tiny-vit\/resolve\/main\/model\.safetensors/);
  await assert.rejects(importModel({ name: 'missing', source: { $case: 'hub', value: { repo: 'acme/nope', revision: '', filename: '' } } }), { code: grpc.status.NOT_FOUND });
});

test('paths outside the import root are rejected, symlinks included, and nothing is registered', async () => {
  for (const p of ['../outside.safetensors', join(outside.path, 'secret.safetensors'), 'links/escape.safetensors', 'no-such-file.safetensors']) {
    await assert.rejects(importModel({ name: 'bad', source: { $case: 'path', value: p } }), { code: grpc.status.INVALID_ARGUMENT }, p);
  }
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: 'bad' }), { code: grpc.status.NOT_FOUND });
});

test('a truncated checkpoint gets INVALID_ARGUMENT and leaves no version, file or staging directory', async () => {
  const err = (await importModel({ name: 'broken', source: { $case: 'path', value: 'corrupt.safetensors' } }).catch((e) => e)) as grpc.ServiceError;
  assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
  assert.match(err.details, /safetensors|truncated|header/i);
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: 'broken' }), { code: grpc.status.NOT_FOUND });
  assert.deepEqual(readdirSync(join(svc.store.dataDir, 'staging')), []);
  assert.ok(!readdirSync(join(svc.store.dataDir, 'models')).includes('broken'));
});

test('request validation: missing source, unknown preset or architecture, bad name', async () => {
  await assert.rejects(importModel({ source: undefined }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(importModel({ source: { $case: 'path', value: 'tiny.safetensors' }, preprocessing: 'nope' }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(importModel({ source: { $case: 'path', value: 'tiny.safetensors' }, architecture: 'vit-huge' }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(importModel({ name: '../evil', source: { $case: 'path', value: 'tiny.safetensors' } }), { code: grpc.status.INVALID_ARGUMENT });
});

test('SetServingVersion promotes; the serving version cannot be deleted alone; DeleteModel removes all', async () => {
  await importModel({ source: { $case: 'path', value: 'tiny.safetensors' } });
  const promoted = await call(c.models.setServingVersion.bind(c.models), { name: 'tiny', version: '2' });
  assert.equal(promoted.model?.servingVersion, '2');
  await assert.rejects(call(c.models.deleteModel.bind(c.models), { name: 'tiny', version: '2' }), { code: grpc.status.FAILED_PRECONDITION });
  await call(c.models.deleteModel.bind(c.models), { name: 'tiny', version: '1' });
  assert.deepEqual((await call(c.models.getModel.bind(c.models), { name: 'tiny' })).model?.versions.map((v) => v.version), ['2']);
  await call(c.models.deleteModel.bind(c.models), { name: 'tiny', version: '' });
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: 'tiny' }), { code: grpc.status.NOT_FOUND });
});

test('cxr import (CLI) imports through the running server', async () => {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'src/cli/main.ts'), 'import', '--server', svc.address, '--name', 'cli-model',
      '--path', 'tiny.safetensors', '--init', 'random', '--labels', 'a,b,c'], (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr })),
  );
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /imported cli-model version 1/);
});
