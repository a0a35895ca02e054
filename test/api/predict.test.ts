import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import sharp from 'sharp';
import { startTestService } from '../helpers/service';
import { clients, call } from '../helpers/clients';
import { registerTiny, imageTensor, tensorBytes, LABELS } from '../runtime/runtime-fixtures';
import { MediaType, type PredictStreamResponse } from '../../src/api/generated/cxr/v1/inference_service';
import { InferTensorContents, type ModelInferResponse, type ModelStreamInferResponse } from '../../src/api/generated/inference/grpc_predict_v2';

let svc: Awaited<ReturnType<typeof startTestService>>;
let c: ReturnType<typeof clients>;
let png: Buffer;
const S = 16;

before(async () => {
  svc = await startTestService({ 'runtime.workers': 2, 'batching.maxBatchSize': 8, 'batching.maxQueueDelayMs': 5 });
  registerTiny(svc.store, 'tiny', { seed: 3, operatingPoints: [{ label: 'Effusion', threshold: 0.5, sensitivity: 0.8, specificity: 0.7 }] });
  const grey = Buffer.alloc(40 * 32);
  for (let i = 0; i < grey.length; i++) grey[i] = (i * 37) % 251;
  png = await sharp(grey, { raw: { width: 40, height: 32, channels: 1 } }).png().toBuffer();
  c = clients(svc.address);
});
after(async () => {
  c.close();
  await svc.cleanup();
});

const predict = (images: { id: string; data: Uint8Array; mediaType: MediaType }[], extra: object = {}) =>
  call(c.inference.predict.bind(c.inference), { modelName: 'tiny', modelVersion: '', images, ...extra } as never);

test('Predict: a PNG gives one probability per label, decisions at stored operating points, timings', async () => {
  const res = await predict([{ id: 'img-1', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }]);
  assert.equal(res.modelName, 'tiny');
  assert.equal(res.modelVersion, '1');
  const r = res.results[0]!;
  assert.equal(r.id, 'img-1');
  assert.deepEqual(r.scores.map((s) => s.label), LABELS);
  for (const s of r.scores) assert.ok(s.probability > 0 && s.probability < 1);
  const eff = r.scores.find((s) => s.label === 'Effusion')!;
  assert.equal(eff.threshold, 0.5);
  assert.equal(eff.positive, eff.probability >= 0.5);
  assert.equal(r.scores.find((s) => s.label === 'Atelectasis')!.positive, undefined);
  assert.ok(r.timing!.totalMs > 0 && r.timing!.batchSize >= 1);
});

test('concurrent clients get exactly what a lone request gets, and batches form', async () => {
  const tensors = Array.from({ length: 12 }, (_, i) => tensorBytes(imageTensor(i + 1, S)));
  const lone = await Promise.all(tensors.slice(0, 3).map(async (t) => (await predict([{ id: 'x', data: t, mediaType: MediaType.MEDIA_TYPE_TENSOR }])).results[0]!));
  const many = await Promise.all(
    Array.from({ length: 36 }, (_, k) => predict([{ id: String(k), data: tensors[k % 3]!, mediaType: MediaType.MEDIA_TYPE_TENSOR }])),
  );
  let batched = 0;
  many.forEach((res, k) => {
    const r = res.results[0]!;
    assert.deepEqual(r.scores.map((s) => s.probability), lone[k % 3]!.scores.map((s) => s.probability));
    if (r.timing!.batchSize > 1) batched++;
  });
  assert.ok(batched > 0, 'some requests were computed in batches larger than one');
  // One request with several images batches them together too.
  const multi = await predict(tensors.slice(0, 8).map((t, i) => ({ id: `m${i}`, data: t, mediaType: MediaType.MEDIA_TYPE_TENSOR })));
  assert.deepEqual(multi.results.map((r) => r.id), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  assert.ok(multi.results.some((r) => r.timing!.batchSize > 1));
});

test('bad input gets a clear status, never a crash', async () => {
  const cases: [object, grpc.status, RegExp][] = [
    [{ images: [{ id: 'a', data: Buffer.from('not an image at all'), mediaType: MediaType.MEDIA_TYPE_AUTO }] }, grpc.status.INVALID_ARGUMENT, /images\[0\]/],
    [{ images: [{ id: 'a', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), mediaType: MediaType.MEDIA_TYPE_PNG }] }, grpc.status.INVALID_ARGUMENT, /images\[0\]/],
    [{ images: [{ id: 'a', data: Buffer.alloc(10), mediaType: MediaType.MEDIA_TYPE_TENSOR }] }, grpc.status.INVALID_ARGUMENT, /images\[0\]/],
    [{ images: [] }, grpc.status.INVALID_ARGUMENT, /images is empty/],
    [{ modelName: 'nope', images: [{ id: 'a', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }] }, grpc.status.NOT_FOUND, /nope/],
    [{ modelVersion: '9', images: [{ id: 'a', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }] }, grpc.status.NOT_FOUND, /version 9/],
  ];
  for (const [req, code, msg] of cases) {
    const err = (await predict([], req).catch((e) => e)) as grpc.ServiceError;
    assert.equal(err.code, code, JSON.stringify(req).slice(0, 80));
    assert.match(err.details, msg);
  }
  const ok = await predict([{ id: 'after', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }]);
  assert.equal(ok.results.length, 1);
});

test('an expired deadline gets DEADLINE_EXCEEDED', async () => {
  await assert.rejects(
    call(c.inference.predict.bind(c.inference), { modelName: 'tiny', modelVersion: '', images: [{ id: 'a', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }] }, { deadline: Date.now() + 1 }),
    { code: grpc.status.DEADLINE_EXCEEDED },
  );
});

test('PredictStream tags results with the caller ids; a bad image fails alone', async () => {
  const stream = c.inference.predictStream();
  const got: PredictStreamResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: PredictStreamResponse) => got.push(m));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.write({ modelName: 'tiny', modelVersion: '', images: [{ id: 's1', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }, { id: 's2', data: Buffer.from('junk'), mediaType: MediaType.MEDIA_TYPE_AUTO }] });
  stream.write({ modelName: 'tiny', modelVersion: '', images: [{ id: 's3', data: Buffer.from(tensorBytes(imageTensor(5, S))), mediaType: MediaType.MEDIA_TYPE_TENSOR }] });
  stream.end();
  await done;
  const byId = new Map(got.map((m) => [m.outcome!.value.id, m.outcome!]));
  assert.deepEqual([...byId.keys()].sort(), ['s1', 's2', 's3']);
  assert.equal(byId.get('s1')!.$case, 'result');
  assert.equal(byId.get('s3')!.$case, 'result');
  const bad = byId.get('s2')!;
  assert.equal(bad.$case, 'error');
  assert.equal(bad.$case === 'error' && bad.value.code, grpc.status.INVALID_ARGUMENT);
});

const kserveInfer = (req: object) => call(c.kserve.modelInfer.bind(c.kserve), { modelName: 'tiny', modelVersion: '', id: 'req-7', parameters: {}, outputs: [], rawInputContents: [], ...req } as never) as Promise<ModelInferResponse>;
const floats = (b: Uint8Array) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

test('KServe v2: live, ready, metadata, config, FP32 and BYTES ModelInfer, stream, statistics', async () => {
  assert.equal((await call(c.kserve.serverLive.bind(c.kserve), {})).live, true);
  assert.equal((await call(c.kserve.serverReady.bind(c.kserve), {})).ready, true);
  const meta = await call(c.kserve.modelMetadata.bind(c.kserve), { name: 'tiny', version: '' });
  assert.deepEqual(meta.inputs.map((t) => [t.name, t.datatype, t.shape]), [['pixels', 'FP32', [-1, 3, S, S]]]);
  assert.deepEqual(meta.outputs.map((t) => t.name), ['logits', 'probabilities']);
  const cfg = (await call(c.kserve.modelConfig.bind(c.kserve), { name: 'tiny', version: '' })).config!;
  assert.equal(cfg.maxBatchSize, 8);
  assert.deepEqual(cfg.input[0]!.dims, [3, S, S]);
  assert.equal(cfg.schedulingChoice?.$case, 'dynamicBatching');

  const t1 = imageTensor(11, S);
  const t2 = imageTensor(12, S);
  const both = new Float32Array([...t1, ...t2]);
  const res = await kserveInfer({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 3, S, S], parameters: {} }], rawInputContents: [Buffer.from(both.buffer)] });
  assert.equal(res.id, 'req-7');
  assert.deepEqual(res.outputs.map((o) => [o.name, o.shape]), [['logits', [2, 3]], ['probabilities', [2, 3]]]);
  const probs = floats(res.rawOutputContents[1]!);
  const lone = await predict([{ id: 'x', data: tensorBytes(t2), mediaType: MediaType.MEDIA_TYPE_TENSOR }]);
  assert.deepEqual([...probs.slice(3)], lone.results[0]!.scores.map((s) => s.probability));
  // fp32_contents instead of raw bytes gives the same answer.
  const viaContents = await kserveInfer({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 3, S, S], parameters: {}, contents: InferTensorContents.fromPartial({ fp32Contents: [...both] }) }], outputs: [{ name: 'probabilities', parameters: {} }] });
  assert.deepEqual([...floats(viaContents.rawOutputContents[0]!)], [...probs]);

  // BYTES: encoded images, preprocessed by the model's preset (Triton's raw BYTES framing).
  const framed = Buffer.concat([Buffer.from(Uint32Array.of(png.length).buffer), png]);
  const bytesRes = await kserveInfer({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], parameters: {} }], rawInputContents: [framed], outputs: [{ name: 'probabilities', parameters: {} }] });
  const viaPredict = await predict([{ id: 'p', data: png, mediaType: MediaType.MEDIA_TYPE_PNG }]);
  assert.deepEqual([...floats(bytesRes.rawOutputContents[0]!)], viaPredict.results[0]!.scores.map((s) => s.probability));

  for (const bad of [
    { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, S + 1, S], parameters: {} }], rawInputContents: [Buffer.alloc(4 * 3 * S * (S + 1))] },
    { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, S, S], parameters: {} }], rawInputContents: [Buffer.alloc(12)] },
    { inputs: [{ name: 'pixels', datatype: 'INT8', shape: [1], parameters: {} }] },
    { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], parameters: {} }], rawInputContents: [Buffer.from([9, 0, 0, 0, 1])] },
    { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, S, S], parameters: {} }], rawInputContents: [Buffer.alloc(4 * 3 * S * S)], outputs: [{ name: 'nope', parameters: {} }] },
  ]) {
    await assert.rejects(kserveInfer(bad), { code: grpc.status.INVALID_ARGUMENT }, JSON.stringify(bad.inputs));
  }

  const stream = c.kserve.modelStreamInfer();
  const msgs: ModelStreamInferResponse[] = [];
  const done = new Promise<void>((resolve, reject) => { stream.on('data', (m: ModelStreamInferResponse) => msgs.push(m)); stream.on('end', resolve); stream.on('error', reject); });
  stream.write({ modelName: 'tiny', modelVersion: '', id: 'a', parameters: {}, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, S, S], parameters: {} }], outputs: [], rawInputContents: [Buffer.from(t1.buffer)] });
  stream.write({ modelName: 'nope', modelVersion: '', id: 'b', parameters: {}, inputs: [], outputs: [], rawInputContents: [] });
  stream.end();
  await done;
  assert.equal(msgs.length, 2);
  assert.equal(msgs.find((m) => m.inferResponse?.id === 'a')?.errorMessage, '');
  assert.ok(msgs.some((m) => m.errorMessage !== ''));

  const stats = await call(c.kserve.modelStatistics.bind(c.kserve), { name: 'tiny', version: '' });
  const s0 = stats.modelStats[0]!;
  assert.equal(s0.name, 'tiny');
  assert.ok(s0.inferenceCount > 0 && s0.executionCount > 0 && s0.executionCount <= s0.inferenceCount);
  assert.ok(s0.batchStats.length > 0);
  const models = await call(c.models.getModel.bind(c.models), { name: 'tiny' });
  assert.equal(models.model!.versions[0]!.executionProvider, 'cpu');
});

test('an independent client (Python grpcio) calls ModelMetadata and ModelInfer and gets correct answers', { skip: !hasPythonGrpc() && 'python3-grpcio is not installed (Debian package, installed by .ci/run)' }, async () => {
  const pixelsFile = join(svc.store.dataDir, 'python-pixels.bin');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('/usr/bin/python3', [join(__dirname, 'python', 'kserve_client.py'), join(__dirname, '..', '..', 'src/api/generated/descriptor.binpb'), svc.address, 'tiny', String(S), '42', pixelsFile],
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
  );
  const r = JSON.parse(out) as { metadata: { name: string; platform: string; inputs: { name: string; shape: number[] }[] }; id: string; output: { shape: number[] }; probabilities: number[] };
  assert.equal(r.metadata.name, 'tiny');
  assert.equal(r.metadata.platform, 'onnxruntime_onnx');
  assert.deepEqual(r.metadata.inputs[0]!.shape, [-1, 3, S, S]);
  assert.equal(r.id, 'py-1');
  assert.deepEqual(r.output.shape, [2, 3]);
  // The pixels Python sent, through this process's own client: the same probabilities.
  const pixels = readFileSync(pixelsFile);
  const mine = await kserveInfer({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 3, S, S], parameters: {} }], rawInputContents: [pixels], outputs: [{ name: 'probabilities', parameters: {} }] });
  assert.deepEqual(r.probabilities, [...floats(mine.rawOutputContents[0]!)]);
});

function hasPythonGrpc(): boolean {
  try {
    require('node:child_process').execFileSync('/usr/bin/python3', ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
