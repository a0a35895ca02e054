import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CxrError } from '../../src/errors/cxr-error';
import type { RuntimeInferenceEngine } from '../../src/runtime/inference-engine';
import type { Store } from '../../src/store/store';
import { engine, imageTensor, registerTiny, tempStore, tensorBytes } from './runtime-fixtures';

let store: Store;
let cleanup: () => void;
let eng: RuntimeInferenceEngine;
const tensor = (seed: number) => ({ data: tensorBytes(imageTensor(seed)), mediaType: 'tensor' as const });
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: CxrError) => e.code);

before(() => {
  ({ store, cleanup } = tempStore());
  eng = engine(store, { batching: { maxBatchSize: 4, maxQueueDelayMs: 1, maxQueueSize: 256 } });
});
after(async () => {
  await eng.close();
  cleanup();
});

test('lazy load on first request; explicit load and unload; readiness reported', async () => {
  registerTiny(store, 'lazy', { seed: 1 });
  assert.equal(eng.modelInfo('lazy').ready, false);
  const r = await eng.predict('lazy', undefined, tensor(1));
  assert.equal(r.modelVersion, 1);
  assert.equal(eng.modelInfo('lazy').ready, true);
  await eng.models.unload('lazy', 1);
  assert.equal(eng.modelInfo('lazy').ready, false);
  assert.equal(eng.executionProviderOf('lazy', 1), undefined);
  const loaded = await eng.models.load('lazy', 1);
  assert.equal(loaded.provider, 'cpu');
  assert.deepEqual((await eng.predict('lazy', '1', tensor(1))).scores, r.scores);
});

test('a failed load keeps the serving version serving; promote switches only after a good load', async () => {
  registerTiny(store, 'life', { seed: 1 });
  const v1 = await eng.predict('life', undefined, tensor(5));
  const bad = registerTiny(store, 'life', { graph: 'corrupt' });
  assert.equal(await codeOf(eng.models.promote('life', bad)), 'FAILED_PRECONDITION');
  assert.equal(store.models.get('life').servingVersion, 1);
  assert.equal(await codeOf(eng.predict('life', String(bad), tensor(5))), 'FAILED_PRECONDITION');
  const again = await eng.predict('life', undefined, tensor(5));
  assert.equal(again.modelVersion, 1);
  assert.deepEqual(again.scores, v1.scores);

  const good = registerTiny(store, 'life', { seed: 2 });
  // Requests already running on version 1 finish on it while the promotion happens.
  const inflight = Array.from({ length: 24 }, () => eng.predict('life', undefined, tensor(5)));
  const model = await eng.models.promote('life', good);
  assert.equal(model.servingVersion, good);
  for (const r of await Promise.all(inflight)) {
    assert.equal(r.modelVersion, 1);
    assert.deepEqual(r.scores, v1.scores);
  }
  const after = await eng.predict('life', undefined, tensor(5));
  assert.equal(after.modelVersion, good);
  assert.notDeepEqual(after.scores, v1.scores);
  assert.equal(eng.modelInfo('life', 1).ready, false, 'the previous serving version was unloaded after draining');
});

test('reload swaps in fresh sessions with the same answers', async () => {
  registerTiny(store, 'again', { seed: 4 });
  const before = await eng.predict('again', undefined, tensor(2));
  const oldKey = eng.models.get('again', 1)!.key;
  const pending = Array.from({ length: 8 }, () => eng.predict('again', undefined, tensor(2)));
  const fresh = await eng.models.reload('again', 1);
  assert.notEqual(fresh.key, oldKey);
  for (const r of await Promise.all(pending)) assert.deepEqual(r.scores, before.scores);
  assert.deepEqual((await eng.predict('again', undefined, tensor(2))).scores, before.scores);
  assert.equal(eng.statistics('again', 1)[0]!.inferenceStats.success.count, 10, 'statistics survive a reload');
});
