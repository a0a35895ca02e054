/**
 * Why a statistic has no value. Reports carry this instead of NaN so that a reader (and JSON)
 * always sees a reason, and means over labels can list what they left out.
 */
export type UndefinedReason =
  | 'no-positives'
  | 'no-negatives'
  | 'too-few-for-variance'
  | 'no-usable-resamples'
  | 'zero-variance'
  | 'no-defined-labels';

export interface UndefinedStatistic {
  defined: false;
  reason: UndefinedReason;
  /** A sentence a researcher can act on. */
  detail: string;
}

export function undefinedStatistic(reason: UndefinedReason, detail: string): UndefinedStatistic {
  return { defined: false, reason, detail };
}

/** The reason a label cannot have an AUROC, or null when it has both classes. */
export function classBalanceProblem(positives: number, negatives: number): UndefinedStatistic | null {
  if (positives === 0) {
    return undefinedStatistic('no-positives', `no positive cases among ${negatives} (AUROC needs both classes)`);
  }
  if (negatives === 0) {
    return undefinedStatistic('no-negatives', `no negative cases among ${positives} (AUROC needs both classes)`);
  }
  return null;
}
