import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { auroc } from '../../src/evaluation/auroc';
import { delongInfluence, delongInterval, influenceCovariance } from '../../src/evaluation/delong';
import { compareModels } from '../../src/evaluation/evaluator';
import { rankLabel } from '../../src/evaluation/ranked-label';

const dir = resolve(__dirname, '../../../shared/testdata/auroc');
const file = join(dir, 'auroc_cases.json');

interface Case {
  id: string;
  kind: string;
  y_true: number[] | number[][] | string;
  y_score: number[] | number[][] | string;
  expected: Record<string, number | string>;
  tolerance?: number;
  conf_level?: number;
}

if (!existsSync(file)) {
  test('AUROC conformance (skipped: ../shared/testdata/auroc is absent)', { skip: 'no ../shared/testdata/auroc' }, () => {});
} else {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { datasets: Record<string, Record<string, unknown>>; cases: Case[] };
  const column = (ref: Case['y_true']): number[] => {
    if (typeof ref !== 'string') return ref as number[];
    const [ds, col] = ref.split('.');
    return doc.datasets[ds][col] as number[];
  };
  const close = (got: number, want: number, tol: number, what: string) =>
    assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, expected ${want} (tolerance ${tol})`);

  for (const c of doc.cases) {
    test(`conformance ${c.id} (${c.kind})`, () => {
      const tol = c.tolerance ?? 1e-12;
      switch (c.kind) {
        case 'binary_auroc': {
          const r = auroc(column(c.y_score), column(c.y_true));
          assert.ok(r.defined);
          close(r.value, c.expected.auroc as number, tol, 'auroc');
          break;
        }
        case 'binary_auroc_undefined': {
          const r = auroc(column(c.y_score), column(c.y_true));
          assert.equal(r.defined, false, 'one class only must be undefined');
          break;
        }
        case 'multilabel_auroc_average': {
          const t = c.y_true as number[][];
          const s = c.y_score as number[][];
          const labels = t[0].map((_, l) => `l${l}`);
          const r = compareModels({
            labels, seed: 1, resamples: 10,
            truth: labels.map((_, l) => t.map((row) => row[l])),
            models: [{ name: 'm', scores: labels.map((_, l) => s.map((row) => row[l])) }],
          });
          const mean = r.models[0].mean;
          if (typeof c.expected.macro === 'number') {
            assert.ok(mean.defined);
            close(mean.auroc, c.expected.macro, tol, 'macro');
          } else {
            // scikit-learn raises; we report the label as undefined and leave it out explicitly
            assert.ok(r.models[0].labels.some((x) => !x.defined));
            assert.ok(mean.labelsExcluded.length > 0);
          }
          break;
        }
        case 'binary_auroc_delong_var':
        case 'delong_ci': {
          const ranked = rankLabel(column(c.y_score), column(c.y_true));
          const a = auroc(column(c.y_score), column(c.y_true));
          assert.ok(a.defined);
          close(a.value, c.expected.auroc as number, tol, 'auroc');
          const psi = delongInfluence(ranked, a.value);
          assert.ok(psi);
          const variance = influenceCovariance(psi, psi);
          if (c.expected.delong_variance !== undefined) close(variance, c.expected.delong_variance as number, tol, 'DeLong variance');
          if (c.expected.ci_lower !== undefined) {
            const ci = delongInterval(a.value, variance, c.conf_level ?? 0.95).ci;
            close(ci[0], c.expected.ci_lower as number, tol, 'CI lower');
            close(ci[1], c.expected.ci_upper as number, tol, 'CI upper');
          }
          break;
        }
        default:
          assert.fail(`unknown case kind ${c.kind}: extend this suite`);
      }
    });
  }

  test('aSAH: bootstrap SD approaches sqrt(DeLong variance) at 2000 resamples', () => {
    const d = doc.datasets.aSAH as Record<string, number[]>;
    const r = compareModels({
      labels: ['poor'], truth: [d.outcome_poor], seed: 2024, resamples: 2000,
      models: ['wfns', 'ndka', 's100b'].map((name) => ({ name, scores: [d[name]] })),
    });
    for (const m of r.models) {
      const s = m.labels[0];
      assert.ok(s.defined && s.bootstrap.defined && s.delong.defined);
      const ratio = s.bootstrap.sd / s.delong.standardError;
      assert.ok(Math.abs(ratio - 1) < 0.05, `${m.name}: bootstrap SD ${s.bootstrap.sd} vs DeLong SD ${s.delong.standardError}`);
    }
  });
}
