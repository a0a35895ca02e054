import { invalidArgument } from '../errors/cxr-error';

/** Scores for one label, one per image; higher means more likely positive. */
export type Scores = Float32Array | Float64Array | readonly number[];
/** Ground truth for one label, one per image: 1 positive, 0 negative. */
export type Truth = Uint8Array | readonly number[];

/**
 * One model's scores for one label, sorted once (ascending) and cut into groups of equal score.
 * Every statistic here (AUROC, bootstrap AUROCs, DeLong placements, ROC, Youden) is a linear walk
 * over this order, so the O(n log n) sort is paid once per label, never per resample.
 */
export interface RankedLabel {
  readonly n: number;
  readonly positives: number;
  readonly negatives: number;
  /** Image index at each sorted position. */
  readonly order: Int32Array;
  /** 1 where the image at that sorted position is positive. */
  readonly positiveAt: Uint8Array;
  /** Start of each tie group in sorted positions, plus n at the end (length groups + 1). */
  readonly groupStart: Int32Array;
  /** The score shared by each tie group. */
  readonly groupScore: Float64Array;
  /** Per sorted position: image index * 2 + (1 if positive); one load in the bootstrap's hot loop. */
  readonly code: Int32Array;
  /** 1 where a sorted position starts a tie group. */
  readonly groupFirst: Uint8Array;
}

/**
 * Validates and ranks. Ties are exact equality of the given numbers (float32 scores are compared
 * as float32 values); near-ties that differ in the last bit stay distinct.
 * `field` names the input in error messages, e.g. "scores[3]".
 */
export function rankLabel(scores: Scores, truth: Truth, field = 'scores'): RankedLabel {
  const n = scores.length;
  if (truth.length !== n) {
    throw invalidArgument(`${field} has ${n} scores but the truth has ${truth.length} entries`, [
      { field, description: 'one score per image, same length as the truth' },
    ]);
  }
  if (n === 0) throw invalidArgument(`${field} is empty`, [{ field, description: 'at least one image' }]);
  if (n >= 2 ** 30) throw invalidArgument(`${field} has ${n} images; at most 2^30 - 1 are supported`, [{ field, description: 'fewer images' }]);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i];
    if (t === 1) positives++;
    else if (t !== 0) {
      throw invalidArgument(`truth for ${field}[${i}] is ${t}; it must be 0 or 1`, [
        { field: `${field}[${i}]`, description: 'truth must be 0 (negative) or 1 (positive)' },
      ]);
    }
    if (Number.isNaN(scores[i])) {
      throw invalidArgument(`${field}[${i}] is NaN; every image needs a score`, [
        { field: `${field}[${i}]`, description: 'a number (not NaN)' },
      ]);
    }
  }
  const s = scores;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Index as the second key keeps the order deterministic across engines.
  order.sort((a, b) => (s[a] < s[b] ? -1 : s[a] > s[b] ? 1 : a - b));
  const positiveAt = new Uint8Array(n);
  const code = new Int32Array(n);
  const groupFirst = new Uint8Array(n);
  const starts: number[] = [];
  const groupScores: number[] = [];
  let prev = NaN;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    positiveAt[k] = truth[i] as number;
    code[k] = i * 2 + positiveAt[k];
    const v = s[i];
    if (v !== prev) {
      groupFirst[k] = 1;
      starts.push(k);
      groupScores.push(v);
      prev = v;
    }
  }
  starts.push(n);
  return {
    n,
    positives,
    negatives: n - positives,
    order,
    positiveAt,
    groupStart: Int32Array.from(starts),
    groupScore: Float64Array.from(groupScores),
    code,
    groupFirst,
  };
}
