/**
 * Summary of a bootstrap distribution as the study reports it: mean +- SD and the 95% percentile
 * interval. SD uses the (B - 1) denominator; percentiles interpolate linearly between order
 * statistics (Hyndman & Fan type 7, numpy's and R's default).
 */
export interface BootstrapSummary {
  mean: number;
  sd: number;
  ci: [number, number];
  level: number;
  /** Resamples that contributed. */
  resamplesUsed: number;
  /** Resamples left out because they held no positive or no negative for this label. */
  resamplesSkipped: number;
}

/** `values` may contain NaN for skipped resamples; those are counted, not used. Null when none is usable. */
export function summariseBootstrap(values: Float64Array, level = 0.95): BootstrapSummary | null {
  const used = values.filter((v) => !Number.isNaN(v)).sort();
  const skipped = values.length - used.length;
  const m = used.length;
  if (m === 0) return null;
  let sum = 0;
  for (let i = 0; i < m; i++) sum += used[i];
  const mean = sum / m;
  let ss = 0;
  for (let i = 0; i < m; i++) ss += (used[i] - mean) ** 2;
  const sd = m > 1 ? Math.sqrt(ss / (m - 1)) : 0;
  const alpha = (1 - level) / 2;
  return { mean, sd, ci: [percentile(used, alpha), percentile(used, 1 - alpha)], level, resamplesUsed: m, resamplesSkipped: skipped };
}

/** Type-7 percentile of ascending `sorted`, q in [0, 1]. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
