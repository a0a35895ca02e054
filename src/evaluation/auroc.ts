import { rankLabel, type RankedLabel, type Scores, type Truth } from './ranked-label';
import { classBalanceProblem, type UndefinedStatistic } from './undefined-statistic';

export type AurocResult = { defined: true; value: number } | UndefinedStatistic;

/**
 * Exact AUROC (the Mann-Whitney statistic): the fraction of (positive, negative) pairs ordered
 * correctly, a tie counting one half. Counted in integers (twice the pair count) and divided once,
 * so the result is the correctly rounded value of the exact fraction.
 */
export function aurocOfRanked(r: RankedLabel): AurocResult {
  const problem = classBalanceProblem(r.positives, r.negatives);
  if (problem) return problem;
  const { positiveAt, groupStart } = r;
  const groups = groupStart.length - 1;
  let twiceCorrect = 0;
  let negativesBelow = 0;
  for (let g = 0; g < groups; g++) {
    let p = 0;
    const end = groupStart[g + 1];
    for (let k = groupStart[g]; k < end; k++) p += positiveAt[k];
    const q = end - groupStart[g] - p;
    twiceCorrect += p * (2 * negativesBelow + q);
    negativesBelow += q;
  }
  return { defined: true, value: twiceCorrect / (2 * r.positives * r.negatives) };
}

export function auroc(scores: Scores, truth: Truth): AurocResult {
  return aurocOfRanked(rankLabel(scores, truth));
}
