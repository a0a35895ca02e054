import { invalidArgument } from '../errors/cxr-error';
import { VitDescription, checkWeights, gridSize, mlpHidden } from './vit-description';

/**
 * An independent float64 ViT forward pass in plain loops: the yardstick for the ONNX graphs
 * and for importers. Written from the reference definitions (Conv2d patch embedding, pre-LN
 * blocks, exact GELU), sharing no code with the graph builder. Slow by design: tiny models only.
 */

/** erf to ~1e-15: Maclaurin series below 2.5, Lentz continued fraction of erfc above. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a > 6) return Math.sign(x);
  if (a < 2.5) {
    let term = a;
    let s = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      s += add;
      if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * s;
  }
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...))))
  let f = a;
  let C = a;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    D = a + an * D;
    C = a + an / C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

type W = ReadonlyMap<string, ArrayLike<number>>;

function get(w: W, name: string): ArrayLike<number> {
  const t = w.get(name);
  if (!t) throw invalidArgument(`missing weight '${name}'`);
  return t;
}

/** y[t] = W x[t] + b for each token; W is [out, in] row-major. */
function linearRows(x: Float64Array[], weight: ArrayLike<number>, bias: ArrayLike<number>, out: number): Float64Array[] {
  return x.map((row) => {
    const n = row.length;
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = bias[o]!;
      for (let i = 0; i < n; i++) s += weight[o * n + i]! * row[i]!;
      y[o] = s;
    }
    return y;
  });
}

function layerNormRows(x: Float64Array[], weight: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Float64Array[] {
  return x.map((row) => {
    const n = row.length;
    let mean = 0;
    for (const v of row) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of row) variance += (v - mean) ** 2;
    variance /= n;
    const inv = 1 / Math.sqrt(variance + eps);
    return row.map((v, i) => (v - mean) * inv * weight[i]! + bias[i]!);
  });
}

function attentionRows(desc: VitDescription, w: W, prefix: string, h: Float64Array[]): Float64Array[] {
  const D = desc.width;
  const dh = D / desc.heads;
  const q = linearRows(h, get(w, `${prefix}.q.weight`), get(w, `${prefix}.q.bias`), D);
  const k = linearRows(h, get(w, `${prefix}.k.weight`), get(w, `${prefix}.k.bias`), D);
  const v = linearRows(h, get(w, `${prefix}.v.weight`), get(w, `${prefix}.v.bias`), D);
  const T = h.length;
  const o = h.map(() => new Float64Array(D));
  for (let head = 0; head < desc.heads; head++) {
    const off = head * dh;
    for (let i = 0; i < T; i++) {
      const scores = new Float64Array(T);
      let max = -Infinity;
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let c = 0; c < dh; c++) s += q[i]![off + c]! * k[j]![off + c]!;
        scores[j] = s / Math.sqrt(dh);
        max = Math.max(max, scores[j]!);
      }
      let z = 0;
      for (let j = 0; j < T; j++) z += (scores[j] = Math.exp(scores[j]! - max));
      for (let j = 0; j < T; j++) for (let c = 0; c < dh; c++) o[i]![off + c] += (scores[j]! / z) * v[j]![off + c]!;
    }
  }
  return linearRows(o, get(w, `${prefix}.proj.weight`), get(w, `${prefix}.proj.bias`), D);
}

function addScaled(x: Float64Array[], y: Float64Array[], gamma: ArrayLike<number> | undefined): Float64Array[] {
  return x.map((row, t) => row.map((v, i) => v + (gamma ? gamma[i]! : 1) * y[t]![i]!));
}

/**
 * Logits [batch * numLabels] (row-major) for pixels [batch,3,S,S] row-major.
 * Weights use the canonical names and PyTorch layouts of docs/ARCHITECTURE.md.
 */
export function referenceForward(desc: VitDescription, weights: W, pixels: ArrayLike<number>, batch: number): Float64Array {
  checkWeights(desc, weights);
  const S = desc.imageSize;
  const P = desc.patchSize;
  const D = desc.width;
  const n = gridSize(desc);
  const C = desc.numLabels;
  if (pixels.length !== batch * 3 * S * S) throw invalidArgument(`pixels: expected ${batch}x3x${S}x${S} values, got ${pixels.length}`);
  const pw = get(weights, 'patch_embed.weight');
  const pb = get(weights, 'patch_embed.bias');
  const pos = get(weights, 'pos_embed');
  const cls = get(weights, 'cls_token');
  const out = new Float64Array(batch * C);
  for (let b = 0; b < batch; b++) {
    const img = (c: number, y: number, x: number): number => pixels[((b * 3 + c) * S + y) * S + x]!;
    const tokens: Float64Array[] = [Float64Array.from({ length: D }, (_, i) => cls[i]! + pos[i]!)];
    for (let r = 0; r < desc.registerTokens; r++) tokens.push(Float64Array.from({ length: D }, (_, i) => get(weights, 'reg_tokens')[r * D + i]!));
    for (let gy = 0; gy < n; gy++) {
      for (let gx = 0; gx < n; gx++) {
        const cell = gy * n + gx;
        const e = new Float64Array(D);
        for (let d = 0; d < D; d++) {
          let s = pb[d]!;
          for (let c = 0; c < 3; c++) for (let ky = 0; ky < P; ky++) for (let kx = 0; kx < P; kx++) {
            s += pw[((d * 3 + c) * P + ky) * P + kx]! * img(c, gy * P + ky, gx * P + kx);
          }
          e[d] = s + pos[(1 + cell) * D + d]!;
        }
        tokens.push(e);
      }
    }
    let x = tokens;
    for (let i = 0; i < desc.depth; i++) {
      const p = `blocks.${i}`;
      const a = attentionRows(desc, weights, `${p}.attn`, layerNormRows(x, get(weights, `${p}.norm1.weight`), get(weights, `${p}.norm1.bias`), desc.layerNormEps));
      x = addScaled(x, a, desc.layerScale ? get(weights, `${p}.ls1.gamma`) : undefined);
      const h = layerNormRows(x, get(weights, `${p}.norm2.weight`), get(weights, `${p}.norm2.bias`), desc.layerNormEps);
      const f1 = linearRows(h, get(weights, `${p}.mlp.fc1.weight`), get(weights, `${p}.mlp.fc1.bias`), mlpHidden(desc));
      const act = f1.map((row) => row.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
      const m = linearRows(act, get(weights, `${p}.mlp.fc2.weight`), get(weights, `${p}.mlp.fc2.bias`), D);
      x = addScaled(x, m, desc.layerScale ? get(weights, `${p}.ls2.gamma`) : undefined);
    }
    x = layerNormRows(x, get(weights, 'norm.weight'), get(weights, 'norm.bias'), desc.layerNormEps);
    const pooled = new Float64Array(D);
    if (desc.pooling === 'cls') pooled.set(x[0]!);
    else for (const row of x) for (let i = 0; i < D; i++) pooled[i] += row[i]! / x.length;
    const logits = linearRows([pooled], get(weights, 'head.weight'), get(weights, 'head.bias'), C)[0]!;
    out.set(logits, b * C);
  }
  return out;
}
