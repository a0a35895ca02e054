/**
 * What observability costs per request. "off" is the default (no OTEL_* exporter: the SDK is not
 * loaded, span helpers hit @opentelemetry/api's no-op tracer) plus the Prometheus call observer;
 * "on" is the SDK with gRPC instrumentation and an in-memory exporter (an upper bound on the
 * in-process cost of real exporting, which batches off the hot path).
 *
 * A request is simulated as the stages the service runs (decode, preprocess, queue wait, batch,
 * postprocess), each a fixed CPU work unit: the baseline runs the same work without helpers.
 * Rounds alternate baseline and variant so drift hits both. Prints machine, date, medians, ratios.
 * Run: node --import tsx bench/observability-overhead.ts [rounds]
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  traceDecode, tracePreprocess, tracePostprocess, startQueueWait, traceBatch,
} from '../src/observability/spans';
import { createCallMetrics } from '../src/observability/call-metrics';
import { batchSize, decodeSeconds, modelLabel, formatLabel } from '../src/observability/metrics';
import { startTestTracing } from '../src/observability/tracing';

const rounds = Number(process.argv[2] ?? 15);
const REQUESTS = 400;
const pixels = new Float32Array(3 * 64 * 64).map((_, i) => (i % 255) / 255);

/** ~30 µs of arithmetic: small next to a real stage, so overhead shows up rather than hides. */
function work(): number {
  let s = 0;
  for (let i = 0; i < pixels.length; i++) s += pixels[i] * 1.0001;
  return s;
}

function baseline(): number {
  let s = 0;
  for (let r = 0; r < REQUESTS; r++) s += work() + work() + work() + work() + work();
  return s;
}

const observer = createCallMetrics();
/** The metric updates of one request: call observer, decode timer, batch size. */
function metricsOnly(): number {
  let s = 0;
  for (let r = 0; r < REQUESTS; r++) {
    const call = observer.start('cxr.v1.InferenceService', 'Predict');
    const end = decodeSeconds.startTimer({ format: formatLabel('dicom') });
    s += work();
    end();
    s += work() + work();
    batchSize.observe({ model: modelLabel('cxr-demo') }, 1);
    s += work() + work();
    call.end('OK', 'cxr-demo');
  }
  return s;
}

/** The spans of one request: decode, preprocess, queue wait, batch (with its link), postprocess. */
function spansOnly(): number {
  let s = 0;
  for (let r = 0; r < REQUESTS; r++) {
    s += traceDecode('dicom', 1000, work);
    s += tracePreprocess(work);
    const ticket = startQueueWait('cxr-demo');
    s += work();
    s += traceBatch('cxr-demo', '1', [ticket], work);
    s += tracePostprocess(work);
  }
  return s;
}

function time(fn: () => number): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / REQUESTS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(label: string, instrumented: () => number): void {
  for (let i = 0; i < 3; i++) { time(baseline); time(instrumented); }
  const base: number[] = [];
  const inst: number[] = [];
  for (let i = 0; i < rounds; i++) {
    base.push(time(baseline));
    inst.push(time(instrumented));
  }
  const b = median(base);
  const v = median(inst);
  console.log(`${label.padEnd(14)} baseline ${(b * 1000).toFixed(2)} µs/request   instrumented ${(v * 1000).toFixed(2)} µs/request   ` +
    `ratio ${(v / b).toFixed(3)}   overhead ${((v - b) * 1000).toFixed(2)} µs/request`);
}

console.log(`observability overhead: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, node ${process.version}, ${new Date().toISOString()}`);
console.log(`${REQUESTS} simulated requests per round (5 work units of ~30 µs; 6 metric updates; 5 spans), ${rounds} rounds, medians`);
compare('metrics', metricsOnly);
compare('spans, off', spansOnly);
const tracing = startTestTracing();
compare('spans, on', spansOnly);
console.log(`spans recorded with tracing on: ${tracing.exporter.getFinishedSpans().length}`);
void tracing.shutdown();
