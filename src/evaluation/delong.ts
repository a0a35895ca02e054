import type { RankedLabel } from './ranked-label';
import { normalCdf, normalQuantile, normalUpperTail } from './normal-distribution';

/**
 * DeLong, DeLong & Clarke-Pearson (1988) in the fast form of Sun & Xu (2014): the structural
 * components V10 (per positive) and V01 (per negative) are midrank differences, which on the
 * once-sorted order are tie-group counts: for a positive, (negatives below + half the negatives
 * tied with it) / N; for a negative, (positives above + half the positives tied with it) / P.
 * O(n) after the sort.
 *
 * Everything downstream works on one vector per (model, label): each image's scaled influence
 *   psi_i = (V_i - AUROC) / sqrt(P (P - 1))   for a positive,
 *   psi_i = (V_i - AUROC) / sqrt(N (N - 1))   for a negative,
 * so that sum(psi^2) is exactly DeLong's S10/P + S01/N and sum(psiA * psiB) is DeLong's
 * covariance of two models on the same images. Averaging psi over labels gives the variance
 * of the macro-mean AUROC (and its paired difference) by the same rule; for one label it is
 * exactly DeLong, across labels it is the usual U-statistic (influence function) extension.
 */
export function delongInfluence(r: RankedLabel, auroc: number): Float64Array | null {
  const P = r.positives;
  const N = r.negatives;
  if (P < 2 || N < 2) return null;
  const { order, positiveAt, groupStart } = r;
  const psi = new Float64Array(r.n);
  const scalePos = 1 / Math.sqrt(P * (P - 1));
  const scaleNeg = 1 / Math.sqrt(N * (N - 1));
  let negativesBelow = 0;
  let positivesBelow = 0;
  for (let g = 0; g < groupStart.length - 1; g++) {
    const start = groupStart[g];
    const end = groupStart[g + 1];
    let p = 0;
    for (let k = start; k < end; k++) p += positiveAt[k];
    const q = end - start - p;
    const v10 = (negativesBelow + q / 2) / N;
    const v01 = (P - positivesBelow - p + p / 2) / P;
    for (let k = start; k < end; k++) {
      psi[order[k]] = positiveAt[k] ? (v10 - auroc) * scalePos : (v01 - auroc) * scaleNeg;
    }
    negativesBelow += q;
    positivesBelow += p;
  }
  return psi;
}

/** sum(a_i * b_i): a variance when a === b, a covariance otherwise. */
export function influenceCovariance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Variance of (A - B) from the two models' influence vectors on the same images. */
export function differenceVariance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

export interface DelongInterval {
  variance: number;
  standardError: number;
  /** auroc -/+ z_(1-(1-level)/2) * SE, clipped to [0, 1]. */
  ci: [number, number];
  level: number;
}

export function delongInterval(auroc: number, variance: number, level = 0.95): DelongInterval {
  const se = Math.sqrt(variance);
  const z = normalQuantile(1 - (1 - level) / 2);
  return {
    variance,
    standardError: se,
    ci: [Math.max(0, auroc - z * se), Math.min(1, auroc + z * se)],
    level,
  };
}

export interface DelongTest {
  /** (A - B) / SE(A - B). */
  z: number;
  /** P for "A beats B": P(Z >= z). */
  pOneSided: number;
  /** P for "A differs from B" (what pROC's roc.test reports). */
  pTwoSided: number;
}

/** Null when the difference has zero variance (e.g. the same predictions twice): no test possible. */
export function delongTest(difference: number, varianceOfDifference: number): DelongTest | null {
  if (!(varianceOfDifference > 0)) return null;
  const z = difference / Math.sqrt(varianceOfDifference);
  return {
    z,
    pOneSided: normalUpperTail(z),
    pTwoSided: Math.min(1, 2 * (z >= 0 ? normalUpperTail(z) : normalCdf(z))),
  };
}
