/** Number formatting shared by the HTML and terminal tables, so both read the same. */

export function fixed(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined ? '—' : x.toFixed(digits);
}

/**
 * P values the way the study prints them: "<0.001" below a thousandth. A bootstrap P of exactly
 * 0 means "fewer than 1 in the resamples", so it prints as "<1/B".
 */
export function formatP(p: number | null | undefined, resamples?: number): string {
  if (p === null || p === undefined) return '—';
  if (p === 0 && resamples) return `<${formatSmall(1 / resamples)}`;
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

function formatSmall(x: number): string {
  return x >= 0.001 ? String(Number(x.toPrecision(3))) : x.toExponential(1);
}
