/**
 * Separable resampling with PIL's BILINEAR filter (a triangle kernel widened by the scale factor
 * when shrinking, so downsampling averages instead of aliasing), on float data: the same maths as
 * PIL's Image.resize(BILINEAR) and torchvision's Resize(antialias=True). Hand-written rather than
 * sharp because libvips mangles single-channel float input (it forces sRGB); ~20 ms for 2048² -> 224².
 */
interface Taps { start: Int32Array; count: Int32Array; weights: Float32Array; support: number }

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // triangle support 1, widened
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let sum = 0;
    const n = Math.min(hi - lo, maxTaps);
    for (let j = 0; j < n; j++) {
      const x = Math.abs((j + lo - centre + 0.5) / filterScale);
      const w = x < 1 ? 1 - x : 0;
      weights[o * maxTaps + j] = w;
      sum += w;
    }
    if (sum > 0) for (let j = 0; j < n; j++) weights[o * maxTaps + j] /= sum;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, support: maxTaps };
}

/** Resizes a row-major single-channel image to outW x outH without keeping the aspect ratio. */
export function resizeBilinear(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const tx = taps(w, outW), ty = taps(h, outH);
  const tmp = new Float32Array(outW * h); // horizontal pass first: it shrinks the widest dimension early
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let o = 0; o < outW; o++) {
      const s = tx.start[o], n = tx.count[o], wo = o * tx.support;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += src[row + s + j] * tx.weights[wo + j];
      tmp[y * outW + o] = acc;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let o = 0; o < outH; o++) {
    const s = ty.start[o], n = ty.count[o], wo = o * ty.support;
    const dst = o * outW;
    for (let j = 0; j < n; j++) {
      const wgt = ty.weights[wo + j];
      const srow = (s + j) * outW;
      for (let x = 0; x < outW; x++) out[dst + x] += tmp[srow + x] * wgt;
    }
  }
  return out;
}
