import type { PosEmbedConvention } from '../../../src/model/import/interpolate-pos-embed';

/**
 * Independent reference: a direct 2-D convolution over the input, written from the definitions
 * rather than from the implementation's tap tables.
 * - no antialias: out(y,x) = sum over the edge-replicated plane of K(sy-i) K(sx-j) in(i,j), Keys a=-0.75,
 *   with s = (o+0.5)/scaleFactor - 0.5 (scaleFactor = g/G for size=, (g+0.1)/G for the dinov2 hub).
 * - antialias (PIL): out(y,x) = sum over in-range (i,j) of k(y,i) k(x,j) in(i,j), k(o,i) ∝ K((i+0.5-c)/f)
 *   with a=-0.5, c = (o+0.5)G/g, f = max(G/g, 1), normalised per axis.
 */
function keys(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
  if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
  return 0;
}

export function reference(grid: Float64Array, G: number, g: number, D: number, conv: PosEmbedConvention): Float64Array {
  const out = new Float64Array(g * g * D);
  const at = (i: number, j: number, c: number): number => grid[(Math.min(Math.max(i, 0), G - 1) * G + Math.min(Math.max(j, 0), G - 1)) * D + c]!;
  if (conv !== 'timm') {
    const sf = conv === 'hf' ? g / G : (g + 0.1) / G;
    for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) {
      const sy = (y + 0.5) / sf - 0.5;
      const sx = (x + 0.5) / sf - 0.5;
      for (let c = 0; c < D; c++) {
        let acc = 0;
        for (let i = -4; i < G + 4; i++) for (let j = -4; j < G + 4; j++) acc += keys(sy - i, -0.75) * keys(sx - j, -0.75) * at(i, j, c);
        out[(y * g + x) * D + c] = acc;
      }
    }
    return out;
  }
  const f = Math.max(G / g, 1);
  const axis = (o: number): number[] => {
    const c = ((o + 0.5) * G) / g;
    const w = Array.from({ length: G }, (_, i) => keys((i + 0.5 - c) / f, -0.5));
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / s);
  };
  for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) {
    const wy = axis(y);
    const wx = axis(x);
    for (let c = 0; c < D; c++) {
      let acc = 0;
      for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) acc += wy[i]! * wx[j]! * grid[(i * G + j) * D + c]!;
      out[(y * g + x) * D + c] = acc;
    }
  }
  return out;
}

