/**
 * Area under the ROC curve by the Mann-Whitney statistic with midranks for ties: the
 * probability that a random positive scores above a random negative (ties count half).
 * Just enough for per-epoch validation; the study's statistics live in src/evaluation.
 * Returns NaN when the labels hold only one class.
 */
export function auroc(scores: ArrayLike<number>, targets: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (targets[order[k]] > 0.5) {
        positives++;
        rankSum += midrank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Per-label AUROC for row-major [n, labels] scores and targets, and their mean over the labels
 * where it is defined (NaN when none is).
 */
export function macroAuroc(scores: Float32Array, targets: Uint8Array | Float32Array, labels: number): { perLabel: number[]; macro: number } {
  const n = scores.length / labels;
  const perLabel: number[] = [];
  const s = new Float64Array(n);
  const t = new Float64Array(n);
  for (let c = 0; c < labels; c++) {
    for (let i = 0; i < n; i++) {
      s[i] = scores[i * labels + c];
      t[i] = targets[i * labels + c];
    }
    perLabel.push(auroc(s, t));
  }
  const defined = perLabel.filter((a) => !Number.isNaN(a));
  return { perLabel, macro: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN };
}
