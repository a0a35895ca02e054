import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { ImagePipeline } from '../../src/image/image-pipeline';
import { registry } from '../../src/observability/metrics';
import { resolvePreset } from '../../src/image/presets';
import type { CxrError } from '../../src/errors/cxr-error';
import type { RuntimeInferenceEngine } from '../../src/runtime/inference-engine';
import type { Store } from '../../src/store/store';
import { LABELS, engine, imageTensor, registerTiny, tempStore, tensorBytes, tinyDescription } from './runtime-fixtures';

let store: Store;
let cleanup: () => void;
let eng: RuntimeInferenceEngine;
const S = tinyDescription().imageSize;
const tensor = (seed: number) => ({ data: tensorBytes(imageTensor(seed)), mediaType: 'tensor' as const });
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: CxrError) => e.code);

before(() => {
  ({ store, cleanup } = tempStore());
  registerTiny(store, 'chest', { seed: 3, operatingPoints: [{ label: 'Cardiomegaly', threshold: 0.5, sensitivity: 0.8, specificity: 0.7 }] });
  eng = engine(store);
});
after(async () => {
  await eng.close();
  cleanup();
});

test('N concurrent requests get exactly the probabilities a lone request gets, in batches larger than 1', async () => {
  const lone = await Promise.all([0, 1, 2, 3].map(async (s) => (await eng.predict('chest', undefined, tensor(s))).scores));
  const sizes: number[] = [];
  const onBatch = (b: { batchSize: number }) => sizes.push(b.batchSize);
  eng.events.on('batch', onBatch);
  const many = await Promise.all(Array.from({ length: 48 }, (_, i) => eng.predict('chest', undefined, tensor(i % 4))));
  eng.events.off('batch', onBatch);
  many.forEach((r, i) => assert.deepEqual(r.scores, lone[i % 4], `request ${i}`));
  assert.ok(Math.max(...sizes) > 1, `batches formed: ${sizes.join(',')}`);
  assert.ok(Math.max(...sizes) <= 8);
  assert.ok(many.some((r) => r.timing.batchSize > 1));
  assert.notDeepEqual(lone[0], lone[1], 'different images give different answers');
});

test('labelled probabilities, decisions at stored operating points and the timing breakdown', async () => {
  const r = await eng.predict('chest', '1', tensor(7));
  assert.deepEqual(r.scores.map((s) => s.label), LABELS);
  for (const s of r.scores) assert.ok(s.probability > 0 && s.probability < 1);
  const cm = r.scores[1]!;
  assert.equal(cm.threshold, 0.5);
  assert.equal(cm.positive, cm.probability >= 0.5);
  assert.equal(r.scores[0]!.positive, undefined, 'no operating point, no decision');
  assert.equal(r.modelVersion, 1);
  assert.ok(r.timing.totalMs >= r.timing.queueMs && r.timing.batchSize >= 1);
});

test('inferTensor batches a multi-image tensor and matches predict', async () => {
  const px = new Float32Array(3 * 3 * S * S);
  [4, 5, 6].forEach((s, i) => px.set(imageTensor(s), i * 3 * S * S));
  const r = await eng.inferTensor('chest', undefined, px, 3);
  assert.equal(r.logits.length, 3 * LABELS.length);
  for (const [i, s] of [4, 5, 6].entries()) {
    const p = await eng.predict('chest', undefined, tensor(s));
    assert.deepEqual(Array.from(r.probabilities.subarray(i * 3, i * 3 + 3)), p.scores.map((x) => x.probability));
  }
  assert.equal(await codeOf(eng.inferTensor('chest', undefined, px, 2)), 'INVALID_ARGUMENT');
  const nan = imageTensor(1);
  nan[5] = NaN;
  assert.equal(await codeOf(eng.inferTensor('chest', undefined, nan, 1)), 'INVALID_ARGUMENT');
});

test('bad tensors and unknown models are refused with actionable codes', async () => {
  assert.equal(await codeOf(eng.predict('chest', undefined, { data: new Uint8Array(10), mediaType: 'tensor' })), 'INVALID_ARGUMENT');
  assert.equal(await codeOf(eng.predict('nope', undefined, tensor(1))), 'NOT_FOUND');
  assert.equal(await codeOf(eng.predict('chest', '9', tensor(1))), 'NOT_FOUND');
  assert.equal(await codeOf(eng.predict('chest', 'x', tensor(1))), 'INVALID_ARGUMENT');
  assert.equal(await codeOf(eng.predict('chest', undefined, tensor(1), { deadline: Date.now() - 5 })), 'DEADLINE_EXCEEDED');
});

test('a PNG goes through decode + the version preset and agrees with its preprocessed tensor', async () => {
  const grey = Buffer.alloc(40 * 32);
  for (let i = 0; i < grey.length; i++) grey[i] = (i * 37) % 251;
  const png = await sharp(grey, { raw: { width: 40, height: 32, channels: 1 } }).png().toBuffer();
  const viaPng = await eng.predict('chest', undefined, { data: png, mediaType: 'png' });
  const pipe = new ImagePipeline({ workers: 1 });
  try {
    const pre = await pipe.process(png, 'png', resolvePreset('study-2024', S));
    const viaTensor = await eng.predict('chest', undefined, { data: tensorBytes(pre.tensor), mediaType: 'tensor' });
    assert.deepEqual(viaPng.scores, viaTensor.scores);
  } finally {
    await pipe.close();
  }
  assert.ok(viaPng.timing.decodeMs > 0);
});

test('statistics follow Triton ModelStatistics and model info reports provider and readiness', async () => {
  const [st] = eng.statistics('chest', '1');
  assert.ok(st);
  assert.equal(st.name, 'chest');
  assert.equal(st.version, '1');
  assert.ok(st.inferenceCount >= st.executionCount && st.executionCount > 0);
  assert.equal(st.batchStats.reduce((a, b) => a + b.computeInfer.count, 0), st.executionCount);
  assert.equal(st.batchStats.reduce((a, b) => a + b.batchSize * b.computeInfer.count, 0), st.inferenceCount);
  assert.ok(st.inferenceStats.success.count > 0 && st.inferenceStats.fail.count > 0);
  const info = eng.modelInfo('chest');
  assert.equal(info.provider, 'cpu');
  assert.equal(eng.executionProviderOf('chest', 1), 'cpu');
  assert.equal(info.ready, true);
  assert.deepEqual(info.inputs, [{ name: 'pixels', datatype: 'FP32', shape: [-1, 3, S, S] }]);
  assert.deepEqual(info.outputs, [{ name: 'logits', datatype: 'FP32', shape: [-1, 3] }]);
  const text = await registry.metrics();
  assert.match(text, /cxr_model_loaded\{model="chest",version="1",provider="cpu"\} 1/);
  assert.match(text, /cxr_batch_size_count\{model="chest"\} [1-9]/);
  assert.match(text, /cxr_queue_capacity\{model="chest"\} 256/);
});

for (const mode of ['exit', 'throw'] as const) {
  test(`a worker that dies (${mode}) fails only its in-flight batch with UNAVAILABLE and is replaced`, async () => {
    const expected = (await eng.predict('chest', undefined, tensor(2))).scores;
    const batches: { worker: number; batchSize: number; ok: boolean }[] = [];
    const restarts: number[] = [];
    const onBatch = (b: { worker: number; batchSize: number; ok: boolean }) => batches.push(b);
    const onRestart = (r: { worker: number }) => restarts.push(r.worker);
    eng.events.on('batch', onBatch);
    eng.events.on('worker-restart', onRestart);
    eng.injectWorkerFault(0, mode);
    await sleep(20);
    const outcomes = await Promise.all(Array.from({ length: 24 }, () => eng.predict('chest', undefined, tensor(2)).then((r) => r, (e: CxrError) => e)));
    const failed = outcomes.filter((o): o is CxrError => 'code' in o);
    const failedBatches = batches.filter((b) => !b.ok);
    assert.equal(failedBatches.length, 1, JSON.stringify(batches));
    assert.equal(failedBatches[0]!.worker, 0);
    assert.equal(failed.length, failedBatches[0]!.batchSize, 'exactly the images of the dead batch failed');
    for (const f of failed) assert.equal(f.code, 'UNAVAILABLE');
    for (const o of outcomes) if (!('code' in o)) assert.deepEqual(o.scores, expected);
    assert.deepEqual(restarts, [0]);
    // The replacement restores the session and serves again.
    batches.length = 0;
    for (let i = 0; i < 50 && !batches.some((b) => b.worker === 0 && b.ok); i++) {
      await Promise.all(Array.from({ length: 16 }, () => eng.predict('chest', undefined, tensor(2))));
      await sleep(20);
    }
    assert.ok(batches.some((b) => b.worker === 0 && b.ok), 'worker 0 serves again');
    eng.events.off('batch', onBatch);
    eng.events.off('worker-restart', onRestart);
  });
}

test('the event loop stays responsive under full load (inference is off the main thread)', async () => {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const end = Date.now() + 1500;
  let done = 0;
  await Promise.all(
    Array.from({ length: 32 }, async (_, c) => {
      while (Date.now() < end) {
        await eng.predict('chest', undefined, tensor(c));
        done++;
      }
    }),
  );
  h.disable();
  const p99 = h.percentile(99) / 1e6;
  assert.ok(done > 32, `requests completed: ${done}`);
  assert.ok(p99 < 200, `event-loop delay p99 ${p99.toFixed(1)} ms`);
});
