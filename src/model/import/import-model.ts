/**
 * ImportModel: a pre-trained checkpoint (file or, when the user names one, a hub repo) becomes a
 * READY model version in the store: canonical weights (safetensors), ViT description, labels,
 * preprocessing preset, provenance and the built inference graph(s).
 *
 * Atomicity: everything is written into a private staging directory; the store's registerVersion
 * moves it into place in the same transaction that inserts the row. Any failure before that
 * deletes the staging directory, so a failed import leaves no row and no file.
 *
 * Head policy: a new label set always gets a new head (head-init.ts); `keepHead` keeps the
 * checkpoint's own Linear(D, C) when the label set is aligned with it (the study's mimic-cxr
 * usage) and fails when there is none with C = labels.length.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CxrError, invalidArgument } from '../../errors/cxr-error';
import type { Store } from '../../store/store';
import { validateModelName, type ModelVersionRecord, type ModelVersionSpec } from '../../store/model-repository';
import { writeFileAtomic } from '../../store/atomic-file';
import { VIT_PRESETS, checkWeights, gridSize, mlpHidden, validateVitDescription, type VitDescription, type VitPresetName } from '../vit-description';
import { buildInferenceModel, type AttentionForm } from '../vit-graph';
import { isZip, readTorchCheckpoint } from './pytorch-checkpoint';
import { readSafetensors, writeSafetensors } from './safetensors';
import { checkOnnxModel } from './onnx-check';
import { CheckpointFamily, MappedCheckpoint, defaultPosEmbedConvention, mapToCanonical } from './name-mapping';
import { PosEmbedConvention, describeResample, interpolatePosEmbed } from './interpolate-pos-embed';
import { HeadInit, initHead } from './head-init';
import { hubDownload } from './hub-download';
import { TensorMap, fmtShape } from './tensor';

export type CheckpointFormat = 'safetensors' | 'pytorch' | 'onnx';

export type ImportSource =
  | { path: string }
  | { hub: { repo: string; filename?: string; revision?: string; endpoint?: string; token?: string } };

export interface ImportModelRequest {
  modelName: string;
  description?: string;
  source: ImportSource;
  /** One per output; its length is the head's C. */
  labels: string[];
  /** Preprocessing preset name (src/image/presets.ts); default 'study-2024'. */
  preprocessing?: string;
  /**
   * Target architecture: a preset or a description (numLabels comes from labels). Default:
   * read from the weights (width, depth, patch, MLP, LayerScale, registers), heads = width/64 as
   * in every reference ViT/DINOv2 size, CLS pooling, eps 1e-6, imageSize 224.
   */
  architecture?: VitPresetName | Omit<VitDescription, 'numLabels'>;
  /** Overrides the target input size (e.g. 512 for the follow-up study); position embeddings follow. */
  imageSize?: number;
  format?: CheckpointFormat;
  family?: CheckpointFamily;
  /** Default: the family's own reference convention (interpolate-pos-embed.ts). */
  posEmbedInterpolation?: PosEmbedConvention;
  /** Keep the checkpoint's head (aligned label set). */
  keepHead?: boolean;
  headInit?: HeadInit;
  seed?: number;
  /** 'dinov2' | 'imagenet21k' | 'mimic-cxr' | ...; default from the family. */
  initKind?: string;
  attention?: AttentionForm;
  /** Also build the fp16 graph for GPU serving. */
  fp16Graph?: boolean;
  serve?: boolean;
  maxDownloadBytes?: number;
}

export interface ImportModelDeps {
  store: Store;
  signal?: AbortSignal;
}

const DEFAULT_INIT_KIND: Record<CheckpointFamily, string> = {
  'hf-dinov2': 'dinov2', 'dinov2-hub': 'dinov2', 'timm-vit': 'imagenet21k', canonical: 'custom',
};

/** Safetensors metadata keys this service writes next to canonical weights. */
export const META_DESCRIPTION = 'cxr.vit_description';
export const META_INIT_KIND = 'cxr.init_kind';

export function detectFormat(bytes: Uint8Array, name: string): CheckpointFormat {
  if (isZip(bytes)) return 'pytorch';
  if (bytes.length >= 9) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n > 1n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b) return 'safetensors';
  }
  if (/\.onnx$/i.test(name) || bytes[0] === 0x08) return 'onnx';
  throw invalidArgument(`cannot tell the checkpoint format of ${JSON.stringify(name)}: not a safetensors file, PyTorch zip checkpoint or ONNX model`);
}

function validateRequest(req: ImportModelRequest): void {
  validateModelName(req.modelName, 'model_name');
  if (!Array.isArray(req.labels) || req.labels.length === 0) throw invalidArgument('at least one label is required', [{ field: 'labels', description: 'empty' }]);
  const seen = new Set<string>();
  for (const l of req.labels) {
    if (typeof l !== 'string' || !l.trim()) throw invalidArgument('labels must be non-empty strings', [{ field: 'labels', description: 'empty label' }]);
    if (seen.has(l)) throw invalidArgument(`label ${JSON.stringify(l)} appears twice`, [{ field: 'labels', description: 'duplicate label' }]);
    seen.add(l);
  }
  if (req.imageSize !== undefined && !(Number.isInteger(req.imageSize) && req.imageSize > 0)) {
    throw invalidArgument('image size must be a positive integer', [{ field: 'image_size', description: String(req.imageSize) }]);
  }
}

/** Runs the whole import; the returned version is READY. */
export async function importModel(req: ImportModelRequest, deps: ImportModelDeps): Promise<ModelVersionRecord> {
  const { store } = deps;
  const staging = store.createStagingDir('import');
  try {
    const spec = await prepareImport(req, staging, deps.signal);
    return store.models.registerVersion({ modelName: req.modelName, description: req.description, spec, stagingDir: staging, serve: req.serve });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The CPU-heavy part of an import (fetch, parse, map, interpolate, build graphs), writing every
 * file into `staging` and returning the version's spec; registering it is the caller's step.
 * Split out so it can run on a worker thread (import-worker.ts) while the store stays on the main one.
 */
export async function prepareImport(req: ImportModelRequest, staging: string, signal?: AbortSignal): Promise<ModelVersionSpec> {
  validateRequest(req);
  try {
    const { bytes, name, source } = await fetchSource(req, staging, signal);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const format = req.format ?? detectFormat(bytes, name);
    const spec = format === 'onnx'
      ? importOnnx(req, bytes, staging, source, sha256)
      : importWeights(req, bytes, format, name, staging, source, sha256);
    signal?.throwIfAborted();
    return spec;
  } catch (e) {
    if (e instanceof CxrError) throw e;
    if ((e as Error)?.name === 'AbortError') throw new CxrError('CANCELLED', 'import cancelled', { cause: e });
    throw CxrError.from(e);
  }
}

async function fetchSource(req: ImportModelRequest, staging: string, signal?: AbortSignal): Promise<{ bytes: Uint8Array; name: string; source: string }> {
  if ('path' in req.source) {
    const p = req.source.path;
    let size: number;
    try {
      const st = statSync(p);
      if (!st.isFile()) throw new Error('not a regular file');
      size = st.size;
    } catch (e) {
      throw invalidArgument(`checkpoint file cannot be read: ${(e as Error).message}`, [{ field: 'source.path', description: 'not a readable file' }]);
    }
    if (size === 0) throw invalidArgument('checkpoint file is empty', [{ field: 'source.path', description: 'empty file' }]);
    return { bytes: readFileSync(p), name: basename(p), source: `file:${basename(p)}` };
  }
  const h = req.source.hub;
  const filename = h.filename ?? 'model.safetensors';
  const r = await hubDownload({
    repo: h.repo, filename, revision: h.revision, endpoint: h.endpoint, token: h.token,
    destDir: staging, maxBytes: req.maxDownloadBytes, signal,
  });
  const bytes = readFileSync(r.path);
  rmSync(r.path, { force: true }); // the canonical weights are what the version keeps
  return { bytes, name: filename, source: `hub:${r.url}` };
}

function importOnnx(req: ImportModelRequest, bytes: Uint8Array, staging: string, source: string, sha256: string): ModelVersionSpec {
  const sig = checkOnnxModel(bytes);
  if (sig.classes !== undefined && sig.classes !== req.labels.length) {
    throw invalidArgument(`ONNX model outputs ${sig.classes} logits but ${req.labels.length} labels were given`, [{ field: 'labels', description: 'count differs from the model output' }]);
  }
  const imageSize = sig.imageSize ?? req.imageSize;
  if (imageSize === undefined) throw invalidArgument('ONNX model has a symbolic image size; give image_size', [{ field: 'image_size', description: 'required' }]);
  if (sig.imageSize !== undefined && req.imageSize !== undefined && sig.imageSize !== req.imageSize) {
    throw invalidArgument(`ONNX model takes ${sig.imageSize} px input, not ${req.imageSize}`, [{ field: 'image_size', description: 'differs from the model input' }]);
  }
  writeFileAtomic(join(staging, 'model.onnx'), bytes);
  const provenance = {
    initKind: req.initKind ?? 'onnx', source, sha256, checkpointFormat: 'onnx',
    posEmbedInterpolation: 'none (opaque ONNX graph)', headKept: true,
  };
  writeFileAtomic(join(staging, 'provenance.json'), JSON.stringify({ ...provenance, onnx: sig }, null, 2));
  return {
    labels: req.labels, preprocessing: req.preprocessing ?? 'study-2024', imageSize, architecture: null,
    architectureSummary: `ONNX graph (input ${sig.input.name} [${sig.input.dims.join(',')}], output ${sig.output.name} [${sig.output.dims.join(',')}])`,
    provenance, operatingPoints: [], usableAsInit: false, files: { graph: 'model.onnx' },
  };
}

/** Target description from the request, else from the checkpoint geometry. */
export function targetDescription(req: Pick<ImportModelRequest, 'architecture' | 'imageSize' | 'labels'>, m: MappedCheckpoint, metadata: Record<string, string>): VitDescription {
  const g = m.geometry;
  let base: Omit<VitDescription, 'numLabels'>;
  if (typeof req.architecture === 'string') {
    base = VIT_PRESETS[req.architecture];
    if (!base) throw invalidArgument(`unknown ViT preset ${JSON.stringify(req.architecture)} (known: ${Object.keys(VIT_PRESETS).join(', ')})`, [{ field: 'architecture', description: 'unknown preset' }]);
  } else if (req.architecture) {
    base = req.architecture;
  } else if (metadata[META_DESCRIPTION]) {
    try {
      base = JSON.parse(metadata[META_DESCRIPTION]!) as VitDescription;
    } catch {
      throw invalidArgument(`checkpoint metadata ${META_DESCRIPTION} is not valid JSON`);
    }
  } else {
    if (g.width % 64 !== 0) throw invalidArgument(`width ${g.width} is not a multiple of 64: give the architecture (heads cannot be read from weights)`, [{ field: 'architecture', description: 'required' }]);
    base = {
      imageSize: 224, patchSize: g.patchSize, width: g.width, depth: g.depth, heads: g.width / 64,
      mlpRatio: g.mlpHidden / g.width, layerScale: g.layerScale, registerTokens: g.registers, pooling: 'cls', layerNormEps: 1e-6,
    };
  }
  const d = validateVitDescription({ ...base, imageSize: req.imageSize ?? base.imageSize, numLabels: req.labels.length });
  const mismatch: string[] = [];
  if (d.width !== g.width) mismatch.push(`width ${g.width} (description ${d.width})`);
  if (d.depth !== g.depth) mismatch.push(`depth ${g.depth} (description ${d.depth})`);
  if (d.patchSize !== g.patchSize) mismatch.push(`patch size ${g.patchSize} (description ${d.patchSize})`);
  if (mlpHidden(d) !== g.mlpHidden) mismatch.push(`MLP hidden ${g.mlpHidden} (description ${mlpHidden(d)})`);
  if (d.layerScale !== g.layerScale) mismatch.push(`LayerScale ${g.layerScale ? 'present' : 'absent'} (description ${d.layerScale})`);
  if (d.registerTokens !== g.registers) mismatch.push(`${g.registers} register tokens (description ${d.registerTokens})`);
  if (mismatch.length) throw invalidArgument(`checkpoint does not match the target architecture: it has ${mismatch.join(', ')}`, [{ field: 'architecture', description: 'differs from the checkpoint' }]);
  return d;
}

function importWeights(
  req: ImportModelRequest, bytes: Uint8Array, format: 'safetensors' | 'pytorch', name: string, staging: string, source: string, sha256: string,
): ModelVersionSpec {
  let tensors: TensorMap;
  let metadata: Record<string, string> = {};
  if (format === 'safetensors') {
    ({ tensors, metadata } = readSafetensors(bytes, `safetensors file ${JSON.stringify(name)}`));
  } else {
    tensors = readTorchCheckpoint(bytes, `PyTorch checkpoint ${JSON.stringify(name)}`).tensors;
  }
  const mapped = mapToCanonical(tensors, req.family);
  const desc = targetDescription(req, mapped, metadata);

  const convention = req.posEmbedInterpolation ?? defaultPosEmbedConvention(mapped.family);
  const grid = gridSize(desc);
  const pos = mapped.tensors.get('pos_embed')!;
  const interpolated = mapped.geometry.posGrid !== grid;
  mapped.tensors.set('pos_embed', interpolatePosEmbed(pos, grid, convention));

  const C = req.labels.length;
  let headKept = false;
  let headNote: string;
  if (req.keepHead) {
    const h = mapped.head;
    if (!h) throw invalidArgument('keep_head was asked but the checkpoint has no classification head', [{ field: 'keep_head', description: 'no head in checkpoint' }]);
    if (!h.usable) throw invalidArgument(`keep_head cannot be honoured: ${h.reason}`, [{ field: 'keep_head', description: 'head not usable' }]);
    if (h.weight.shape[0] !== C) {
      throw invalidArgument(`keep_head needs a label set aligned with the checkpoint head: it has ${h.weight.shape[0]} outputs, ${C} labels were given`, [{ field: 'labels', description: 'count differs from the checkpoint head' }]);
    }
    mapped.tensors.set('head.weight', h.weight);
    mapped.tensors.set('head.bias', h.bias);
    headKept = true;
    headNote = `kept checkpoint head "${h.source}"`;
  } else {
    const scheme = req.headInit ?? 'trunc-normal';
    const seed = req.seed ?? 0;
    const h = initHead(desc.width, C, scheme, seed);
    mapped.tensors.set('head.weight', h.weight);
    mapped.tensors.set('head.bias', h.bias);
    headNote = `new head: ${scheme === 'trunc-normal' ? 'trunc_normal(std=0.02) weight, zero bias (timm)' : 'nn.Linear default U(-1/sqrt(D), 1/sqrt(D))'}, seed ${seed}`;
    if (mapped.head) headNote += `; checkpoint head "${mapped.head.source}" ${fmtShape(mapped.head.weight.shape)} not used`;
  }

  const weights = new Map<string, Float32Array>();
  for (const [k, t] of mapped.tensors) weights.set(k, t.data);
  checkWeights(desc, weights);

  const initKind = req.initKind ?? metadata[META_INIT_KIND] ?? DEFAULT_INIT_KIND[mapped.family];
  // Stored in the description's parameter order, so the file reads the same way for every import.
  const ordered = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of mapped.tensors) ordered.set(k, { shape: t.shape, data: t.data });
  writeFileAtomic(join(staging, 'weights.safetensors'), writeSafetensors(ordered, {
    format: 'pt', [META_DESCRIPTION]: JSON.stringify(desc), [META_INIT_KIND]: initKind,
  }));
  const attention = req.attention ?? 'plain';
  writeFileAtomic(join(staging, 'model.onnx'), buildInferenceModel(desc, weights, { attention }));
  if (req.fp16Graph) writeFileAtomic(join(staging, 'model.fp16.onnx'), buildInferenceModel(desc, weights, { attention, dtype: 'float16' }));

  const posNote = interpolated ? `${convention}: ${describeResample(convention, mapped.geometry.posGrid, grid)}` : `none (checkpoint grid ${grid}x${grid} matches)`;
  const provenance = {
    initKind, source, sha256, checkpointFormat: `${format}/${mapped.family}`, posEmbedInterpolation: posNote, headKept,
  };
  writeFileAtomic(join(staging, 'provenance.json'), JSON.stringify({
    ...provenance, head: headNote, namePrefix: mapped.prefix, droppedTensors: mapped.dropped,
    sourceDtypes: [...new Set([...tensors.values()].map((t) => t.sourceDtype))], checkpointGeometry: mapped.geometry, attention,
  }, null, 2));
  writeFileSync(join(staging, 'labels.txt'), `${req.labels.join('\n')}\n`);
  return {
    labels: req.labels,
    preprocessing: req.preprocessing ?? 'study-2024',
    imageSize: desc.imageSize,
    architecture: desc as unknown as Record<string, unknown>,
    architectureSummary: `ViT D=${desc.width} depth=${desc.depth} heads=${desc.heads} P=${desc.patchSize} ${desc.imageSize}px${desc.layerScale ? ' LayerScale' : ''}${desc.registerTokens ? ` +${desc.registerTokens} registers` : ''} ${desc.pooling} pooling, ${C} labels`,
    provenance,
    operatingPoints: [],
    usableAsInit: true,
    files: { weights: 'weights.safetensors', graph: 'model.onnx', ...(req.fp16Graph ? { graphFp16: 'model.fp16.onnx' } : {}) },
  };
}
