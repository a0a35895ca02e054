import { FieldViolation, invalidArgument } from '../errors/cxr-error';

/**
 * A Vision Transformer as data: the inference graph, the training graph, the reference forward
 * pass and the importers all read this one description.
 */
export interface VitDescription {
  /** Input side in pixels (square); must be a multiple of patchSize. */
  imageSize: number;
  patchSize: number;
  /** Embedding width D. */
  width: number;
  depth: number;
  heads: number;
  /** MLP hidden = round(width * mlpRatio). */
  mlpRatio: number;
  /** DINOv2-style per-channel scales on both residual branches (`blocks.i.ls{1,2}.gamma`). */
  layerScale: boolean;
  /** DINOv2-reg register tokens, inserted after CLS, without position embeddings. */
  registerTokens: number;
  /** 'cls': final-norm CLS token; 'mean': mean of ALL final-norm tokens (CLS and registers included). */
  pooling: 'cls' | 'mean';
  layerNormEps: number;
  numLabels: number;
}

export type VitPresetName = 'dinov2-vitb14' | 'dinov2-vitb14-reg' | 'vit-b16-in21k' | 'vit-s16' | 'vit-tiny-test' | 'vit-tiny-reg-test';

/** Architectures without a label count; `vitPreset` adds it. */
export const VIT_PRESETS: Readonly<Record<VitPresetName, Omit<VitDescription, 'numLabels'>>> = {
  // DINOv2 ViT-B/14 at 224 px: 16x16 grid (pre-trained at 518 px / 37x37; importers interpolate).
  'dinov2-vitb14': { imageSize: 224, patchSize: 14, width: 768, depth: 12, heads: 12, mlpRatio: 4, layerScale: true, registerTokens: 0, pooling: 'cls', layerNormEps: 1e-6 },
  'dinov2-vitb14-reg': { imageSize: 224, patchSize: 14, width: 768, depth: 12, heads: 12, mlpRatio: 4, layerScale: true, registerTokens: 4, pooling: 'cls', layerNormEps: 1e-6 },
  // timm vit_base_patch16_224.augreg_in21k: 14x14 grid + CLS, no LayerScale.
  'vit-b16-in21k': { imageSize: 224, patchSize: 16, width: 768, depth: 12, heads: 12, mlpRatio: 4, layerScale: false, registerTokens: 0, pooling: 'cls', layerNormEps: 1e-6 },
  'vit-s16': { imageSize: 224, patchSize: 16, width: 384, depth: 12, heads: 6, mlpRatio: 4, layerScale: false, registerTokens: 0, pooling: 'cls', layerNormEps: 1e-6 },
  // Tiny models for tests: 4x4 grid, seconds to build, train and check.
  'vit-tiny-test': { imageSize: 16, patchSize: 4, width: 16, depth: 2, heads: 2, mlpRatio: 2, layerScale: true, registerTokens: 0, pooling: 'cls', layerNormEps: 1e-6 },
  'vit-tiny-reg-test': { imageSize: 12, patchSize: 4, width: 12, depth: 2, heads: 3, mlpRatio: 2, layerScale: false, registerTokens: 2, pooling: 'mean', layerNormEps: 1e-5 },
};

export function vitPreset(name: VitPresetName, numLabels: number, overrides: Partial<VitDescription> = {}): VitDescription {
  const base = VIT_PRESETS[name];
  if (!base) throw invalidArgument(`unknown ViT preset '${name}' (known: ${Object.keys(VIT_PRESETS).join(', ')})`);
  return validateVitDescription({ ...base, numLabels, ...overrides });
}

export const mlpHidden = (d: VitDescription): number => Math.round(d.width * d.mlpRatio);
export const gridSize = (d: VitDescription): number => d.imageSize / d.patchSize;
/** Tokens per image: CLS + registers + grid cells. */
export const tokenCount = (d: VitDescription): number => 1 + d.registerTokens + gridSize(d) ** 2;

/** Checks every field; INVALID_ARGUMENT lists all violations at once. Returns the description. */
export function validateVitDescription(d: VitDescription): VitDescription {
  const v: FieldViolation[] = [];
  const posInt = (k: keyof VitDescription): void => {
    const x = d[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) v.push({ field: k, description: `must be a positive integer, got ${String(x)}` });
  };
  (['imageSize', 'patchSize', 'width', 'depth', 'heads', 'numLabels'] as const).forEach(posInt);
  if (!Number.isInteger(d.registerTokens) || d.registerTokens < 0) v.push({ field: 'registerTokens', description: 'must be an integer >= 0' });
  if (Number.isInteger(d.imageSize) && Number.isInteger(d.patchSize) && d.imageSize % d.patchSize !== 0) {
    v.push({ field: 'imageSize', description: `${d.imageSize} is not a multiple of patchSize ${d.patchSize}` });
  }
  if (Number.isInteger(d.width) && Number.isInteger(d.heads) && d.width % d.heads !== 0) v.push({ field: 'heads', description: `width ${d.width} is not divisible by ${d.heads} heads` });
  if (!(d.mlpRatio > 0) || !Number.isFinite(d.mlpRatio)) v.push({ field: 'mlpRatio', description: 'must be > 0' });
  if (!(d.layerNormEps > 0) || !(d.layerNormEps < 1)) v.push({ field: 'layerNormEps', description: 'must be in (0, 1)' });
  if (d.pooling !== 'cls' && d.pooling !== 'mean') v.push({ field: 'pooling', description: `must be 'cls' or 'mean', got '${String(d.pooling)}'` });
  if (typeof d.layerScale !== 'boolean') v.push({ field: 'layerScale', description: 'must be a boolean' });
  if (v.length) throw invalidArgument(`invalid ViT description: ${v.map((x) => `${x.field} ${x.description}`).join('; ')}`, v);
  return d;
}

/** Canonical parameter names (docs/ARCHITECTURE.md) and shapes, in a stable order. */
export function parameterShapes(d: VitDescription): Map<string, number[]> {
  validateVitDescription(d);
  const D = d.width;
  const H = mlpHidden(d);
  const P = d.patchSize;
  const N = gridSize(d) ** 2;
  const m = new Map<string, number[]>();
  m.set('patch_embed.weight', [D, 3, P, P]);
  m.set('patch_embed.bias', [D]);
  m.set('cls_token', [1, 1, D]);
  if (d.registerTokens > 0) m.set('reg_tokens', [1, d.registerTokens, D]);
  m.set('pos_embed', [1, 1 + N, D]);
  for (let i = 0; i < d.depth; i++) {
    const b = `blocks.${i}`;
    m.set(`${b}.norm1.weight`, [D]);
    m.set(`${b}.norm1.bias`, [D]);
    for (const p of ['q', 'k', 'v']) {
      m.set(`${b}.attn.${p}.weight`, [D, D]);
      m.set(`${b}.attn.${p}.bias`, [D]);
    }
    m.set(`${b}.attn.proj.weight`, [D, D]);
    m.set(`${b}.attn.proj.bias`, [D]);
    if (d.layerScale) m.set(`${b}.ls1.gamma`, [D]);
    m.set(`${b}.norm2.weight`, [D]);
    m.set(`${b}.norm2.bias`, [D]);
    m.set(`${b}.mlp.fc1.weight`, [H, D]);
    m.set(`${b}.mlp.fc1.bias`, [H]);
    m.set(`${b}.mlp.fc2.weight`, [D, H]);
    m.set(`${b}.mlp.fc2.bias`, [D]);
    if (d.layerScale) m.set(`${b}.ls2.gamma`, [D]);
  }
  m.set('norm.weight', [D]);
  m.set('norm.bias', [D]);
  m.set('head.weight', [d.numLabels, D]);
  m.set('head.bias', [d.numLabels]);
  return m;
}

export type VitWeights = ReadonlyMap<string, Float32Array>;

/** Throws INVALID_ARGUMENT naming every missing, extra or wrongly-shaped tensor. */
export function checkWeights(d: VitDescription, weights: ReadonlyMap<string, ArrayLike<number>>): void {
  const shapes = parameterShapes(d);
  const v: FieldViolation[] = [];
  for (const [name, shape] of shapes) {
    const w = weights.get(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!w) v.push({ field: name, description: `missing (expected [${shape.join(',')}])` });
    else if (w.length !== n) v.push({ field: name, description: `has ${w.length} values, expected [${shape.join(',')}] = ${n}` });
  }
  for (const name of weights.keys()) if (!shapes.has(name)) v.push({ field: name, description: 'is not a parameter of this description' });
  if (v.length) throw invalidArgument(`weights do not match the ViT description: ${v.slice(0, 5).map((x) => `${x.field} ${x.description}`).join('; ')}${v.length > 5 ? ` (+${v.length - 5} more)` : ''}`, v);
}

// Re-exported so that callers find initialisation next to the description (lazy getter: no cycle issue).
export { initialWeights } from './initial-weights';
