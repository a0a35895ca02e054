import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc } from '../../src/evaluation/auroc';
import { createBootstrapPlan, planFingerprint, resampleIndices, resampleMultiplicities } from '../../src/evaluation/bootstrap-plan';
import { percentile, summariseBootstrap } from '../../src/evaluation/bootstrap-summary';
import { rankLabel } from '../../src/evaluation/ranked-label';
import { SeededRandom } from '../../src/evaluation/seeded-random';
import { weightedAuroc } from '../../src/evaluation/weighted-auroc';
import { syntheticLabel } from './fixtures';

test('plan: same seed, same indices; another seed, other indices; in range', () => {
  const a = createBootstrapPlan(500, 42, 20);
  const b = createBootstrapPlan(500, 42, 20);
  const c = createBootstrapPlan(500, 43, 20);
  assert.deepEqual(a.indices, b.indices);
  assert.equal(planFingerprint(a), planFingerprint(b));
  assert.notEqual(planFingerprint(a), planFingerprint(c));
  assert.ok(a.indices.every((i) => i < 500));
  assert.equal(resampleIndices(a, 3).length, 500);
});

test('plan indices are the generator\'s nextBelow stream, and roughly uniform', () => {
  const plan = createBootstrapPlan(7, 9, 3000);
  const rng = new SeededRandom(9);
  for (let k = 0; k < 50; k++) assert.equal(plan.indices[k], rng.nextBelow(7));
  const counts = new Array(7).fill(0);
  for (const i of plan.indices) counts[i]++;
  const expected = plan.indices.length / 7;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 30, `chi-square ${chi2} over 6 degrees of freedom`); // p ~ 4e-5
});

test('weighted AUROC equals the AUROC of the materialised resample', () => {
  const { scores, truth } = syntheticLabel(300, 0.2, 1, 4, 15);
  const r = rankLabel(scores, truth);
  const plan = createBootstrapPlan(300, 1, 25);
  const m = new Int32Array(300);
  for (let b = 0; b < plan.resamples; b++) {
    const idx = resampleIndices(plan, b);
    const expected = auroc(Array.from(idx, (i) => scores[i]), Array.from(idx, (i) => truth[i]));
    assert.ok(expected.defined);
    assert.equal(weightedAuroc(r, resampleMultiplicities(plan, b, m)), expected.value);
  }
});

test('a resample without positives gives NaN internally, and the summary counts it as skipped', () => {
  const r = rankLabel([0.1, 0.9, 0.2], [0, 1, 0]);
  assert.ok(Number.isNaN(weightedAuroc(r, Int32Array.from([2, 0, 1]))));
  const s = summariseBootstrap(Float64Array.from([0.5, NaN, 0.7, 0.6]));
  assert.ok(s);
  assert.equal(s.resamplesSkipped, 1);
  assert.equal(s.resamplesUsed, 3);
  assert.ok(Math.abs(s.mean - 0.6) < 1e-15);
  assert.ok(Math.abs(s.sd - 0.1) < 1e-15);
  assert.equal(summariseBootstrap(Float64Array.from([NaN, NaN])), null);
});

test('type-7 percentiles (numpy / R default)', () => {
  const x = [1, 2, 3, 4, 10];
  assert.equal(percentile(x, 0.5), 3);
  assert.ok(Math.abs(percentile(x, 0.025) - 1.1) < 1e-12);
  assert.ok(Math.abs(percentile(x, 0.975) - 9.4) < 1e-12);
  assert.equal(percentile([5], 0.975), 5);
});

test('bad plan arguments are rejected', () => {
  assert.throws(() => createBootstrapPlan(0, 1, 10), /at least one image/);
  assert.throws(() => createBootstrapPlan(10, -1, 10), /seed/);
  assert.throws(() => createBootstrapPlan(10, 1, 0), /resamples/);
  assert.throws(() => createBootstrapPlan(10, 1.5, 10), /seed/);
});
