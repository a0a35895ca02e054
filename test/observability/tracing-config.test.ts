import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { tracingRequested, startTracing } from '../../src/observability/tracing';
import { traceDecode, startQueueWait, traceBatch } from '../../src/observability/spans';

test('tracing is requested only by an exporter or an OTLP endpoint, and OTEL_SDK_DISABLED wins', () => {
  assert.equal(tracingRequested({}), false);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none' }), false);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), false);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'console,otlp' }), true);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }), false);
});

test('with tracing off the SDK is never loaded and the helpers hand out non-recording spans', async () => {
  assert.equal(startTracing({}), null);
  const ticket = startQueueWait('cxr-demo');
  const out = await traceBatch('cxr-demo', '1', [ticket], async () =>
    traceDecode('png', 10, () => trace.getActiveSpan()?.isRecording()));
  assert.equal(out ?? false, false); // no context manager either: there is no active span at all
  const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry[\\/](sdk-node|sdk-trace-base|instrumentation-grpc)[\\/]/.test(k));
  assert.deepEqual(loaded, []);
});

test('OTEL_TRACES_EXPORTER=console turns tracing on through the SDK, error messages scrubbed', () => {
  // A child process: tracing is process-global, and this one must stay off for the test above.
  const script = `
    const { startTracing } = require('./src/observability/tracing');
    const t = startTracing();
    if (!t) throw new Error('tracing did not start');
    const { traceDecode } = require('./src/observability/spans');
    const { trace } = require('@opentelemetry/api');
    const s = trace.getTracer('grpc-like').startSpan('grpc.cxr.v1.ModelService/GetModel');
    s.setAttribute('grpc.error_message', 'model "Doe^Jane" not found');
    s.setStatus({ code: 2, message: 'model "Doe^Jane" not found' });
    s.end();
    traceDecode('png', 3, () => 1);
    t.shutdown();
  `;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(__dirname, '..', '..'), encoding: 'utf8',
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: '', OTEL_EXPORTER_OTLP_ENDPOINT: '' },
  });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /cxr\.decode/);
  assert.match(res.stdout, /grpc\.cxr\.v1\.ModelService\/GetModel/);
  assert.doesNotMatch(res.stdout, /Doe/);
});
