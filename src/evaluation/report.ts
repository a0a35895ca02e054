import { planFingerprint } from './bootstrap-plan';
import type { ComparisonResult, EvaluationResult } from './evaluator';
import type { DefinedLabelStats, MeanAuroc, UndefinedLabelStats } from './label-stats';
import type { ModelComparison } from './model-comparison';
import { downsampleRoc, type RocPoint } from './roc-curve';
import type { BootstrapPlan } from './bootstrap-plan';
import type { UndefinedReason } from './undefined-statistic';

export const REPORT_KIND = 'cxr.evaluation-report';
export const REPORT_VERSION = 1;

export type ReportLabel = (Omit<DefinedLabelStats, 'roc'> & { roc: RocPoint[] }) | UndefinedLabelStats;

export interface ReportModel {
  name: string;
  labels: ReportLabel[];
  mean: MeanAuroc;
}

/**
 * Everything a reader needs to check or redo an evaluation, as plain JSON (no NaN, no Infinity,
 * no typed arrays): the bootstrap seed, count, generator and a SHA-256 of the indices make the
 * resamples reproducible and pairable with later comparisons on the same split.
 */
export interface Report {
  kind: typeof REPORT_KIND;
  version: typeof REPORT_VERSION;
  title: string;
  createdAt: string;
  split: string | null;
  n: number;
  labels: string[];
  level: number;
  bootstrap: { seed: number; resamples: number; generator: string; indicesSha256: string };
  models: ReportModel[];
  comparisons: ModelComparison[];
  /** Labels with no positives or no negatives in the split: no AUROC, left out of the means. */
  undefinedLabels: { label: string; reason: UndefinedReason; detail: string; positives: number; negatives: number }[];
}

export interface BuildReportOptions {
  title?: string;
  /** Free text naming the split, e.g. "chexpert/test"; never image identifiers. */
  split?: string;
  /** Name of the model when `result` is a single evaluation. */
  modelName?: string;
  createdAt?: Date;
  /** Most ROC points kept per model and label (default 200); Youden's point is always kept. */
  maxRocPoints?: number;
}

type SingleResult = EvaluationResult & { bootstrapPlan: BootstrapPlan };

export function buildReport(result: ComparisonResult | SingleResult, options: BuildReportOptions = {}): Report {
  const comparison: ComparisonResult = 'models' in result ? result : fromSingle(result, options.modelName ?? 'model');
  const maxPoints = options.maxRocPoints ?? 200;
  const models: ReportModel[] = comparison.models.map((m) => ({
    name: m.name,
    mean: m.mean,
    labels: m.labels.map((s): ReportLabel => {
      if (!s.defined) return s;
      const { roc, ...rest } = s;
      return { ...rest, roc: downsampleRoc(roc, maxPoints, [s.youden.threshold]) };
    }),
  }));
  const report: Report = {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    title: options.title ?? (models.length > 1 ? `Comparison of ${models.map((m) => m.name).join(', ')}` : `Evaluation of ${models[0].name}`),
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    split: options.split ?? null,
    n: comparison.n,
    labels: comparison.labels,
    level: comparison.level,
    bootstrap: { ...comparison.plan, indicesSha256: planFingerprint(comparison.bootstrapPlan) },
    models,
    comparisons: comparison.comparisons,
    undefinedLabels: comparison.models[0].labels.flatMap((s) =>
      s.defined ? [] : [{ label: s.label, reason: s.reason, detail: s.detail, positives: s.positives, negatives: s.negatives }]),
  };
  return jsonSafe(report) as Report;
}

function fromSingle(r: SingleResult, name: string): ComparisonResult {
  return {
    labels: r.labels.map((s) => s.label),
    n: r.plan.n,
    plan: r.plan,
    level: r.level,
    models: [{ name, labels: r.labels, mean: r.mean }],
    comparisons: [],
    bootstrapPlan: r.bootstrapPlan,
  };
}

/** Deep copy with typed arrays as arrays and non-finite numbers (only infinite thresholds can occur) as null. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (v) => jsonSafe(v));
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}
