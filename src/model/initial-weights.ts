import { VitDescription, parameterShapes } from './vit-description';

/** Seeded standard normals (mulberry32 + Box-Muller): the same seed gives the same weights everywhere. */
function normalSource(seed: number): () => number {
  let t = seed >>> 0;
  const uniform = (): number => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return (((r ^ (r >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Fresh weights as the references initialise them (timm `init_weights_vit_timm`, DINOv2):
 * - every Linear weight, patch_embed.weight and pos_embed: normal(0, 0.02) truncated at 2 std
 *   (timm truncates at +-2 absolute, which never triggers at std 0.02; 2 std is what is meant);
 *   timm leaves the patch Conv at PyTorch's default init, we use the same trunc-normal for all;
 * - cls_token and reg_tokens: normal(0, 1e-6) (timm);
 * - biases 0, LayerNorm weight 1 / bias 0, LayerScale gamma 1e-5 (DINOv2 init_values);
 * - head: trunc-normal(0.02) weight, zero bias (a new label set gets a new head like this).
 */
export function initialWeights(d: VitDescription, seed: number): Map<string, Float32Array> {
  const normal = normalSource(seed);
  const trunc = (std: number): number => {
    for (;;) {
      const z = normal();
      if (Math.abs(z) <= 2) return z * std;
    }
  };
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(d)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (name.endsWith('.gamma')) a.fill(1e-5);
    else if (/norm\d?\.weight$/.test(name)) a.fill(1);
    else if (name === 'cls_token' || name === 'reg_tokens') for (let i = 0; i < n; i++) a[i] = normal() * 1e-6;
    else if (name.endsWith('.weight') || name === 'pos_embed') for (let i = 0; i < n; i++) a[i] = trunc(0.02);
    // biases stay 0
    out.set(name, a);
  }
  return out;
}
