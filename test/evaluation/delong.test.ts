import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aurocOfRanked } from '../../src/evaluation/auroc';
import { delongInfluence, delongTest, differenceVariance, influenceCovariance } from '../../src/evaluation/delong';
import { evaluatePredictions } from '../../src/evaluation/evaluator';
import { normalCdf, normalQuantile, normalUpperTail } from '../../src/evaluation/normal-distribution';
import { rankLabel } from '../../src/evaluation/ranked-label';
import { bruteDelong, syntheticLabel } from './fixtures';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('fast DeLong (midrank placements) equals textbook O(PxN) DeLong, with ties, paired', () => {
  for (const levels of [0, 12]) {
    const { scores: a, truth } = syntheticLabel(250, 0.3, 1, 21 + levels, levels);
    const b = a.map((s, i) => (levels ? Math.round((s + 0.3 * Math.sin(i)) * levels) / levels : s + 0.3 * Math.sin(i)));
    const ref = bruteDelong(a, b, truth);
    const ra = rankLabel(a, truth);
    const rb = rankLabel(b, truth);
    const A = aurocOfRanked(ra);
    const B = aurocOfRanked(rb);
    assert.ok(A.defined && B.defined);
    const pa = delongInfluence(ra, A.value);
    const pb = delongInfluence(rb, B.value);
    assert.ok(pa && pb);
    close(influenceCovariance(pa, pa), ref.varA, 1e-15, 'var A');
    close(influenceCovariance(pb, pb), ref.varB, 1e-15, 'var B');
    close(influenceCovariance(pa, pb), ref.cov, 1e-15, 'cov');
    close(differenceVariance(pa, pb), ref.varA + ref.varB - 2 * ref.cov, 1e-15, 'var A-B');
  }
});

test('DeLong needs 2 positives and 2 negatives; identical models have no test', () => {
  const r = rankLabel([0.1, 0.5, 0.9], [0, 1, 0]);
  assert.equal(delongInfluence(r, 0.5), null);
  assert.equal(delongTest(0, 0), null);
});

test('normal distribution to near double precision (vs vega-statistics and known values)', async () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-15, 'q(0.975)');
  close(normalCdf(1.96), 0.9750021048517795, 3e-16, 'cdf(1.96)');
  close(normalUpperTail(8) / 6.220960574271785e-16, 1, 1e-12, 'upper tail(8) relative');
  // vega (a direct dependency) re-exports vega-statistics at run time; its typings omit them.
  const vs = (await import('vega')) as unknown as { quantileNormal(p: number): number; cumulativeNormal(z: number): number };
  // vega's quantile is an erfinv approximation good to ~1e-9 in the body; the far tail is
  // checked by the round trip instead.
  for (const p of [0.001, 0.025, 0.3, 0.5, 0.77, 0.999]) {
    close(normalQuantile(p), vs.quantileNormal(p), 1e-9 * Math.max(1, Math.abs(vs.quantileNormal(p))), `q(${p})`);
  }
  for (const p of [1e-100, 1e-10, 1e-4, 0.025, 0.3, 0.5]) close(normalCdf(normalQuantile(p)) / p, 1, 1e-12, `cdf(q(${p}))`);
  for (const z of [-6, -2.5, -1, 0, 0.3, 1.4, 3, 5]) close(normalCdf(z), vs.cumulativeNormal(z), 2e-15, `cdf(${z})`);
});

test('bootstrap SD agrees with the DeLong SD within a few percent at 2000 resamples', () => {
  for (const [seed, levels] of [[1, 0], [2, 10]]) {
    const { scores, truth } = syntheticLabel(600, 0.3, 1.2, seed, levels);
    const r = evaluatePredictions({ labels: ['x'], scores: [scores], truth: [truth], seed: 99, resamples: 2000 });
    const s = r.labels[0];
    assert.ok(s.defined && s.bootstrap.defined && s.delong.defined);
    const ratio = s.bootstrap.sd / s.delong.standardError;
    assert.ok(Math.abs(ratio - 1) < 0.05, `bootstrap SD / DeLong SD = ${ratio}`);
    close(s.bootstrap.mean, s.auroc, 3 * s.delong.standardError / Math.sqrt(2000) + 0.002, 'bootstrap mean vs AUROC');
  }
});
