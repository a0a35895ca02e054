import type { RankedLabel } from './ranked-label';

/**
 * Empirical ROC curve: one point per distinct score, thresholds descending, "positive" meaning
 * score >= threshold. The first point is (0, 0) at threshold +Infinity, the last is (1, 1).
 * Only defined for labels with both classes (callers check first).
 */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

export function rocCurve(r: RankedLabel): RocCurve {
  const { positiveAt, groupStart, groupScore } = r;
  const groups = groupStart.length - 1;
  const fpr = new Float64Array(groups + 1);
  const tpr = new Float64Array(groups + 1);
  const thresholds = new Float64Array(groups + 1);
  thresholds[0] = Infinity;
  let tp = 0;
  let fp = 0;
  for (let g = groups - 1, point = 1; g >= 0; g--, point++) {
    const end = groupStart[g + 1];
    for (let k = groupStart[g]; k < end; k++) {
      if (positiveAt[k]) tp++;
      else fp++;
    }
    tpr[point] = tp / r.positives;
    fpr[point] = fp / r.negatives;
    thresholds[point] = groupScore[g];
  }
  return { fpr, tpr, thresholds };
}

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** null for the (0, 0) point, whose threshold is +Infinity (not representable in JSON). */
  threshold: number | null;
}

/**
 * At most `maxPoints` points for plotting, spaced evenly along the curve's path length so both
 * steep and flat parts keep their shape; the end points and the given `keep` thresholds' points
 * (e.g. the Youden point) are always kept.
 */
export function downsampleRoc(curve: RocCurve, maxPoints = 200, keep: number[] = []): RocPoint[] {
  const m = curve.fpr.length;
  const point = (i: number): RocPoint => ({
    fpr: curve.fpr[i],
    tpr: curve.tpr[i],
    threshold: Number.isFinite(curve.thresholds[i]) ? curve.thresholds[i] : null,
  });
  const chosen = new Set<number>([0, m - 1]);
  for (let i = 0; i < m; i++) if (keep.includes(curve.thresholds[i])) chosen.add(i);
  if (m <= maxPoints) {
    for (let i = 0; i < m; i++) chosen.add(i);
  } else {
    let length = 0;
    for (let i = 1; i < m; i++) length += Math.hypot(curve.fpr[i] - curve.fpr[i - 1], curve.tpr[i] - curve.tpr[i - 1]);
    const step = length / Math.max(1, maxPoints - chosen.size - 1);
    let walked = 0;
    let next = step;
    for (let i = 1; i < m - 1 && chosen.size < maxPoints; i++) {
      walked += Math.hypot(curve.fpr[i] - curve.fpr[i - 1], curve.tpr[i] - curve.tpr[i - 1]);
      if (walked >= next) {
        chosen.add(i);
        while (next <= walked) next += step;
      }
    }
  }
  return [...chosen].sort((a, b) => a - b).map(point);
}
