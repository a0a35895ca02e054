import { invalidArgument } from '../errors/cxr-error';
import { aurocOfRanked } from './auroc';
import { bootstrapAurocs } from './bootstrap-aurocs';
import { createBootstrapPlan, DEFAULT_RESAMPLES, type BootstrapPlan } from './bootstrap-plan';
import { summariseBootstrap } from './bootstrap-summary';
import { delongInfluence, delongInterval, influenceCovariance } from './delong';
import type {
  DefinedBootstrap,
  ExcludedLabel,
  LabelStats,
  MeanAuroc,
  ModelEvaluation,
} from './label-stats';
import { adjustAcrossLabels, compareEntry, type ModelComparison } from './model-comparison';
import { rankLabel, type RankedLabel, type Scores, type Truth } from './ranked-label';
import { rocCurve } from './roc-curve';
import { undefinedStatistic, type UndefinedStatistic } from './undefined-statistic';
import { youdenPoint } from './youden';

export interface ModelPredictions {
  name: string;
  /** Per label (same order as `labels`), one score per image. */
  scores: Scores[];
}

interface CommonInput {
  labels: string[];
  /** Per label, one 0/1 per image; shared by every model (one split). */
  truth: Truth[];
  /** Seeds the bootstrap plan (ignored apart from a consistency check when `plan` is given). */
  seed: number;
  /** Default 1000. */
  resamples?: number;
  /** Reuse resamples drawn earlier on this split (e.g. stored with earlier predictions). */
  plan?: BootstrapPlan;
  /** Confidence level of every interval; default 0.95. */
  level?: number;
  /** Called as resamples complete (roughly every 1%). */
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluationInput extends CommonInput {
  scores: Scores[];
}

export interface ComparisonInput extends CommonInput {
  models: ModelPredictions[];
  /**
   * Ordered pairs [A, B] to test "A beats B", by model name. Default: every pair i < j in the
   * order given, i.e. list the candidate first and the baseline after it.
   */
  pairs?: [string, string][];
}

export interface PlanInfo {
  seed: number;
  n: number;
  resamples: number;
  generator: string;
}

export interface EvaluationResult extends ModelEvaluation {
  plan: PlanInfo;
  level: number;
}

export interface ComparisonResult {
  labels: string[];
  n: number;
  plan: PlanInfo;
  level: number;
  models: ({ name: string } & ModelEvaluation)[];
  comparisons: ModelComparison[];
  /** The plan actually used, for reuse by later comparisons on the same split. */
  bootstrapPlan: BootstrapPlan;
}

/** One model on one split: per-label statistics and the macro mean. */
export function evaluatePredictions(input: EvaluationInput): EvaluationResult & { bootstrapPlan: BootstrapPlan } {
  const result = compareModels({ ...input, models: [{ name: 'model', scores: input.scores }], pairs: [] });
  const { labels, mean } = result.models[0];
  return { labels, mean, plan: result.plan, level: result.level, bootstrapPlan: result.bootstrapPlan };
}

/**
 * Several models' predictions on the same split, every model resampled with the same indices,
 * and the paired comparisons asked for. Labels with no positives or no negatives are reported
 * as undefined and left out of every mean and comparison.
 */
export function compareModels(input: ComparisonInput): ComparisonResult {
  const { labels, truth, models } = input;
  const level = input.level ?? 0.95;
  if (!(level > 0 && level < 1)) {
    throw invalidArgument(`confidence level must be in (0, 1), got ${level}`, [{ field: 'level', description: 'e.g. 0.95' }]);
  }
  if (labels.length === 0) throw invalidArgument('no labels to evaluate', [{ field: 'labels', description: 'at least one label' }]);
  if (new Set(labels).size !== labels.length) {
    throw invalidArgument('label names must be unique', [{ field: 'labels', description: 'unique names' }]);
  }
  if (truth.length !== labels.length) {
    throw invalidArgument(`truth has ${truth.length} labels but ${labels.length} label names were given`, [
      { field: 'truth', description: 'one 0/1 array per label' },
    ]);
  }
  if (models.length === 0) throw invalidArgument('no models to evaluate', [{ field: 'models', description: 'at least one model' }]);
  if (new Set(models.map((m) => m.name)).size !== models.length) {
    throw invalidArgument('model names must be unique', [{ field: 'models', description: 'unique names' }]);
  }
  const n = truth[0].length;
  models.forEach((m, k) => {
    if (m.scores.length !== labels.length) {
      throw invalidArgument(`model "${m.name}" has scores for ${m.scores.length} labels, expected ${labels.length}`, [
        { field: `models[${k}].scores`, description: 'one score array per label, in label order' },
      ]);
    }
  });
  truth.forEach((t, l) => {
    if (t.length !== n) {
      throw invalidArgument(`truth for label "${labels[l]}" has ${t.length} images, expected ${n}`, [
        { field: `truth[${l}]`, description: 'every label covers the same images' },
      ]);
    }
  });
  const plan = resolvePlan(input, n);
  const pairs = resolvePairs(input);

  const ranked: (RankedLabel | null)[][] = [];
  const aurocs: number[][] = [];
  const influences: (Float64Array | null)[][] = [];
  const perModel: LabelStats[][] = [];
  for (let k = 0; k < models.length; k++) {
    const row: (RankedLabel | null)[] = [];
    const aRow: number[] = [];
    const psiRow: (Float64Array | null)[] = [];
    const stats: LabelStats[] = [];
    for (let l = 0; l < labels.length; l++) {
      const r = rankLabel(models[k].scores[l], truth[l], `models[${k}].scores[${l}]`);
      const counts = { label: labels[l], n, positives: r.positives, negatives: r.negatives };
      const a = aurocOfRanked(r);
      if (!a.defined) {
        row.push(null);
        aRow.push(NaN);
        psiRow.push(null);
        stats.push({ ...counts, defined: false, reason: a.reason, detail: a.detail });
        continue;
      }
      const psi = delongInfluence(r, a.value);
      row.push(r);
      aRow.push(a.value);
      psiRow.push(psi);
      stats.push({
        ...counts,
        defined: true,
        auroc: a.value,
        bootstrap: undefinedStatistic('no-usable-resamples', 'filled in below'),
        delong: psi ? { defined: true, ...delongInterval(a.value, influenceCovariance(psi, psi), level) } : tooFewForDelong(),
        youden: youdenPoint(r),
        roc: rocCurve(r),
      });
    }
    ranked.push(row);
    aurocs.push(aRow);
    influences.push(psiRow);
    perModel.push(stats);
  }

  const boot = bootstrapAurocs(plan, ranked, input.onProgress);
  const included = labels.map((_, l) => l).filter((l) => ranked[0][l] !== null);
  const excluded: ExcludedLabel[] = perModel[0].flatMap((s) => (s.defined ? [] : [{ label: s.label, reason: s.reason, detail: s.detail }]));
  const meanInfluence = influences.map((row) => averageInfluence(included.map((l) => row[l])));

  const modelResults = models.map((m, k) => {
    const stats = perModel[k].map((s, l) => (s.defined ? { ...s, bootstrap: bootstrapOrReason(boot.perLabel[k][l] as Float64Array, level) } : s));
    return { name: m.name, labels: stats, mean: meanOf(k) };
  });

  function meanOf(k: number): MeanAuroc {
    const labelsIncluded = included.map((l) => labels[l]);
    if (included.length === 0) {
      return {
        ...undefinedStatistic('no-defined-labels', 'no label has both positive and negative cases in this split'),
        labelsIncluded,
        labelsExcluded: excluded,
      };
    }
    const auroc = included.reduce((s, l) => s + aurocs[k][l], 0) / included.length;
    const psi = meanInfluence[k];
    return {
      defined: true,
      auroc,
      labelsIncluded,
      labelsExcluded: excluded,
      bootstrap: bootstrapOrReason(boot.mean[k], level),
      delong: psi ? { defined: true, ...delongInterval(auroc, influenceCovariance(psi, psi), level) } : tooFewForDelong(),
    };
  }

  const index = new Map(models.map((m, k) => [m.name, k]));
  const comparisons: ModelComparison[] = pairs.map(([nameA, nameB]) => {
    const a = index.get(nameA) as number;
    const b = index.get(nameB) as number;
    const perLabel = included.map((l) => ({
      label: labels[l],
      ...compareEntry(aurocs[a][l], aurocs[b][l], boot.perLabel[a][l] as Float64Array, boot.perLabel[b][l] as Float64Array,
        influences[a][l], influences[b][l], level),
    }));
    const meanA = modelResults[a].mean;
    const meanB = modelResults[b].mean;
    return {
      a: nameA,
      b: nameB,
      hypothesis: `${nameA} has the higher AUROC than ${nameB} (one-sided, paired)`,
      labels: adjustAcrossLabels(perLabel),
      mean:
        meanA.defined && meanB.defined
          ? compareEntry(meanA.auroc, meanB.auroc, boot.mean[a], boot.mean[b], meanInfluence[a], meanInfluence[b], level)
          : { ...undefinedStatistic('no-defined-labels', 'no label has both classes in this split'), aurocA: null, aurocB: null },
    };
  });

  return {
    labels: [...labels],
    n,
    plan: { seed: plan.seed, n: plan.n, resamples: plan.resamples, generator: plan.generator },
    level,
    models: modelResults,
    comparisons,
    bootstrapPlan: plan,
  };
}

function resolvePlan(input: CommonInput, n: number): BootstrapPlan {
  const plan = input.plan;
  if (!plan) return createBootstrapPlan(n, input.seed, input.resamples ?? DEFAULT_RESAMPLES);
  const mismatch =
    plan.n !== n ? `the plan covers ${plan.n} images, the predictions ${n}` :
    plan.seed !== input.seed ? `the plan was drawn with seed ${plan.seed}, not ${input.seed}` :
    input.resamples !== undefined && input.resamples !== plan.resamples ? `the plan holds ${plan.resamples} resamples, not ${input.resamples}` :
    null;
  if (mismatch) {
    throw invalidArgument(`bootstrap plan does not match this evaluation: ${mismatch}`, [
      { field: 'plan', description: 'a plan drawn for this split with this seed and resample count' },
    ]);
  }
  return plan;
}

function resolvePairs(input: ComparisonInput): [string, string][] {
  const names = input.models.map((m) => m.name);
  if (!input.pairs) {
    const all: [string, string][] = [];
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) all.push([names[i], names[j]]);
    return all;
  }
  input.pairs.forEach(([a, b], i) => {
    for (const name of [a, b]) {
      if (!names.includes(name)) {
        throw invalidArgument(`comparison pair ${i} names unknown model "${name}"`, [
          { field: `pairs[${i}]`, description: `one of: ${names.join(', ')}` },
        ]);
      }
    }
    if (a === b) throw invalidArgument(`comparison pair ${i} compares "${a}" with itself`, [{ field: `pairs[${i}]`, description: 'two different models' }]);
  });
  return input.pairs;
}

function averageInfluence(psis: (Float64Array | null)[]): Float64Array | null {
  if (psis.length === 0 || psis.some((p) => p === null)) return null;
  const out = new Float64Array((psis[0] as Float64Array).length);
  for (const p of psis as Float64Array[]) for (let i = 0; i < out.length; i++) out[i] += p[i];
  for (let i = 0; i < out.length; i++) out[i] /= psis.length;
  return out;
}

function bootstrapOrReason(values: Float64Array, level: number): DefinedBootstrap | UndefinedStatistic {
  const s = summariseBootstrap(values, level);
  if (!s) return undefinedStatistic('no-usable-resamples', `none of the ${values.length} resamples held both classes`);
  return { defined: true, ...s };
}

function tooFewForDelong(): UndefinedStatistic {
  return undefinedStatistic('too-few-for-variance', 'DeLong variance needs at least 2 positives and 2 negatives');
}
