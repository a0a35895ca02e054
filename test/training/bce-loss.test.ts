import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/graph/graph';
import { checkGradients, runGraph, seededUniform } from '../../src/graph/gradient-check';
import { appendBceWithLogitsLoss, bceWithLogits } from '../../src/training/bce-loss';

test('graph BCE matches the float64 reference, extreme logits included', async () => {
  const g = new Graph({ name: 'bce' });
  g.input('x', 'float32', [2, 3]);
  g.input('y', 'float32', [2, 3]);
  g.output(appendBceWithLogitsLoss(g, 'x', 'y', [3, 0.5, 1]), 'loss');
  const x = Float32Array.from([-120, 0.3, 95, 2, -1.5, 0]);
  const y = Float32Array.from([1, 0, 0, 1, 1, 0]);
  const out = await runGraph(g, { x: { data: x, dims: [2, 3] }, y: { data: y, dims: [2, 3] } }, ['loss']);
  const expected = bceWithLogits(x, y, [3, 0.5, 1]);
  assert.ok(Number.isFinite(out.get('loss')![0]));
  assert.ok(Math.abs(out.get('loss')![0] - expected) <= 1e-5 * expected, `${out.get('loss')![0]} vs ${expected}`);
  // torch: -[pw*y*log(sigmoid(x)) + (1-y)*log(1-sigmoid(x))], checked by hand for one element.
  const sig = 1 / (1 + Math.exp(-2));
  assert.ok(Math.abs(bceWithLogits([2], [1], [3]) - -3 * Math.log(sig)) < 1e-12);
});

test('BCE gradient matches finite differences (float64)', async () => {
  const g = new Graph({ name: 'bce-grad' });
  g.input('x', 'float64', [4, 3]);
  g.input('y', 'float64', [4, 3]);
  const loss = appendBceWithLogitsLoss(g, 'x', 'y', [2.5, 0.2, 1]);
  const y = Float64Array.from(seededUniform(12, 3, 0, 1), (v) => (v > 0.5 ? 1 : 0));
  const report = await checkGradients(g, loss, ['x'], { x: { data: seededUniform(12, 1, -4, 4), dims: [4, 3] }, y: { data: y, dims: [4, 3] } }, {});
  assert.equal(report.checked, 12);
  assert.deepEqual(report.failures, []);
});

test('BCE gradient through the float32 Softplus path matches finite differences', async () => {
  const g = new Graph({ name: 'bce-grad32' });
  g.input('x', 'float32', [4, 3]);
  g.input('y', 'float32', [4, 3]);
  const loss = appendBceWithLogitsLoss(g, 'x', 'y', [2.5, 0.2, 1]);
  const y = Float32Array.from(seededUniform(12, 3, 0, 1), (v) => (v > 0.5 ? 1 : 0));
  const report = await checkGradients(g, loss, ['x'], { x: { data: Float32Array.from(seededUniform(12, 1, -4, 4)), dims: [4, 3] }, y: { data: y, dims: [4, 3] } });
  assert.equal(report.checked, 12);
  assert.deepEqual(report.failures, []);
});
