import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamicBatcher, type BatchExecutor, type BatcherOptions } from '../../src/runtime/dynamic-batcher';
import { CxrError } from '../../src/errors/cxr-error';

/** Workers the test controls: each run waits until the test finishes it. Logit of an image = its first value. */
class FakeWorkers implements BatchExecutor {
  free: number;
  readonly runs: { sizes: number; firsts: number[]; finish: () => void }[] = [];
  private readonly listeners = new Set<() => void>();
  constructor(workers: number) {
    this.free = workers;
  }
  tryAcquire() {
    if (this.free === 0) return undefined;
    this.free--;
    return { worker: 0 };
  }
  release() {
    this.free++;
    this.notify();
  }
  run(_l: { worker: number }, buffer: ArrayBuffer, shape: number[]) {
    const n = shape[0]!;
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const view = new Float32Array(buffer);
    const firsts = Array.from({ length: n }, (_, i) => view[i * per]!);
    return new Promise<{ buffer: ArrayBuffer; logits: Float32Array; inputNs: number; inferNs: number; outputNs: number }>((resolve) => {
      this.runs.push({
        sizes: n, firsts,
        finish: () => {
          this.free++;
          resolve({ buffer, logits: Float32Array.from(firsts), inputNs: 1, inferNs: 2, outputNs: 3 });
          this.notify();
        },
      });
    });
  }
  onIdle(l: () => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  finishAll() {
    for (const r of this.runs) r.finish();
  }
  private notify() {
    for (const l of this.listeners) l();
  }
}

const img = (v: number) => Float32Array.from([v, 0]);
const opts = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({ maxBatchSize: 4, maxQueueDelayMs: 0, maxQueueSize: 8, itemShape: [2], preallocatedBuffers: 1, ...o });
const codeOf = async (p: Promise<unknown>) => p.then(() => 'OK', (e: CxrError) => e.code);

test('batches form across submissions and across the images of one submission, never above maxBatchSize', async () => {
  const w = new FakeWorkers(1);
  const b = new DynamicBatcher(w, opts({ maxQueueSize: 16 }));
  const first = b.submit([img(0)]); // takes the only worker alone
  const later = [...b.submit([img(1), img(2), img(3)]), ...b.submit([img(4)]), ...b.submit([img(5), img(6)])];
  assert.deepEqual(w.runs.map((r) => r.sizes), [1]);
  w.runs[0]!.finish();
  await first[0];
  await sleep(0);
  assert.deepEqual(w.runs.map((r) => r.sizes), [1, 4], 'the queued images of three submissions form one full batch');
  assert.deepEqual(w.runs[1]!.firsts, [1, 2, 3, 4]);
  w.runs[1]!.finish();
  await sleep(0);
  w.finishAll();
  const res = await Promise.all(later);
  assert.deepEqual(res.map((r) => r.logits[0]), [1, 2, 3, 4, 5, 6], 'every image gets its own row back');
  assert.deepEqual(res.map((r) => r.batchSize), [4, 4, 4, 4, 2, 2]);
});

test('max queue delay waits for a fuller batch; a preferred batch size dispatches at once', async () => {
  const w = new FakeWorkers(1);
  const b = new DynamicBatcher(w, opts({ maxQueueDelayMs: 10_000, preferredBatchSizes: [3] }));
  const p = [...b.submit([img(1)]), ...b.submit([img(2)])];
  await sleep(5);
  assert.equal(w.runs.length, 0, 'two images wait for a fuller batch');
  p.push(...b.submit([img(3)]));
  assert.deepEqual(w.runs.map((r) => r.sizes), [3]);
  w.finishAll();
  await Promise.all(p);

  const w2 = new FakeWorkers(1);
  const b2 = new DynamicBatcher(w2, opts({ maxQueueDelayMs: 20 }));
  const q = b2.submit([img(1), img(2)]);
  assert.equal(w2.runs.length, 0);
  await sleep(60);
  assert.deepEqual(w2.runs.map((r) => r.sizes), [2], 'after the delay the partial batch goes');
  w2.finishAll();
  await Promise.all(q);
});

test('a full queue refuses a submission whole with RESOURCE_EXHAUSTED', async () => {
  const w = new FakeWorkers(0);
  const b = new DynamicBatcher(w, opts({ maxQueueSize: 5 }));
  const queued = b.submit([img(1), img(2), img(3), img(4)]);
  const refused = b.submit([img(5), img(6)]);
  assert.deepEqual(await Promise.all(refused.map(codeOf)), ['RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
  assert.equal(b.queueDepth, 4, 'nothing of the refused submission was queued');
  const fits = b.submit([img(7)]);
  assert.equal(b.queueDepth, 5);
  b.close();
  assert.deepEqual(await Promise.all([...queued, ...fits].map(codeOf)), Array(5).fill('UNAVAILABLE'));
});

test('queued work past its deadline is dropped with DEADLINE_EXCEEDED and never computed', async () => {
  const w = new FakeWorkers(1);
  const b = new DynamicBatcher(w, opts());
  const blocker = b.submit([img(0)]);
  const doomed = b.submit([img(1), img(2)], { deadline: Date.now() + 30 });
  const kept = b.submit([img(3)]);
  assert.deepEqual(await Promise.all(doomed.map(codeOf)), ['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
  assert.equal(b.queueDepth, 1);
  assert.equal(await codeOf(b.submit([img(4)], { deadline: Date.now() - 1 })[0]!), 'DEADLINE_EXCEEDED');
  w.runs[0]!.finish();
  await blocker[0];
  await sleep(0);
  w.finishAll();
  await kept[0];
  assert.deepEqual(w.runs.flatMap((r) => r.firsts), [0, 3], 'the expired images never reached a worker');
});

test('an aborted request leaves the queue and gets CANCELLED', async () => {
  const w = new FakeWorkers(1);
  const b = new DynamicBatcher(w, opts());
  const blocker = b.submit([img(0)]);
  const ac = new AbortController();
  const cancelled = b.submit([img(1), img(2)], { signal: ac.signal });
  const kept = b.submit([img(3)]);
  assert.equal(b.queueDepth, 3);
  ac.abort();
  assert.deepEqual(await Promise.all(cancelled.map(codeOf)), ['CANCELLED', 'CANCELLED']);
  assert.equal(b.queueDepth, 1);
  w.runs[0]!.finish();
  await blocker[0];
  await sleep(0);
  w.finishAll();
  await kept[0];
  assert.deepEqual(w.runs.flatMap((r) => r.firsts), [0, 3]);
  const pre = new AbortController();
  pre.abort();
  assert.equal(await codeOf(b.submit([img(9)], { signal: pre.signal })[0]!), 'CANCELLED');
});

test('wrong-sized images are INVALID_ARGUMENT; drain waits for running batches', async () => {
  const w = new FakeWorkers(1);
  const b = new DynamicBatcher(w, opts());
  assert.equal(await codeOf(b.submit([new Float32Array(3)])[0]!), 'INVALID_ARGUMENT');
  const p = b.submit([img(1)]);
  let drained = false;
  const d = b.drain().then(() => (drained = true));
  await sleep(5);
  assert.equal(drained, false);
  w.finishAll();
  await p[0];
  await d;
  assert.equal(drained, true);
});
