import { SeededRandom } from '../../src/evaluation/seeded-random';

/** Generated two-class data: `levels` > 0 rounds scores to that many values, creating ties. */
export function syntheticLabel(n: number, prevalence: number, separation: number, seed: number, levels = 0) {
  const rng = new SeededRandom(seed);
  const u = () => (rng.nextUint32() + 0.5) / 4294967296;
  const truth = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    truth[i] = u() < prevalence ? 1 : 0;
    const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const s = 1 / (1 + Math.exp(-(g + truth[i] * separation)));
    scores[i] = levels > 0 ? Math.round(s * levels) / levels : s;
  }
  return { truth, scores };
}

/** O(P x N) pair counting: the definition, independent of the sorted-order code under test. */
export function bruteAuroc(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (truth[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (truth[j] !== 0) continue;
      pairs++;
      num += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return num / pairs;
}

/** DeLong (1988) by the textbook O(P x N) placements: V10, V01, S10, S01. */
export function bruteDelong(a: ArrayLike<number>, b: ArrayLike<number>, truth: ArrayLike<number>) {
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < truth.length; i++) (truth[i] === 1 ? pos : neg).push(i);
  const comps = (s: ArrayLike<number>) => {
    const v10 = pos.map((i) => neg.reduce((t, j) => t + psi(s[i], s[j]), 0) / neg.length);
    const v01 = neg.map((j) => pos.reduce((t, i) => t + psi(s[i], s[j]), 0) / pos.length);
    const auc = v10.reduce((t, v) => t + v, 0) / pos.length;
    return { v10, v01, auc };
  };
  const A = comps(a);
  const B = comps(b);
  const cov = (x: number[], mx: number, y: number[], my: number) => x.reduce((t, xi, k) => t + (xi - mx) * (y[k] - my), 0) / (x.length - 1);
  const s10 = (X: typeof A, Y: typeof A) => cov(X.v10, X.auc, Y.v10, Y.auc);
  const s01 = (X: typeof A, Y: typeof A) => cov(X.v01, X.auc, Y.v01, Y.auc);
  const v = (X: typeof A, Y: typeof A) => s10(X, Y) / pos.length + s01(X, Y) / neg.length;
  return { aucA: A.auc, aucB: B.auc, varA: v(A, A), varB: v(B, B), cov: v(A, B) };
}
