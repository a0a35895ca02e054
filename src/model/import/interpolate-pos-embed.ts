/**
 * Position-embedding resampling when a checkpoint's grid differs from the model's (DINOv2 is
 * pre-trained at 518 px = 37x37 patches; at 224 px the grid is 16x16). The three reference codes
 * resample differently and the outputs differ by up to ~1e-2, so each is reproduced exactly and the
 * importer records which one it used:
 *
 * - 'dinov2-hub' (facebookresearch/dinov2 vision_transformer.py interpolate_pos_encoding):
 *   F.interpolate(scale_factor=(g+0.1)/G, mode='bicubic', align_corners=False, antialias=False).
 *   With scale_factor given, PyTorch sizes the output floor(G*s) and maps output i to input
 *   (i+0.5)/s - 0.5, i.e. with the scale factor itself, not G/g.
 * - 'hf' (transformers modeling_dinov2.py): F.interpolate(size=(g,g), mode='bicubic',
 *   align_corners=False), no antialias: input = (i+0.5)*G/g - 0.5.
 * - 'timm' (timm layers/pos_embed.py resample_abs_pos_embed as called by checkpoint_filter_fn):
 *   size=(g,g), bicubic, antialias=True, which PyTorch implements PIL-style: Keys cubic with
 *   a=-0.5, support widened by G/g when shrinking, weights over in-range taps normalised.
 *
 * Non-antialiased bicubic uses a=-0.75 and clamps tap indices to the edge
 * (aten/src/ATen/native/UpSample.h, cpu/UpSampleKernel.cpp).
 */
import { invalidArgument } from '../../errors/cxr-error';
import { Tensor, fmtShape } from './tensor';

export type PosEmbedConvention = 'dinov2-hub' | 'hf' | 'timm';

/** Cubic convolution kernel with parameter a (Keys 1981). */
export function cubicKernel(x: number, a: number): number {
  x = Math.abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/** One output position's taps: input indices and weights. */
interface Taps { idx: number[]; w: number[] }

/** PyTorch's non-antialiased bicubic taps (upsample_bicubic2d, align_corners=False). `scale` is input/output. */
function bicubicTaps(outSize: number, inSize: number, scale: number): Taps[] {
  const taps: Taps[] = [];
  for (let i = 0; i < outSize; i++) {
    const real = scale * (i + 0.5) - 0.5;
    // guard_index_and_lambda: floor, clamp to the last index, lambda clamped to [0,1]
    const base = Math.min(Math.floor(real), inSize - 1);
    const t = Math.min(Math.max(real - base, 0), 1);
    const w = [cubicKernel(t + 1, -0.75), cubicKernel(t, -0.75), cubicKernel(1 - t, -0.75), cubicKernel(2 - t, -0.75)];
    const idx = [-1, 0, 1, 2].map((o) => Math.max(Math.min(base + o, inSize - 1), 0));
    taps.push({ idx, w });
  }
  return taps;
}

/** PyTorch's antialiased bicubic taps (_upsample_bicubic2d_aa, PIL's resample). */
function bicubicAaTaps(outSize: number, inSize: number, scale: number): Taps[] {
  const support = scale >= 1 ? 2 * scale : 2;
  const invscale = scale >= 1 ? 1 / scale : 1;
  const taps: Taps[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    // static_cast<int64_t> truncates toward zero
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const idx: number[] = [];
    const w: number[] = [];
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const v = cubicKernel((j + xmin - center + 0.5) * invscale, -0.5);
      idx.push(xmin + j);
      w.push(v);
      total += v;
    }
    if (total !== 0) for (let j = 0; j < w.length; j++) w[j]! /= total;
    taps.push({ idx, w });
  }
  return taps;
}

export interface ResamplePlan {
  convention: PosEmbedConvention;
  /** PyTorch's interpolate arguments, recorded in provenance. */
  call: string;
}

/**
 * Resamples a [G*G, D] grid (row-major cells, channel last) to [g*g, D] by the convention's rule.
 * Separable: rows then columns, float64 accumulation.
 */
export function resampleGrid(grid: Float32Array, G: number, g: number, D: number, convention: PosEmbedConvention): Float32Array {
  let taps: Taps[];
  if (convention === 'dinov2-hub') {
    const s = (g + 0.1) / G;
    const produced = Math.floor(G * s);
    if (produced !== g) throw invalidArgument(`dinov2 scale-factor interpolation from ${G}x${G} cannot produce a ${g}x${g} grid (it gives ${produced})`);
    taps = bicubicTaps(g, G, 1 / s);
  } else if (convention === 'hf') {
    taps = bicubicTaps(g, G, G / g);
  } else {
    taps = bicubicAaTaps(g, G, G / g);
  }
  // columns (x) first, as PyTorch's separable kernel does, then rows (y)
  const tmp = new Float64Array(G * g * D);
  for (let y = 0; y < G; y++) {
    for (let x = 0; x < g; x++) {
      const { idx, w } = taps[x]!;
      const o = (y * g + x) * D;
      for (let k = 0; k < idx.length; k++) {
        const src = (y * G + idx[k]!) * D;
        const wk = w[k]!;
        for (let c = 0; c < D; c++) tmp[o + c]! += wk * grid[src + c]!;
      }
    }
  }
  const out = new Float32Array(g * g * D);
  for (let y = 0; y < g; y++) {
    const { idx, w } = taps[y]!;
    for (let x = 0; x < g; x++) {
      const o = (y * g + x) * D;
      for (let c = 0; c < D; c++) {
        let acc = 0;
        for (let k = 0; k < idx.length; k++) acc += w[k]! * tmp[(idx[k]! * g + x) * D + c]!;
        out[o + c] = acc;
      }
    }
  }
  return out;
}

export function describeResample(convention: PosEmbedConvention, G: number, g: number): string {
  switch (convention) {
    case 'dinov2-hub': return `F.interpolate(scale_factor=(${g}+0.1)/${G}, mode='bicubic', align_corners=False, antialias=False) ${G}x${G}->${g}x${g}`;
    case 'hf': return `F.interpolate(size=(${g},${g}), mode='bicubic', align_corners=False, antialias=False) ${G}x${G}->${g}x${g}`;
    case 'timm': return `F.interpolate(size=(${g},${g}), mode='bicubic', align_corners=False, antialias=True) ${G}x${G}->${g}x${g}`;
  }
}

/**
 * pos_embed [1, prefix+G*G, D] -> [1, prefix+g*g, D]; the `prefix` leading positions (the CLS
 * position) are copied unchanged, as every reference does.
 */
export function interpolatePosEmbed(pos: Tensor, targetGrid: number, convention: PosEmbedConvention, prefix = 1): Tensor {
  if (pos.shape.length !== 3 || pos.shape[0] !== 1) throw invalidArgument(`pos_embed has shape ${fmtShape(pos.shape)}, expected [1, ${prefix}+N, D]`);
  const [, T, D] = pos.shape as [number, number, number];
  const N = T - prefix;
  const G = Math.round(Math.sqrt(N));
  if (N <= 0 || G * G !== N) throw invalidArgument(`pos_embed has ${N} grid positions after ${prefix} prefix token(s), which is not a square grid`);
  if (G === targetGrid) return pos;
  const grid = pos.data.subarray(prefix * D);
  const out = new Float32Array((prefix + targetGrid * targetGrid) * D);
  out.set(pos.data.subarray(0, prefix * D), 0);
  out.set(resampleGrid(grid, G, targetGrid, D, convention), prefix * D);
  return { shape: [1, prefix + targetGrid * targetGrid, D], data: out, sourceDtype: pos.sourceDtype };
}
