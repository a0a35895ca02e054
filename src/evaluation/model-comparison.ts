import { benjaminiHochberg } from './benjamini-hochberg';
import { percentile } from './bootstrap-summary';
import { delongTest, differenceVariance, type DelongTest } from './delong';
import { undefinedStatistic, type UndefinedStatistic } from './undefined-statistic';

/**
 * "A beats B" on one label or on the mean AUROC. The bootstrap P is the study's: the fraction of
 * usable paired resamples in which AUROC_A <= AUROC_B (one-sided; ties count against A). A P of 0
 * means "below 1 / resamplesUsed", not zero. DeLong's P is from the paired normal test.
 */
export interface DefinedBootstrapComparison {
  defined: true;
  p: number;
  /** Mean and 95% percentile interval of AUROC_A - AUROC_B over the resamples. */
  meanDifference: number;
  differenceCi: [number, number];
  resamplesUsed: number;
  resamplesSkipped: number;
}

export type DefinedDelongComparison = { defined: true; varianceOfDifference: number } & DelongTest;

export interface ComparisonEntry {
  aurocA: number;
  aurocB: number;
  difference: number;
  bootstrap: DefinedBootstrapComparison | UndefinedStatistic;
  delong: DefinedDelongComparison | UndefinedStatistic;
}

export interface LabelComparison extends ComparisonEntry {
  label: string;
  /** Benjamini-Hochberg across this pair's compared labels; null where the raw P is undefined. */
  pBootstrapAdjusted: number | null;
  /** BH-adjusted one-sided DeLong P. */
  pDelongAdjusted: number | null;
}

export interface ModelComparison {
  a: string;
  b: string;
  hypothesis: string;
  /** Labels defined in the split (undefined labels are listed in each model's evaluation). */
  labels: LabelComparison[];
  /** Over the same included labels as the models' means; not part of the BH family. */
  mean: ComparisonEntry | (UndefinedStatistic & { aurocA: null; aurocB: null });
}

export function compareEntry(
  aurocA: number,
  aurocB: number,
  bootA: Float64Array,
  bootB: Float64Array,
  psiA: Float64Array | null,
  psiB: Float64Array | null,
  level: number,
): ComparisonEntry {
  return {
    aurocA,
    aurocB,
    difference: aurocA - aurocB,
    bootstrap: pairedBootstrap(bootA, bootB, level),
    delong: pairedDelong(aurocA - aurocB, psiA, psiB),
  };
}

function pairedBootstrap(a: Float64Array, b: Float64Array, level: number): DefinedBootstrapComparison | UndefinedStatistic {
  const diffs: number[] = [];
  let notBetter = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    diffs.push(a[i] - b[i]);
    if (a[i] <= b[i]) notBetter++;
  }
  if (diffs.length === 0) {
    return undefinedStatistic('no-usable-resamples', `none of the ${a.length} resamples held both classes`);
  }
  const sorted = Float64Array.from(diffs).sort();
  const alpha = (1 - level) / 2;
  let sum = 0;
  for (const d of diffs) sum += d;
  return {
    defined: true,
    p: notBetter / diffs.length,
    meanDifference: sum / diffs.length,
    differenceCi: [percentile(sorted, alpha), percentile(sorted, 1 - alpha)],
    resamplesUsed: diffs.length,
    resamplesSkipped: a.length - diffs.length,
  };
}

function pairedDelong(difference: number, psiA: Float64Array | null, psiB: Float64Array | null): DefinedDelongComparison | UndefinedStatistic {
  if (!psiA || !psiB) {
    return undefinedStatistic('too-few-for-variance', 'DeLong needs at least 2 positives and 2 negatives in every compared label');
  }
  const v = differenceVariance(psiA, psiB);
  const test = delongTest(difference, v);
  if (!test) {
    return undefinedStatistic('zero-variance', 'the two models rank every image alike (zero variance of the difference): no DeLong test');
  }
  return { defined: true, varianceOfDifference: v, ...test };
}

/** Fills in the BH-adjusted P values across a pair's labels. */
export function adjustAcrossLabels(entries: (ComparisonEntry & { label: string })[]): LabelComparison[] {
  const boot = benjaminiHochberg(entries.map((e) => (e.bootstrap.defined ? e.bootstrap.p : null)));
  const del = benjaminiHochberg(entries.map((e) => (e.delong.defined ? e.delong.pOneSided : null)));
  return entries.map((e, i) => ({ ...e, pBootstrapAdjusted: boot[i], pDelongAdjusted: del[i] }));
}
