import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { startTestTracing } from '../../src/observability/tracing';
import { DynamicBatcher, type BatchExecutor } from '../../src/runtime/dynamic-batcher';

const tracing = startTestTracing();
after(() => tracing.shutdown());

/** One worker; each run answers on the next tick. */
const exec: BatchExecutor = {
  tryAcquire: () => ({ worker: 0 }),
  release: () => undefined,
  run: async (_l, buffer, shape) => ({ buffer, logits: new Float32Array(shape[0]!), inputNs: 0, inferNs: 0, outputNs: 0 }),
  onIdle: () => () => undefined,
};

test('one batch span linked to every request span it served; a queue-wait span per request', async () => {
  const b = new DynamicBatcher(exec, { maxBatchSize: 4, maxQueueDelayMs: 50, maxQueueSize: 8, itemShape: [2], trace: { model: 'chest', version: '3' } });
  const tracer = trace.getTracer('test');
  const requests: string[] = [];
  const pending = [0, 1, 2, 3].map((i) =>
    tracer.startActiveSpan(`request-${i}`, (span) => {
      requests.push(span.spanContext().spanId);
      const [p] = b.submit([Float32Array.from([i, i])]);
      return p!.finally(() => span.end());
    }),
  );
  await Promise.all(pending);
  // The SDK exports once its resource detection settles; wait for the 4 requests + 4 waits + 1 batch.
  for (let i = 0; i < 100 && tracing.exporter.getFinishedSpans().length < 9; i++) await sleep(20);
  const spans = tracing.exporter.getFinishedSpans();
  const batches = spans.filter((s) => s.name === 'cxr.batch');
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0]!.links.map((l) => l.context.spanId).sort(), [...requests].sort());
  assert.equal(batches[0]!.attributes['cxr.batch.size'], 4);
  const waits = spans.filter((s) => s.name === 'cxr.queue_wait');
  assert.equal(waits.length, 4);
  const parentOf = (s: (typeof waits)[number]) => (s as unknown as { parentSpanContext?: { spanId: string }; parentSpanId?: string }).parentSpanContext?.spanId ?? (s as unknown as { parentSpanId?: string }).parentSpanId;
  assert.deepEqual(waits.map(parentOf).sort(), [...requests].sort());
  for (const s of [...batches, ...waits]) {
    for (const k of Object.keys(s.attributes)) assert.match(k, /^cxr\.(model|model\.version|batch\.size)$/);
  }
});
