import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CxrError } from '../../src/errors/cxr-error';
import { auroc } from '../../src/evaluation/auroc';
import { createBootstrapPlan } from '../../src/evaluation/bootstrap-plan';
import { compareModels, evaluatePredictions } from '../../src/evaluation/evaluator';
import { syntheticLabel } from './fixtures';

const n = 400;
const l1 = syntheticLabel(n, 0.3, 1.5, 1);
const l2 = syntheticLabel(n, 0.1, 0.8, 2, 20);
const none = new Uint8Array(n); // no positives
const rare = new Uint8Array(n);
rare[5] = 1; // one positive: AUROC defined, DeLong not, many resamples lack it
const f32 = (x: Float64Array) => Float32Array.from(x);

test('undefined labels are reported with reasons and left out of the mean explicitly', () => {
  const r = evaluatePredictions({
    labels: ['a', 'b', 'empty', 'rare'],
    scores: [f32(l1.scores), f32(l2.scores), f32(l1.scores), f32(l2.scores)],
    truth: [l1.truth, l2.truth, none, rare],
    seed: 3,
    resamples: 300,
  });
  const [a, b, empty, rareStats] = r.labels;
  assert.ok(a.defined && b.defined && rareStats.defined);
  assert.equal(empty.defined, false);
  assert.equal(!empty.defined && empty.reason, 'no-positives');
  assert.ok(r.mean.defined);
  assert.deepEqual(r.mean.labelsIncluded, ['a', 'b', 'rare']);
  assert.deepEqual(r.mean.labelsExcluded.map((e) => [e.label, e.reason]), [['empty', 'no-positives']]);
  const expected = (a.auroc + b.auroc + rareStats.auroc) / 3;
  assert.ok(Math.abs(r.mean.auroc - expected) < 1e-15);
  // The one-positive label: DeLong undefined; bootstrap skips resamples without the positive
  assert.equal(rareStats.delong.defined, false);
  assert.ok(rareStats.bootstrap.defined && rareStats.bootstrap.resamplesSkipped > 50);
  assert.equal(rareStats.bootstrap.resamplesSkipped + rareStats.bootstrap.resamplesUsed, 300);
  // ... and so do the mean's resamples
  assert.ok(r.mean.bootstrap.defined && r.mean.bootstrap.resamplesSkipped === rareStats.bootstrap.resamplesSkipped);
  assert.equal(r.mean.delong.defined, false);
  assert.ok(!JSON.stringify(r.labels.map(({ ...s }) => ({ ...s, roc: undefined }))).includes('NaN'));
});

test('results match the standalone AUROC and are reproducible from the seed', () => {
  const input = { labels: ['a', 'b'], scores: [f32(l1.scores), f32(l2.scores)], truth: [l1.truth, l2.truth], seed: 11, resamples: 200 };
  const r1 = evaluatePredictions(input);
  const r2 = evaluatePredictions(input);
  const r3 = evaluatePredictions({ ...input, seed: 12 });
  const a = auroc(f32(l1.scores), l1.truth);
  assert.ok(a.defined && r1.labels[0].defined && a.value === r1.labels[0].auroc);
  assert.deepEqual(r1.labels.map((s) => s.defined && s.bootstrap), r2.labels.map((s) => s.defined && s.bootstrap));
  assert.notDeepEqual(r1.labels.map((s) => s.defined && s.bootstrap), r3.labels.map((s) => s.defined && s.bootstrap));
  assert.deepEqual(r1.plan, { seed: 11, n, resamples: 200, generator: r1.bootstrapPlan.generator });
});

test('compare: paired resamples; a model against itself never "beats" it', () => {
  const better = l1.scores.map((s, i) => s + (l1.truth[i] ? 0.4 : 0));
  const r = compareModels({
    labels: ['a', 'b', 'empty'],
    truth: [l1.truth, l2.truth, none],
    seed: 5,
    resamples: 400,
    models: [
      { name: 'better', scores: [better, l2.scores, l1.scores] },
      { name: 'base', scores: [l1.scores, l2.scores, l1.scores] },
    ],
  });
  assert.equal(r.comparisons.length, 1);
  const c = r.comparisons[0];
  assert.deepEqual([c.a, c.b], ['better', 'base']);
  assert.deepEqual(c.labels.map((e) => e.label), ['a', 'b']);
  const [a, b] = c.labels;
  assert.ok(a.bootstrap.defined && a.bootstrap.p < 0.01, 'clearly better on a');
  assert.ok(a.delong.defined && a.delong.pOneSided < 0.01 && a.delong.z > 0);
  // identical predictions on b: every paired resample ties, so P = 1 and DeLong has no test
  assert.ok(b.bootstrap.defined && b.bootstrap.p === 1 && b.bootstrap.meanDifference === 0);
  assert.equal(b.delong.defined, false);
  assert.equal(!b.delong.defined && b.delong.reason, 'zero-variance');
  assert.equal(b.pDelongAdjusted, null);
  assert.ok(a.pBootstrapAdjusted !== null && a.pBootstrapAdjusted >= a.bootstrap.p);
  assert.ok('bootstrap' in c.mean && c.mean.bootstrap.defined && c.mean.bootstrap.p < 0.05);
});

test('compare reuses a stored plan, and the same models give the same numbers as separate evaluations', () => {
  const plan = createBootstrapPlan(n, 8, 150);
  const r = compareModels({ labels: ['a'], truth: [l1.truth], seed: 8, plan, models: [{ name: 'm', scores: [l1.scores] }, { name: 'k', scores: [l2.scores] }] });
  assert.equal(r.bootstrapPlan, plan);
  const alone = evaluatePredictions({ labels: ['a'], scores: [l1.scores], truth: [l1.truth], seed: 8, plan });
  assert.deepEqual(r.models[0].labels[0], alone.labels[0]);
  assert.throws(() => evaluatePredictions({ labels: ['a'], scores: [l1.scores], truth: [l1.truth], seed: 9, plan }), /seed 8/);
  const short = createBootstrapPlan(n - 1, 8, 10);
  assert.throws(() => evaluatePredictions({ labels: ['a'], scores: [l1.scores], truth: [l1.truth], seed: 8, plan: short }), /covers 399/);
});

test('bad requests are INVALID_ARGUMENT with the offending field', () => {
  const field = (f: () => unknown, path: string) =>
    assert.throws(f, (e: unknown) => e instanceof CxrError && e.code === 'INVALID_ARGUMENT' && e.violations.some((v) => v.field === path));
  const base = { labels: ['a'], truth: [l1.truth], seed: 1, resamples: 10 };
  field(() => evaluatePredictions({ ...base, scores: [] }), 'models[0].scores');
  field(() => evaluatePredictions({ ...base, scores: [l1.scores.subarray(1)] }), 'models[0].scores[0]');
  field(() => evaluatePredictions({ ...base, labels: ['a', 'a'], scores: [l1.scores, l1.scores], truth: [l1.truth, l1.truth] }), 'labels');
  field(() => compareModels({ ...base, models: [{ name: 'x', scores: [l1.scores] }], pairs: [['x', 'y']] }), 'pairs[0]');
  field(() => evaluatePredictions({ ...base, scores: [l1.scores], level: 1 }), 'level');
});
