/**
 * Test helper: tiny ViT weights in canonical names, and the same weights laid out exactly as each
 * reference family stores them (names, fused qkv, extra tensors), so importer tests can check
 * that mapping recovers the canonical tensors bit for bit.
 */
import type { Tensor, TensorMap } from '../../../src/model/import/tensor';
import { seededUniform } from '../../../src/model/import/head-init';

export interface TinyGeometry {
  width: number;
  depth: number;
  patchSize: number;
  mlpHidden: number;
  registers: number;
  layerScale: boolean;
  /** checkpoint position grid side */
  grid: number;
  /** classes of a checkpoint head, 0 for none */
  classes: number;
}

export const TINY: TinyGeometry = { width: 16, depth: 2, patchSize: 4, mlpHidden: 32, registers: 0, layerScale: true, grid: 4, classes: 0 };

function rand(shape: number[], u: () => number, scale = 0.2, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = offset + (2 * u() - 1) * scale;
  return { shape, data, sourceDtype: 'F32' };
}

export function canonicalWeights(g: TinyGeometry, seed = 1): TensorMap {
  const u = seededUniform(seed);
  const D = g.width;
  const H = g.mlpHidden;
  const m: TensorMap = new Map();
  m.set('patch_embed.weight', rand([D, 3, g.patchSize, g.patchSize], u));
  m.set('patch_embed.bias', rand([D], u));
  m.set('cls_token', rand([1, 1, D], u, 0.5));
  if (g.registers) m.set('reg_tokens', rand([1, g.registers, D], u, 0.5));
  m.set('pos_embed', rand([1, 1 + g.grid * g.grid, D], u, 0.5));
  for (let i = 0; i < g.depth; i++) {
    const b = `blocks.${i}.`;
    m.set(`${b}norm1.weight`, rand([D], u, 0.2, 1));
    m.set(`${b}norm1.bias`, rand([D], u, 0.1));
    for (const p of ['q', 'k', 'v', 'proj']) {
      m.set(`${b}attn.${p}.weight`, rand([D, D], u, 0.4));
      m.set(`${b}attn.${p}.bias`, rand([D], u, 0.1));
    }
    if (g.layerScale) m.set(`${b}ls1.gamma`, rand([D], u, 0.3, 0.5));
    m.set(`${b}norm2.weight`, rand([D], u, 0.2, 1));
    m.set(`${b}norm2.bias`, rand([D], u, 0.1));
    m.set(`${b}mlp.fc1.weight`, rand([H, D], u, 0.3));
    m.set(`${b}mlp.fc1.bias`, rand([H], u, 0.1));
    m.set(`${b}mlp.fc2.weight`, rand([D, H], u, 0.3));
    m.set(`${b}mlp.fc2.bias`, rand([D], u, 0.1));
    if (g.layerScale) m.set(`${b}ls2.gamma`, rand([D], u, 0.3, 0.5));
  }
  m.set('norm.weight', rand([D], u, 0.2, 1));
  m.set('norm.bias', rand([D], u, 0.1));
  if (g.classes) {
    m.set('head.weight', rand([g.classes, D], u, 0.3));
    m.set('head.bias', rand([g.classes], u, 0.1));
  }
  return m;
}

export type Family = 'hf-dinov2' | 'dinov2-hub' | 'timm-vit' | 'canonical';

function cat(ts: Tensor[], shape: number[]): Tensor {
  const n = ts.reduce((a, t) => a + t.data.length, 0);
  const data = new Float32Array(n);
  let o = 0;
  for (const t of ts) { data.set(t.data, o); o += t.data.length; }
  return { shape, data, sourceDtype: 'F32' };
}

/** The canonical weights as the family's reference code names and lays them out. */
export function toFamily(c: TensorMap, g: TinyGeometry, family: Family, opts: { prefix?: string; maskToken?: boolean } = {}): TensorMap {
  const D = g.width;
  const out: TensorMap = new Map();
  const p = opts.prefix ?? '';
  const get = (n: string): Tensor => c.get(n)!;
  if (family === 'canonical') {
    for (const [k, v] of c) out.set(p + k, v);
    return out;
  }
  if (family === 'hf-dinov2') {
    out.set(`${p}embeddings.cls_token`, get('cls_token'));
    if (opts.maskToken !== false) out.set(`${p}embeddings.mask_token`, { shape: [1, D], data: new Float32Array(D), sourceDtype: 'F32' });
    if (g.registers) out.set(`${p}embeddings.register_tokens`, get('reg_tokens'));
    out.set(`${p}embeddings.position_embeddings`, get('pos_embed'));
    out.set(`${p}embeddings.patch_embeddings.projection.weight`, get('patch_embed.weight'));
    out.set(`${p}embeddings.patch_embeddings.projection.bias`, get('patch_embed.bias'));
    for (let i = 0; i < g.depth; i++) {
      const s = `${p}encoder.layer.${i}.`;
      const b = `blocks.${i}.`;
      out.set(`${s}norm1.weight`, get(`${b}norm1.weight`));
      out.set(`${s}norm1.bias`, get(`${b}norm1.bias`));
      for (const [hf, cn] of [['query', 'q'], ['key', 'k'], ['value', 'v']]) {
        out.set(`${s}attention.attention.${hf}.weight`, get(`${b}attn.${cn}.weight`));
        out.set(`${s}attention.attention.${hf}.bias`, get(`${b}attn.${cn}.bias`));
      }
      out.set(`${s}attention.output.dense.weight`, get(`${b}attn.proj.weight`));
      out.set(`${s}attention.output.dense.bias`, get(`${b}attn.proj.bias`));
      if (g.layerScale) out.set(`${s}layer_scale1.lambda1`, get(`${b}ls1.gamma`));
      out.set(`${s}norm2.weight`, get(`${b}norm2.weight`));
      out.set(`${s}norm2.bias`, get(`${b}norm2.bias`));
      for (const f of ['fc1', 'fc2']) {
        out.set(`${s}mlp.${f}.weight`, get(`${b}mlp.${f}.weight`));
        out.set(`${s}mlp.${f}.bias`, get(`${b}mlp.${f}.bias`));
      }
      if (g.layerScale) out.set(`${s}layer_scale2.lambda1`, get(`${b}ls2.gamma`));
    }
    out.set(`${p}layernorm.weight`, get('norm.weight'));
    out.set(`${p}layernorm.bias`, get('norm.bias'));
    return out;
  }
  // dinov2-hub and timm share the fused layout; dinov2 adds mask_token/register_tokens, timm may have a head
  out.set(`${p}cls_token`, get('cls_token'));
  out.set(`${p}pos_embed`, get('pos_embed'));
  if (family === 'dinov2-hub') {
    if (g.registers) out.set(`${p}register_tokens`, get('reg_tokens'));
    if (opts.maskToken !== false) out.set(`${p}mask_token`, { shape: [1, D], data: new Float32Array(D), sourceDtype: 'F32' });
  }
  out.set(`${p}patch_embed.proj.weight`, get('patch_embed.weight'));
  out.set(`${p}patch_embed.proj.bias`, get('patch_embed.bias'));
  for (let i = 0; i < g.depth; i++) {
    const s = `${p}blocks.${i}.`;
    const b = `blocks.${i}.`;
    out.set(`${s}norm1.weight`, get(`${b}norm1.weight`));
    out.set(`${s}norm1.bias`, get(`${b}norm1.bias`));
    out.set(`${s}attn.qkv.weight`, cat(['q', 'k', 'v'].map((x) => get(`${b}attn.${x}.weight`)), [3 * D, D]));
    out.set(`${s}attn.qkv.bias`, cat(['q', 'k', 'v'].map((x) => get(`${b}attn.${x}.bias`)), [3 * D]));
    out.set(`${s}attn.proj.weight`, get(`${b}attn.proj.weight`));
    out.set(`${s}attn.proj.bias`, get(`${b}attn.proj.bias`));
    if (g.layerScale) out.set(`${s}ls1.gamma`, get(`${b}ls1.gamma`));
    out.set(`${s}norm2.weight`, get(`${b}norm2.weight`));
    out.set(`${s}norm2.bias`, get(`${b}norm2.bias`));
    for (const f of ['fc1', 'fc2']) {
      out.set(`${s}mlp.${f}.weight`, get(`${b}mlp.${f}.weight`));
      out.set(`${s}mlp.${f}.bias`, get(`${b}mlp.${f}.bias`));
    }
    if (g.layerScale) out.set(`${s}ls2.gamma`, get(`${b}ls2.gamma`));
  }
  out.set(`${p}norm.weight`, get('norm.weight'));
  out.set(`${p}norm.bias`, get('norm.bias'));
  if (c.has('head.weight')) {
    out.set(`${p}head.weight`, get('head.weight'));
    out.set(`${p}head.bias`, get('head.bias'));
  }
  return out;
}
