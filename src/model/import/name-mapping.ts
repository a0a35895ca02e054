/**
 * Maps a checkpoint's tensor names and layouts to the canonical ViT names (docs/ARCHITECTURE.md).
 *
 * Families, as their reference code names things:
 * - 'hf-dinov2'  transformers modeling_dinov2.py (facebook/dinov2-base): embeddings.*, encoder.layer.N.*,
 *                separate query/key/value, layer_scaleK.lambda1, final `layernorm`; optional "dinov2."
 *                prefix with a `classifier` outside it (Dinov2ForImageClassification).
 * - 'dinov2-hub' facebookresearch/dinov2 vision_transformer.py (torch hub dinov2_vitb14): fused
 *                attn.qkv, lsK.gamma, mask_token, register_tokens; blocks possibly chunked (blocks.C.N.*).
 * - 'timm-vit'   timm vision_transformer.py (vit_base_patch16_224.augreg_in21k): fused attn.qkv, head.
 * - 'canonical'  this service's own names (weights it stored itself, e.g. a fine-tuned mimic-cxr init).
 * Fused qkv weights [3D, D] are split in q, k, v order: the references reshape the qkv output as
 * (B, N, 3, heads, head_dim), so rows [0,D) are q, [D,2D) k, [2D,3D) v, each already head-major.
 */
import { invalidArgument } from '../../errors/cxr-error';
import { Tensor, TensorMap, fmtShape, shapeEquals } from './tensor';

export type CheckpointFamily = 'hf-dinov2' | 'dinov2-hub' | 'timm-vit' | 'canonical';
export const CHECKPOINT_FAMILIES: readonly CheckpointFamily[] = ['hf-dinov2', 'dinov2-hub', 'timm-vit', 'canonical'];

/** What the weights say about the architecture (heads cannot be read from weights). */
export interface CheckpointGeometry {
  width: number;
  depth: number;
  patchSize: number;
  mlpHidden: number;
  registers: number;
  layerScale: boolean;
  /** Side of the checkpoint's position grid (sqrt of pos_embed positions minus CLS). */
  posGrid: number;
}

export interface MappedCheckpoint {
  family: CheckpointFamily;
  /** Prefix stripped from every backbone name ("" when none), e.g. "dinov2." or "module.". */
  prefix: string;
  /** Canonical backbone tensors, head excluded. */
  tensors: TensorMap;
  /** The checkpoint's own classifier when it has one, in canonical layout if it is a Linear on the CLS token. */
  head?: { weight: Tensor; bias: Tensor; source: string; usable: boolean; reason?: string };
  /** Source tensors deliberately not used (e.g. mask_token, only used in self-supervised training). */
  dropped: string[];
  geometry: CheckpointGeometry;
}

interface Probe { family: CheckpointFamily; prefix: string }

/** Detects the family and name prefix from the tensor names. */
export function detectFamily(names: Iterable<string>): Probe {
  const all = [...names];
  const set = new Set(all);
  const find = (suffix: string): string | undefined => all.find((n) => n === suffix || n.endsWith(`.${suffix}`));
  const hit = (suffix: string): string | undefined => {
    const n = find(suffix);
    return n === undefined ? undefined : n.slice(0, n.length - suffix.length);
  };
  let p = hit('embeddings.patch_embeddings.projection.weight');
  if (p !== undefined) {
    if (all.some((n) => n.startsWith(p!) && n.includes('.intermediate.dense.'))) {
      throw invalidArgument('checkpoint uses HF ViTModel naming (intermediate.dense); only HF DINOv2, dinov2 hub, timm ViT and canonical names are supported');
    }
    return { family: 'hf-dinov2', prefix: p };
  }
  p = hit('patch_embed.proj.weight');
  if (p !== undefined) {
    const dinov2 = set.has(`${p}mask_token`) || set.has(`${p}register_tokens`);
    return { family: dinov2 ? 'dinov2-hub' : 'timm-vit', prefix: p };
  }
  p = hit('patch_embed.weight');
  if (p !== undefined && set.has(`${p}cls_token`)) return { family: 'canonical', prefix: p };
  const sample = all.slice(0, 5).map((n) => `"${n}"`).join(', ');
  throw invalidArgument(`checkpoint does not look like a ViT: no patch embedding found among ${all.length} tensors (first: ${sample || 'none'})`);
}

const BLOCK_HF = /^encoder\.layer\.(\d+)\.(.+)$/;
const BLOCK_FUSED = /^blocks\.(?:\d+\.)?(\d+)\.(.+)$/;

/** Per-family rename of one name (prefix removed): canonical name, 'drop', or undefined (unknown). */
function renameHf(local: string): string | 'drop' | undefined {
  const top: Record<string, string> = {
    'embeddings.cls_token': 'cls_token', 'embeddings.position_embeddings': 'pos_embed', 'embeddings.register_tokens': 'reg_tokens',
    'embeddings.patch_embeddings.projection.weight': 'patch_embed.weight', 'embeddings.patch_embeddings.projection.bias': 'patch_embed.bias',
    'layernorm.weight': 'norm.weight', 'layernorm.bias': 'norm.bias',
  };
  if (local === 'embeddings.mask_token') return 'drop';
  if (local in top) return top[local];
  const m = BLOCK_HF.exec(local);
  if (!m) return undefined;
  const [, i, rest] = m;
  const inner: Record<string, string> = {
    'norm1.weight': 'norm1.weight', 'norm1.bias': 'norm1.bias', 'norm2.weight': 'norm2.weight', 'norm2.bias': 'norm2.bias',
    'attention.attention.query.weight': 'attn.q.weight', 'attention.attention.query.bias': 'attn.q.bias',
    'attention.attention.key.weight': 'attn.k.weight', 'attention.attention.key.bias': 'attn.k.bias',
    'attention.attention.value.weight': 'attn.v.weight', 'attention.attention.value.bias': 'attn.v.bias',
    'attention.output.dense.weight': 'attn.proj.weight', 'attention.output.dense.bias': 'attn.proj.bias',
    'layer_scale1.lambda1': 'ls1.gamma', 'layer_scale2.lambda1': 'ls2.gamma',
    'mlp.fc1.weight': 'mlp.fc1.weight', 'mlp.fc1.bias': 'mlp.fc1.bias', 'mlp.fc2.weight': 'mlp.fc2.weight', 'mlp.fc2.bias': 'mlp.fc2.bias',
  };
  return rest! in inner ? `blocks.${i}.${inner[rest!]}` : undefined;
}

function renameFused(local: string, family: CheckpointFamily): string | 'drop' | 'qkv' | undefined {
  const top: Record<string, string> = {
    cls_token: 'cls_token', pos_embed: 'pos_embed', register_tokens: 'reg_tokens',
    'patch_embed.proj.weight': 'patch_embed.weight', 'patch_embed.proj.bias': 'patch_embed.bias',
    'norm.weight': 'norm.weight', 'norm.bias': 'norm.bias',
  };
  if (family === 'dinov2-hub' && local === 'mask_token') return 'drop';
  if (local in top) return top[local];
  const m = BLOCK_FUSED.exec(local);
  if (!m) return undefined;
  const [, i, rest] = m;
  if (rest === 'attn.qkv.weight' || rest === 'attn.qkv.bias') return 'qkv';
  const inner = new Set(['norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'attn.proj.weight', 'attn.proj.bias',
    'ls1.gamma', 'ls2.gamma', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias']);
  return inner.has(rest!) ? `blocks.${i}.${rest}` : undefined;
}

function renameCanonical(local: string): string | undefined {
  if (['cls_token', 'reg_tokens', 'pos_embed', 'patch_embed.weight', 'patch_embed.bias', 'norm.weight', 'norm.bias'].includes(local)) return local;
  const m = /^blocks\.(\d+)\.(norm1\.(weight|bias)|norm2\.(weight|bias)|attn\.[qkv]\.(weight|bias)|attn\.proj\.(weight|bias)|ls[12]\.gamma|mlp\.fc[12]\.(weight|bias))$/.exec(local);
  return m ? local : undefined;
}

const HEAD_NAMES: Record<CheckpointFamily, string[]> = {
  'hf-dinov2': ['classifier'],
  'dinov2-hub': ['head', 'linear_head'],
  'timm-vit': ['head'],
  canonical: ['head'],
};

/** Maps `src` to canonical names; `family` overrides detection. Unknown or missing tensors and wrong shapes -> INVALID_ARGUMENT naming them. */
export function mapToCanonical(src: TensorMap, family?: CheckpointFamily): MappedCheckpoint {
  const probe = detectFamily(src.keys());
  if (family && family !== probe.family) {
    // An explicit family must still find its own patch embedding under some prefix.
    const want: Record<CheckpointFamily, string> = {
      'hf-dinov2': 'embeddings.patch_embeddings.projection.weight', 'dinov2-hub': 'patch_embed.proj.weight',
      'timm-vit': 'patch_embed.proj.weight', canonical: 'patch_embed.weight',
    };
    const n = [...src.keys()].find((k) => k === want[family] || k.endsWith(`.${want[family]}`));
    if (n === undefined) throw invalidArgument(`checkpoint is not in ${family} naming: tensor "${want[family]}" not found (names look like ${probe.family})`);
    probe.prefix = n.slice(0, n.length - want[family].length);
  }
  const fam = family ?? probe.family;
  const prefix = probe.prefix;
  const out: TensorMap = new Map();
  const dropped: string[] = [];
  const sourceOf = new Map<string, string>();
  const qkv = new Map<number, { weight?: Tensor; bias?: Tensor; name: string }>();
  let headW: [string, Tensor] | undefined;
  let headB: [string, Tensor] | undefined;

  for (const [name, t] of src) {
    if (!name.startsWith(prefix)) {
      if (isHead(name, fam)) { if (name.endsWith('.weight')) headW = [name, t]; else headB = [name, t]; continue; }
      throw invalidArgument(`checkpoint tensor "${name}" is not part of a ${fam} ViT (expected every name under "${prefix}")`);
    }
    const local = name.slice(prefix.length);
    if (isHead(local, fam)) { if (local.endsWith('.weight')) headW = [name, t]; else headB = [name, t]; continue; }
    const target = fam === 'hf-dinov2' ? renameHf(local) : fam === 'canonical' ? renameCanonical(local) : renameFused(local, fam);
    if (target === undefined) throw invalidArgument(`checkpoint tensor "${name}" has no counterpart in the supported ${fam} ViT (unsupported variant or foreign tensor)`);
    if (target === 'drop') { dropped.push(name); continue; }
    if (target === 'qkv') {
      const i = Number(BLOCK_FUSED.exec(local)![1]);
      const e = qkv.get(i) ?? { name };
      if (local.endsWith('.weight')) e.weight = t; else e.bias = t;
      qkv.set(i, e);
      continue;
    }
    if (out.has(target)) throw invalidArgument(`checkpoint tensors "${sourceOf.get(target)}" and "${name}" both map to "${target}"`);
    out.set(target, t);
    sourceOf.set(target, name);
  }

  const need = (canon: string): Tensor => {
    const t = out.get(canon);
    if (!t) throw invalidArgument(`checkpoint has no tensor for "${canon}" (${fam} naming, prefix "${prefix}")`);
    return t;
  };
  const cls = need('cls_token');
  if (cls.shape.length !== 3 || cls.shape[0] !== 1 || cls.shape[1] !== 1) throw invalidArgument(`tensor "${sourceOf.get('cls_token')}" has shape ${fmtShape(cls.shape)}, expected [1,1,D]`);
  const D = cls.shape[2]!;
  const pe = need('patch_embed.weight');
  if (pe.shape.length !== 4 || pe.shape[0] !== D || pe.shape[1] !== 3 || pe.shape[2] !== pe.shape[3]) {
    throw invalidArgument(`tensor "${sourceOf.get('patch_embed.weight')}" has shape ${fmtShape(pe.shape)}, expected [${D},3,P,P]`);
  }
  const P = pe.shape[2]!;

  for (const [i, e] of qkv) {
    const blockName = e.name.replace(/qkv\.(weight|bias)$/, 'qkv');
    if (!e.weight) throw invalidArgument(`checkpoint has no tensor "${blockName}.weight"`);
    if (!shapeEquals(e.weight.shape, [3 * D, D])) throw invalidArgument(`tensor "${blockName}.weight" has shape ${fmtShape(e.weight.shape)}, expected [${3 * D},${D}]`);
    if (!e.bias) throw invalidArgument(`checkpoint has no tensor "${blockName}.bias" (qkv without bias is not supported)`);
    if (!shapeEquals(e.bias.shape, [3 * D])) throw invalidArgument(`tensor "${blockName}.bias" has shape ${fmtShape(e.bias.shape)}, expected [${3 * D}]`);
    ['q', 'k', 'v'].forEach((p, j) => {
      out.set(`blocks.${i}.attn.${p}.weight`, { shape: [D, D], data: e.weight!.data.slice(j * D * D, (j + 1) * D * D), sourceDtype: e.weight!.sourceDtype });
      out.set(`blocks.${i}.attn.${p}.bias`, { shape: [D], data: e.bias!.data.slice(j * D, (j + 1) * D), sourceDtype: e.bias!.sourceDtype });
      sourceOf.set(`blocks.${i}.attn.${p}.weight`, `${blockName}.weight[${j * D}:${(j + 1) * D}]`);
      sourceOf.set(`blocks.${i}.attn.${p}.bias`, `${blockName}.bias[${j * D}:${(j + 1) * D}]`);
    });
  }

  let depth = 0;
  for (const k of out.keys()) {
    const m = /^blocks\.(\d+)\./.exec(k);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  if (depth === 0) throw invalidArgument('checkpoint has no transformer blocks');
  const fc1 = need('blocks.0.mlp.fc1.weight');
  const H = fc1.shape[0]!;
  const layerScale = out.has('blocks.0.ls1.gamma');
  const reg = out.get('reg_tokens');
  const R = reg ? reg.shape[1] ?? 0 : 0;
  if (reg && (reg.shape.length !== 3 || reg.shape[0] !== 1 || reg.shape[2] !== D)) {
    throw invalidArgument(`tensor "${sourceOf.get('reg_tokens')}" has shape ${fmtShape(reg.shape)}, expected [1,R,${D}]`);
  }
  const pos = need('pos_embed');
  if (pos.shape.length !== 3 || pos.shape[0] !== 1 || pos.shape[2] !== D) throw invalidArgument(`tensor "${sourceOf.get('pos_embed')}" has shape ${fmtShape(pos.shape)}, expected [1,1+N,${D}]`);
  const N = pos.shape[1]! - 1;
  const G = Math.round(Math.sqrt(N));
  if (G * G !== N) {
    const G2 = Math.round(Math.sqrt(N + 1));
    throw invalidArgument(G2 * G2 === N + 1
      ? `tensor "${sourceOf.get('pos_embed')}" has no class-token position (${N + 1} = ${G2}x${G2} grid): no_embed_class models are not supported`
      : `tensor "${sourceOf.get('pos_embed')}" has ${N} grid positions, which is not a square grid`);
  }

  const expected: [string, number[]][] = [['patch_embed.bias', [D]], ['norm.weight', [D]], ['norm.bias', [D]]];
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}.`;
    expected.push(
      [`${b}norm1.weight`, [D]], [`${b}norm1.bias`, [D]], [`${b}norm2.weight`, [D]], [`${b}norm2.bias`, [D]],
      [`${b}attn.q.weight`, [D, D]], [`${b}attn.q.bias`, [D]], [`${b}attn.k.weight`, [D, D]], [`${b}attn.k.bias`, [D]],
      [`${b}attn.v.weight`, [D, D]], [`${b}attn.v.bias`, [D]], [`${b}attn.proj.weight`, [D, D]], [`${b}attn.proj.bias`, [D]],
      [`${b}mlp.fc1.weight`, [H, D]], [`${b}mlp.fc1.bias`, [H]], [`${b}mlp.fc2.weight`, [D, H]], [`${b}mlp.fc2.bias`, [D]],
    );
    if (layerScale) expected.push([`${b}ls1.gamma`, [D]], [`${b}ls2.gamma`, [D]]);
  }
  for (const [canon, shape] of expected) {
    const t = out.get(canon);
    if (!t) throw invalidArgument(`checkpoint has no tensor for "${canon}" (${fam} naming, prefix "${prefix}")`);
    if (!shapeEquals(t.shape, shape)) throw invalidArgument(`tensor "${sourceOf.get(canon)}" has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
  }
  const known = new Set([...expected.map(([n]) => n), 'cls_token', 'pos_embed', 'patch_embed.weight', ...(reg ? ['reg_tokens'] : [])]);
  for (const k of out.keys()) {
    if (!known.has(k)) throw invalidArgument(`checkpoint tensor "${sourceOf.get(k)}" does not fit a ${depth}-block ViT${layerScale ? '' : ' without LayerScale'} (mixed or partial checkpoint?)`);
  }

  let head: MappedCheckpoint['head'];
  if (headW || headB) {
    if (!headW || !headB) throw invalidArgument(`checkpoint classifier is incomplete: "${(headW ?? headB)![0]}" without its ${headW ? 'bias' : 'weight'}`);
    const [wn, w] = headW;
    const [, b] = headB;
    const C = w.shape[0]!;
    const usable = w.shape.length === 2 && w.shape[1] === D && shapeEquals(b.shape, [C]);
    head = {
      weight: w, bias: b, source: wn.replace(/\.weight$/, ''), usable,
      reason: usable ? undefined : `classifier "${wn}" has shape ${fmtShape(w.shape)}, not a Linear(${D}, C) on the CLS token`,
    };
  }
  return { family: fam, prefix, tensors: out, head, dropped, geometry: { width: D, depth, patchSize: P, mlpHidden: H, registers: R, layerScale, posGrid: G } };
}

function isHead(name: string, fam: CheckpointFamily): boolean {
  return HEAD_NAMES[fam].some((h) => name === `${h}.weight` || name === `${h}.bias`);
}

/** The interpolation convention of a family's own reference code (see interpolate-pos-embed.ts). */
export function defaultPosEmbedConvention(family: CheckpointFamily): 'dinov2-hub' | 'hf' | 'timm' {
  return family === 'hf-dinov2' ? 'hf' : family === 'dinov2-hub' ? 'dinov2-hub' : 'timm';
}
