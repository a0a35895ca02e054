import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareModels, evaluatePredictions } from '../../src/evaluation/evaluator';
import { formatTable } from '../../src/evaluation/format-table';
import { buildReport } from '../../src/evaluation/report';
import { syntheticLabel } from './fixtures';

const n = 3000;
const a = syntheticLabel(n, 0.2, 1.4, 31);
const b = syntheticLabel(n, 0.4, 0.6, 32, 40);
const none = new Uint8Array(n);
const alt = (x: Float64Array, k: number) => x.map((s, i) => s + 0.5 * Math.sin(i * k));

function sample() {
  return compareModels({
    labels: ['Effusion', 'Cardiomegaly <b>', 'Hernia'],
    truth: [a.truth, b.truth, none],
    seed: 7,
    resamples: 200,
    models: [
      { name: 'dinov2', scores: [a.scores, b.scores, a.scores] },
      { name: 'imagenet21k', scores: [alt(a.scores, 1), alt(b.scores, 2), a.scores] },
    ],
  });
}

test('report is plain JSON: round-trips exactly, no NaN or Infinity, ROC downsampled', () => {
  const report = buildReport(sample(), { split: 'test', createdAt: new Date(0), maxRocPoints: 120 });
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  assert.equal(report.kind, 'cxr.evaluation-report');
  assert.deepEqual(report.labels, ['Effusion', 'Cardiomegaly <b>', 'Hernia']);
  assert.deepEqual([report.bootstrap.seed, report.bootstrap.resamples], [7, 200]);
  assert.match(report.bootstrap.indicesSha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(report.undefinedLabels.map((u) => [u.label, u.reason]), [['Hernia', 'no-positives']]);
  for (const m of report.models) {
    for (const s of m.labels) {
      if (!s.defined) continue;
      // Effusion has ~3000 distinct scores (downsampled); the 40-level label keeps all its points
      assert.ok(s.roc.length <= 120 && s.roc.length > 30, `${s.label}: ${s.roc.length} points`);
      assert.deepEqual(s.roc[0], { fpr: 0, tpr: 0, threshold: null });
    }
    assert.ok(m.mean.defined && m.mean.labelsExcluded[0].label === 'Hernia');
  }
  const c = report.comparisons[0];
  assert.deepEqual([c.a, c.b, c.labels.length], ['dinov2', 'imagenet21k', 2]);
});

test('same inputs and seed give the same report (apart from its creation time)', () => {
  const r1 = buildReport(sample(), { createdAt: new Date(0) });
  const r2 = buildReport(sample(), { createdAt: new Date(0) });
  assert.deepEqual(r1, r2);
});

test('single-model evaluation builds a report too', () => {
  const r = evaluatePredictions({ labels: ['Effusion'], scores: [a.scores], truth: [a.truth], seed: 1, resamples: 50 });
  const report = buildReport(r, { modelName: 'dinov2' });
  assert.deepEqual(report.models.map((m) => m.name), ['dinov2']);
  assert.deepEqual(report.comparisons, []);
  assert.match(formatTable(report), /Effusion/);
});

test('terminal table: one row per label, undefined labels named, mean row, P columns', () => {
  const report = buildReport(sample());
  const text = formatTable(report);
  const lines = text.split('\n');
  assert.match(lines[0], /dinov2 AUROC±SD.*imagenet21k AUROC±SD.*P dinov2>imagenet21k/);
  const row = lines.find((l) => l.startsWith('Effusion'));
  assert.ok(row);
  const s = report.models[0].labels[0];
  assert.ok(s.defined && s.bootstrap.defined);
  assert.ok(row.includes(`${s.bootstrap.mean.toFixed(3)}±${s.bootstrap.sd.toFixed(3)}`), row);
  assert.match(lines.find((l) => l.startsWith('Hernia')) ?? '', /undefined: no-positives/);
  assert.ok(lines.some((l) => l.startsWith('Mean')));
  assert.match(text, /Hernia: no positive cases among 3000/);
});
