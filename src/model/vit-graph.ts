import { invalidArgument } from '../errors/cxr-error';
import { DType } from '../graph/dtype';
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { serializeModel } from '../graph/serialize';
import { Dim } from '../graph/shape';
import { VitDescription, checkWeights, gridSize, parameterShapes, tokenCount, validateVitDescription } from './vit-description';

/**
 * 'plain': MatMul/Softmax attention in standard ops (differentiable: training graphs use it).
 * 'fused': com.microsoft:Attention (packed QKV projection + attention in one kernel, the op ORT's
 * own transformer fusion emits). 'fused-mha': com.microsoft:MultiHeadAttention after a packed
 * QKV MatMul. 'onnx-attention': the standard opset-23 Attention op (graph opset 23).
 * The fused forms are inference only.
 */
export type AttentionForm = 'plain' | 'fused' | 'fused-mha' | 'onnx-attention';

export interface VitForwardOptions {
  attention: AttentionForm;
}

/** Maps a canonical parameter name (docs/ARCHITECTURE.md) to the graph value holding it. */
export type ParamLookup = (canonicalName: string) => string;

/** x @ W^T + b with W in PyTorch [out, in] layout (the Transpose folds away for initializers). */
export function linear(g: Graph, x: string, weight: string, bias: string): string {
  return op.add(g, op.matMul(g, x, op.transpose(g, weight, [1, 0])), bias);
}

/** Exact (erf) GELU as in timm/HF ViTs: 0.5 x (1 + erf(x / sqrt 2)); ORT fuses the pattern. */
export function gelu(g: Graph, x: string): string {
  const e = op.erf(g, op.mul(g, x, g.scalarLike(Math.SQRT1_2, x)));
  return op.mul(g, op.mul(g, x, g.scalarLike(0.5, x)), op.add(g, e, g.scalarLike(1, x)));
}

/** Conv2d(3, D, P, stride P) as patchify + MatMul: [B,3,S,S] -> [B,N,D], grid row-major. */
export function patchEmbed(g: Graph, desc: VitDescription, p: ParamLookup, pixels: string): string {
  const B = g.shape(pixels)[0]!;
  const P = desc.patchSize;
  const n = gridSize(desc);
  const x = op.reshape(g, pixels, [B, 3, n, P, n, P]);
  const patches = op.reshape(g, op.transpose(g, x, [0, 2, 4, 1, 3, 5]), [B, n * n, 3 * P * P]);
  const w = op.reshape(g, p('patch_embed.weight'), [desc.width, 3 * P * P]);
  return linear(g, patches, w, p('patch_embed.bias'));
}

/** Multi-head self-attention on [B,T,D] incl. the output projection. */
export function selfAttention(g: Graph, desc: VitDescription, p: ParamLookup, prefix: string, h: string, form: AttentionForm): string {
  const [B, T, D] = g.shape(h) as [Dim, number, number];
  const heads = desc.heads;
  const dh = D / heads;
  // One packed QKV GEMM (as timm's fused qkv) beats three narrower ones.
  const wqkv = op.concat(g, ['q', 'k', 'v'].map((s) => op.transpose(g, p(`${prefix}.${s}.weight`), [1, 0])), 1);
  const bqkv = op.concat(g, ['q', 'k', 'v'].map((s) => p(`${prefix}.${s}.bias`)), 0);
  if (form === 'fused') {
    return linear(g, op.packedAttention(g, h, wqkv, bqkv, heads), p(`${prefix}.proj.weight`), p(`${prefix}.proj.bias`));
  }
  const [q, k, v] = op.split(g, op.add(g, op.matMul(g, h, wqkv), bqkv), 2, [D, D, D]) as [string, string, string];
  let o: string;
  if (form === 'fused-mha') o = op.multiHeadAttention(g, q, k, v, '', heads);
  else if (form === 'onnx-attention') o = op.attention(g, q, k, v, heads);
  else {
    const split = (x: string, perm: number[]): string => op.transpose(g, op.reshape(g, x, [B, T, heads, dh]), perm);
    // Scaling q ([B,T,D]) is cheaper than scaling the [B,h,T,T] scores.
    const qh = split(op.mul(g, q, g.scalarLike(1 / Math.sqrt(dh), q)), [0, 2, 1, 3]);
    const kt = split(k, [0, 2, 3, 1]);
    const vh = split(v, [0, 2, 1, 3]);
    const attn = op.softmax(g, op.matMul(g, qh, kt), -1);
    o = op.reshape(g, op.transpose(g, op.matMul(g, attn, vh), [0, 2, 1, 3]), [B, T, D]);
  }
  return linear(g, o, p(`${prefix}.proj.weight`), p(`${prefix}.proj.bias`));
}

/** One pre-LN block: x + ls1 * attn(norm1(x)), then x + ls2 * mlp(norm2(x)). */
export function vitBlock(g: Graph, desc: VitDescription, p: ParamLookup, i: number, x: string, form: AttentionForm): string {
  const b = `blocks.${i}`;
  const eps = desc.layerNormEps;
  let a = selfAttention(g, desc, p, `${b}.attn`, op.layerNorm(g, x, p(`${b}.norm1.weight`), p(`${b}.norm1.bias`), eps), form);
  if (desc.layerScale) a = op.mul(g, a, p(`${b}.ls1.gamma`));
  const x1 = op.add(g, x, a);
  const h = op.layerNorm(g, x1, p(`${b}.norm2.weight`), p(`${b}.norm2.bias`), eps);
  let m = linear(g, gelu(g, linear(g, h, p(`${b}.mlp.fc1.weight`), p(`${b}.mlp.fc1.bias`))), p(`${b}.mlp.fc2.weight`), p(`${b}.mlp.fc2.bias`));
  if (desc.layerScale) m = op.mul(g, m, p(`${b}.ls2.gamma`));
  return op.add(g, x1, m);
}

/**
 * The ViT forward pass appended to `g`: pixels [B,3,S,S] (any float dtype; the graph computes in
 * it) -> logits [B,C] (value name returned, not marked as output). Parameters come from
 * `params`: graph inputs for trainable weights, initializers for frozen ones, or any value
 * (e.g. W + B·A for LoRA). Token layout: [CLS, registers..., grid row-major].
 */
export function buildVitForward(g: Graph, desc: VitDescription, params: ParamLookup, pixels: string, opts: VitForwardOptions): string {
  validateVitDescription(desc);
  const s = g.shape(pixels);
  const S = desc.imageSize;
  if (s.length !== 4 || s[1] !== 3 || s[2] !== S || s[3] !== S) {
    throw invalidArgument(`pixels must be [batch,3,${S},${S}] for this model, got [${s.join(',')}]`);
  }
  const p: ParamLookup = (name) => {
    const v = params(name);
    if (!g.has(v)) throw invalidArgument(`parameter '${name}' maps to '${v}', which is not a value of the graph`);
    return v;
  };
  const B = s[0]!;
  const D = desc.width;
  const N = gridSize(desc) ** 2;
  const T = tokenCount(desc);
  const pos = p('pos_embed');
  const patches = op.add(g, patchEmbed(g, desc, p, pixels), op.slice(g, pos, [1], [1 + N], [1]));
  // Prefix tokens are [1,k,D] parameters broadcast over the runtime batch.
  const batchShape = (k: number): string => op.concat(g, [op.shapeOf(g, pixels, 0, 1), g.ints([k, D])], 0);
  // Expand first, then add: an Add of two fp16 initializers would be a constant fold that ORT's
  // CPU provider cannot do (it warns at every session create); per-image cost is one [1,D] add.
  const cls = op.add(g, op.expand(g, p('cls_token'), batchShape(1), [B, 1, D]), op.slice(g, pos, [0], [1], [1]));
  const tokens = [cls];
  if (desc.registerTokens > 0) tokens.push(op.expand(g, p('reg_tokens'), batchShape(desc.registerTokens), [B, desc.registerTokens, D]));
  tokens.push(patches);
  let x = op.concat(g, tokens, 1);
  if (g.shape(x)[1] !== T) throw invalidArgument(`internal: token count ${String(g.shape(x)[1])} != ${T}`);
  for (let i = 0; i < desc.depth; i++) x = vitBlock(g, desc, p, i, x, opts.attention);
  x = op.layerNorm(g, x, p('norm.weight'), p('norm.bias'), desc.layerNormEps);
  const pooled = desc.pooling === 'cls' ? op.gather(g, x, g.constant([0], 'int64', []), 1) : op.reduceMean(g, x, [1], false);
  return linear(g, pooled, p('head.weight'), p('head.bias'));
}

export interface InferenceModelOptions {
  attention: AttentionForm;
  /** float16: weights and compute in fp16 for GPU serving; `pixels`/`logits` stay float32 via Casts. */
  dtype?: 'float32' | 'float16';
  /** 'dynamic' (default): symbolic batch; a number fixes it. */
  batch?: 'dynamic' | number;
}

/** Builds the inference graph (weights as initializers). Input `pixels` [batch,3,S,S] f32, output `logits` [batch,C] f32. */
export function buildInferenceGraph(desc: VitDescription, weights: ReadonlyMap<string, Float32Array>, opts: InferenceModelOptions): Graph {
  checkWeights(desc, weights);
  const dtype: DType = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') throw invalidArgument(`dtype must be float32 or float16, got '${String(dtype)}'`);
  const batch = opts.batch ?? 'dynamic';
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1)) throw invalidArgument(`batch must be 'dynamic' or a positive integer`);
  const g = new Graph({ name: 'vit', opset: opts.attention === 'onnx-attention' ? 23 : 17 });
  const S = desc.imageSize;
  const pixels = g.input('pixels', 'float32', [batch === 'dynamic' ? 'batch' : batch, 3, S, S]);
  const shapes = parameterShapes(desc);
  const p: ParamLookup = (name) => {
    if (g.has(name)) return name;
    const w = weights.get(name)!;
    // float32 goes in as a zero-copy byte view (little-endian host, as raw_data requires).
    const data = dtype === 'float32' ? new Uint8Array(w.buffer, w.byteOffset, w.byteLength) : w;
    return g.initializer(name, dtype, shapes.get(name)!, data);
  };
  const x = dtype === 'float32' ? pixels : op.cast(g, pixels, dtype);
  let logits = buildVitForward(g, desc, p, x, { attention: opts.attention });
  if (dtype !== 'float32') logits = op.cast(g, logits, 'float32');
  g.output(logits, 'logits');
  return g;
}

/** ModelProto bytes of `buildInferenceGraph` (for graphs over 2 GiB use saveModel on the graph). */
export function buildInferenceModel(desc: VitDescription, weights: ReadonlyMap<string, Float32Array>, opts: InferenceModelOptions): Uint8Array {
  return serializeModel(buildInferenceGraph(desc, weights, opts));
}
