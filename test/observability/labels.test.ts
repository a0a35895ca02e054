import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedLabel, codeLabel, formatLabel, OTHER } from '../../src/observability/labels';
import { createCallMetrics } from '../../src/observability/call-metrics';
import { registry, requestsTotal, inflightRequests } from '../../src/observability/metrics';

test('label values keep to a safe alphabet and a length cap', () => {
  const label = boundedLabel({ maxDistinct: 10, maxLength: 8 });
  assert.equal(label('cxr-demo'), 'cxr-demo');
  assert.equal(label('a b"c\n{}'), 'a_b_c___');
  assert.equal(label('x'.repeat(50)), 'xxxxxxxx');
  assert.equal(label(undefined), '');
  assert.equal(label(''), '');
});

test('a label stops growing after maxDistinct values: later ones become "other"', () => {
  const label = boundedLabel({ maxDistinct: 3, maxLength: 16 });
  assert.deepEqual(['a', 'b', 'c', 'd', 'a', 'e'].map(label), ['a', 'b', 'c', OTHER, 'a', OTHER]);
});

test('status codes are gRPC names or UNKNOWN; formats are lower-cased', () => {
  assert.equal(codeLabel('NOT_FOUND'), 'NOT_FOUND');
  assert.equal(codeLabel('Doe^Jane'), 'UNKNOWN');
  assert.equal(formatLabel('DICOM'), 'dicom');
});

async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = registry.getSingleMetric(name);
  assert.ok(m, `${name} registered`);
  const { values } = await m.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)
    && Object.keys(v.labels).length === Object.keys(labels).length);
  return hit?.value;
}

test('the call observer counts by rpc, registered model, version and code; unknown model names are dropped', async () => {
  requestsTotal.reset();
  const known = new Set(['cxr-demo']);
  const obs = createCallMetrics({ isKnownModel: (n) => known.has(n) });
  const a = obs.start('cxr.v1.InferenceService', 'Predict');
  assert.equal(await sample('cxr_inflight_requests', { rpc: 'cxr.v1.InferenceService/Predict' }), 1);
  a.end('OK', 'cxr-demo', '3');
  a.end('INTERNAL', 'cxr-demo', '3'); // a second end (a late cancel) must not count twice
  obs.start('cxr.v1.InferenceService', 'Predict').end('NOT_FOUND', 'Doe^Jane^Quincy', '7');
  obs.start('cxr.v1.InferenceService', 'Predict').end('NOT_A_CODE');
  assert.equal(await sample('cxr_inflight_requests', { rpc: 'cxr.v1.InferenceService/Predict' }), 0);
  assert.equal(await sample('cxr_requests_total', { rpc: 'cxr.v1.InferenceService/Predict', model: 'cxr-demo', version: '3', code: 'OK' }), 1);
  assert.equal(await sample('cxr_requests_total', { rpc: 'cxr.v1.InferenceService/Predict', model: 'cxr-demo', version: '3', code: 'INTERNAL' }), undefined);
  assert.equal(await sample('cxr_requests_total', { rpc: 'cxr.v1.InferenceService/Predict', model: '', version: '', code: 'NOT_FOUND' }), 1);
  assert.equal(await sample('cxr_requests_total', { rpc: 'cxr.v1.InferenceService/Predict', model: '', version: '', code: 'UNKNOWN' }), 1);
  assert.doesNotMatch(await registry.metrics(), /Doe|Jane/);
  inflightRequests.reset();
});
