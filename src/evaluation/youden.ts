import { confusionMetrics, type ConfusionCounts, type ConfusionMetrics } from './confusion-metrics';
import type { RankedLabel } from './ranked-label';

/** A decision threshold with its counts and metrics; Predict calls "positive" when score >= threshold. */
export interface OperatingPoint extends ConfusionCounts, ConfusionMetrics {
  threshold: number;
  /** tpr - fpr at the threshold. */
  youdenIndex: number;
}

/**
 * Youden's threshold: the observed score maximising tpr - fpr. J is compared exactly in integers
 * (tp*N - fp*P), so float rounding cannot pick between equal points. Tie rule: the HIGHEST
 * threshold among equal maxima wins (the most specific point), which is what
 * `thresholds[argmax(tpr - fpr)]` gives on scikit-learn's descending roc_curve.
 * Only defined for labels with both classes (callers check first).
 */
export function youdenPoint(r: RankedLabel): OperatingPoint {
  const { positiveAt, groupStart, groupScore, positives: P, negatives: N } = r;
  let tp = 0;
  let fp = 0;
  let best = -Infinity;
  let bestGroup = 0;
  let bestTp = 0;
  let bestFp = 0;
  for (let g = groupStart.length - 2; g >= 0; g--) {
    const end = groupStart[g + 1];
    for (let k = groupStart[g]; k < end; k++) {
      if (positiveAt[k]) tp++;
      else fp++;
    }
    const j = tp * N - fp * P;
    if (j > best) {
      best = j;
      bestGroup = g;
      bestTp = tp;
      bestFp = fp;
    }
  }
  return operatingPoint(groupScore[bestGroup], { tp: bestTp, fp: bestFp, tn: N - bestFp, fn: P - bestTp });
}

export function operatingPoint(threshold: number, counts: ConfusionCounts): OperatingPoint {
  const P = counts.tp + counts.fn;
  const N = counts.tn + counts.fp;
  const youdenIndex = (P === 0 ? 0 : counts.tp / P) - (N === 0 ? 0 : counts.fp / N);
  return { threshold, youdenIndex, ...counts, ...confusionMetrics(counts) };
}
