/** Counts of a binary decision against the truth. */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/**
 * The study's metrics at one operating point. A ratio whose denominator is zero is null
 * (e.g. NPV when every image is called positive), never NaN.
 */
export interface ConfusionMetrics {
  sensitivity: number | null;
  specificity: number | null;
  accuracy: number | null;
  precision: number | null;
  npv: number | null;
  f1: number | null;
}

export function confusionMetrics({ tp, fp, tn, fn }: ConfusionCounts): ConfusionMetrics {
  return {
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    accuracy: ratio(tp + tn, tp + fp + tn + fn),
    precision: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}
