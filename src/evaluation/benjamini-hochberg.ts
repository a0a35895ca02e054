/**
 * Benjamini-Hochberg adjusted P values (step-up, as R's p.adjust(method = "BH")):
 * p_adj(i) = min over ranks k >= rank(i) of p_(k) * m / k, capped at 1.
 * Null entries (tests that could not be done) are passed through as null and do not count in m.
 */
export function benjaminiHochberg(pValues: readonly (number | null)[]): (number | null)[] {
  const present = pValues
    .map((p, i) => ({ p, i }))
    .filter((e): e is { p: number; i: number } => e.p !== null)
    .sort((a, b) => a.p - b.p || a.i - b.i);
  const m = present.length;
  const out: (number | null)[] = pValues.map(() => null);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    running = Math.min(running, (present[k].p * m) / (k + 1));
    out[present[k].i] = running;
  }
  return out;
}
