import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankLabel } from '../../src/evaluation/ranked-label';
import { downsampleRoc, rocCurve } from '../../src/evaluation/roc-curve';
import { youdenPoint } from '../../src/evaluation/youden';
import { aurocOfRanked } from '../../src/evaluation/auroc';
import { confusionMetrics } from '../../src/evaluation/confusion-metrics';
import { syntheticLabel } from './fixtures';

test('Youden point and its metrics, hand-computed', () => {
  // scores: neg 0.1 0.3 0.6, pos 0.4 0.7 0.8 (P=3, N=3)
  const r = rankLabel([0.1, 0.3, 0.6, 0.4, 0.7, 0.8], [0, 0, 0, 1, 1, 1]);
  const y = youdenPoint(r);
  // threshold 0.7: tp 2 fp 0 -> J = 2/3; threshold 0.4: tp 3 fp 1 -> J = 2/3 (tie), highest wins
  assert.equal(y.threshold, 0.7);
  assert.deepEqual([y.tp, y.fp, y.tn, y.fn], [2, 0, 3, 1]);
  assert.equal(y.sensitivity, 2 / 3);
  assert.equal(y.specificity, 1);
  assert.equal(y.accuracy, 5 / 6);
  assert.equal(y.precision, 1);
  assert.equal(y.npv, 3 / 4);
  assert.equal(y.f1, 4 / 5);
  assert.ok(Math.abs(y.youdenIndex - 2 / 3) < 1e-15);
});

test('Youden maximises tpr - fpr over every observed threshold', () => {
  const { scores, truth } = syntheticLabel(500, 0.2, 1.5, 3, 30);
  const r = rankLabel(scores, truth);
  const y = youdenPoint(r);
  let best = -Infinity;
  for (const t of new Set(scores)) {
    let tp = 0;
    let fp = 0;
    scores.forEach((s, i) => {
      if (s >= t) truth[i] ? tp++ : fp++;
    });
    best = Math.max(best, tp / r.positives - fp / r.negatives);
  }
  assert.ok(Math.abs(y.youdenIndex - best) < 1e-12);
});

test('zero denominators give null, not NaN', () => {
  const m = confusionMetrics({ tp: 3, fp: 2, tn: 0, fn: 0 });
  assert.equal(m.npv, null);
  assert.equal(m.specificity, 0);
  assert.equal(m.sensitivity, 1);
});

test('ROC curve runs (0,0) to (1,1), monotone; downsampling keeps ends and the Youden point', () => {
  const { scores, truth } = syntheticLabel(3000, 0.3, 1, 9);
  const r = rankLabel(scores, truth);
  const c = rocCurve(r);
  assert.deepEqual([c.fpr[0], c.tpr[0], c.thresholds[0]], [0, 0, Infinity]);
  assert.deepEqual([c.fpr[c.fpr.length - 1], c.tpr[c.tpr.length - 1]], [1, 1]);
  for (let i = 1; i < c.fpr.length; i++) assert.ok(c.fpr[i] >= c.fpr[i - 1] && c.tpr[i] >= c.tpr[i - 1]);
  // trapezoids under the empirical curve equal the AUROC (ties half)
  let area = 0;
  for (let i = 1; i < c.fpr.length; i++) area += ((c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1])) / 2;
  const y = youdenPoint(r);
  const d = downsampleRoc(c, 100, [y.threshold]);
  assert.ok(d.length <= 100 && d.length > 50, `got ${d.length} points`);
  assert.deepEqual(d[0], { fpr: 0, tpr: 0, threshold: null });
  assert.equal(d[d.length - 1].fpr, 1);
  assert.ok(d.some((p) => p.threshold === y.threshold));
  const a = aurocOfRanked(r);
  assert.ok(a.defined && Math.abs(area - a.value) < 1e-12);
});
