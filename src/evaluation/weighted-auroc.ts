import type { RankedLabel } from './ranked-label';

/**
 * AUROC of a bootstrap resample given how often each image occurs in it (`multiplicity`, by
 * image index). A resample of the sorted order is still sorted, so this is one O(n) pass with
 * pair counts weighted by multiplicity; no re-sorting. Integer arithmetic, exact.
 * Returns NaN when the resample holds no positive or no negative (callers count and skip those).
 *
 * Hot loop (n x labels x models x resamples): flat over positions rather than nested over tie
 * groups, and branch-free on the class, which measured about 2x faster than the grouped form.
 */
export function weightedAuroc(r: RankedLabel, multiplicity: Int32Array): number {
  const { code, groupFirst } = r;
  const n = code.length;
  let twiceCorrect = 0;
  let negativesBelow = 0;
  let positives = 0;
  let groupPositives = 0;
  let groupAll = 0;
  for (let k = 0; k < n; k++) {
    if (groupFirst[k] === 1) {
      const groupNegatives = groupAll - groupPositives;
      twiceCorrect += groupPositives * (2 * negativesBelow + groupNegatives);
      negativesBelow += groupNegatives;
      positives += groupPositives;
      groupPositives = 0;
      groupAll = 0;
    }
    const cd = code[k];
    const c = multiplicity[cd >> 1];
    groupAll += c;
    groupPositives += c & -(cd & 1);
  }
  const groupNegatives = groupAll - groupPositives;
  twiceCorrect += groupPositives * (2 * negativesBelow + groupNegatives);
  negativesBelow += groupNegatives;
  positives += groupPositives;
  if (positives === 0 || negativesBelow === 0) return NaN;
  return twiceCorrect / (2 * positives * negativesBelow);
}
