import type { ServiceContext } from '../service-context';
import { unary } from '../call-adapters';
import {
  ModelServiceService, type ModelServiceServer, type ImportModelRequest,
} from '../generated/cxr/v1/model_service';
import { modelToProto, modelVersionToProto, initKindFromProto } from './convert';
import { CxrError, invalidArgument, unimplemented } from '../../errors/cxr-error';
import { validateModelName } from '../../store/model-repository';
import { DataRoot } from '../../dataset/data-root';
import { resolvePreset } from '../../image/presets';
import { VIT_PRESETS, type VitPresetName } from '../../model/vit-description';
import type { ImportModelRequest as ImporterRequest } from '../../model/import/import-model';
import { importRoot } from '../../config/paths';
import { cudaProviderInstalled } from '../../runtime/execution-provider';

export { ModelServiceService };

export function modelService(ctx: ServiceContext): ModelServiceServer {
  const S = 'cxr.v1.ModelService';
  const provider = (name: string, version: number): string => ctx.capabilities.inference?.executionProviderOf(name, version) ?? '';
  return {
    listModels: unary(ctx, S, 'ListModels', () => ({
      models: ctx.store.models.list().map((m) => modelToProto(m, (v) => provider(v.modelName, v.version))),
    })),
    getModel: unary(ctx, S, 'GetModel', (req) => {
      requireName(req.name, 'name');
      return { model: modelToProto(ctx.store.models.get(req.name), (v) => provider(v.modelName, v.version)) };
    }),
    importModel: unary(ctx, S, 'ImportModel', async (req, call, notes) => {
      const importer = ctx.capabilities.importer;
      if (!importer) throw unimplemented('ImportModel needs the weight importer (src/model/import), which this server was started without');
      notes.modelName = req.name;
      const ac = new AbortController();
      call.on('cancelled', () => ac.abort());
      const v = await importer.importModel(toImportRequest(ctx, req), ac.signal);
      return { version: modelVersionToProto(v) };
    }),
    deleteModel: unary(ctx, S, 'DeleteModel', async (req) => {
      requireName(req.name, 'name');
      const version = req.version ? parseVersion(req.version) : undefined;
      const runtime = ctx.capabilities.inference?.models;
      // The store's rules first, then release sessions, then delete files and rows.
      const model = ctx.store.models.checkDeletable(req.name, version);
      for (const v of model.versions) {
        if (version === undefined || v.version === version) await runtime?.unload(req.name, v.version);
      }
      ctx.store.models.delete(req.name, version);
      runtime?.invalidateServing(req.name);
      return {};
    }),
    setServingVersion: unary(ctx, S, 'SetServingVersion', async (req) => {
      requireName(req.name, 'name');
      const version = parseVersion(req.version);
      const runtime = ctx.capabilities.inference?.models;
      // The runtime loads and warms the new version before the store changes; a failed load changes nothing.
      if (runtime) await runtime.promote(req.name, version);
      else ctx.store.models.setServingVersion(req.name, version);
      return { model: modelToProto(ctx.store.models.get(req.name), (v) => provider(v.modelName, v.version)) };
    }),
  };
}

function requireName(name: string, field: string): void {
  if (!name) throw invalidArgument(`${field} is required`, [{ field, description: 'empty' }]);
}

function parseVersion(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw invalidArgument(`version must be a positive integer, got ${JSON.stringify(v)}`, [{ field: 'version', description: 'not a positive integer' }]);
  return n;
}

/** Whether versions will be served on CUDA with fp16 graphs, so imports should build one. */
function servesOnGpu(config: ServiceContext['config']): boolean {
  const p = config['runtime.executionProvider'];
  return config['runtime.fp16OnGpu'] && (p === 'cuda' || (p === 'auto' && cudaProviderInstalled()));
}

const INTERPOLATIONS = new Set<string>(['dinov2-hub', 'hf', 'timm']);

/** ImportModelRequest (protobuf) -> the importer's request; client paths stay inside the import root. */
function toImportRequest(ctx: ServiceContext, req: ImportModelRequest): ImporterRequest {
  validateModelName(req.name);
  const initKind = initKindFromProto(req.initKind);
  if (!initKind) throw invalidArgument('init_kind is required', [{ field: 'init_kind', description: 'unspecified' }]);
  let source: ImporterRequest['source'];
  if (req.source?.$case === 'path') {
    const root = new DataRoot(importRoot(ctx.config));
    source = { path: root.resolve(req.source.value, 'path') };
  } else if (req.source?.$case === 'hub') {
    const hub = req.source.value;
    if (!hub.repo) throw invalidArgument('hub.repo is required', [{ field: 'hub.repo', description: 'empty' }]);
    source = { hub: { repo: hub.repo, revision: hub.revision || 'main', filename: hub.filename || 'model.safetensors', endpoint: ctx.config['hub.endpoint'] } };
  } else throw new CxrError('INVALID_ARGUMENT', 'one of path or hub is required', { violations: [{ field: 'source', description: 'missing' }] });
  const preprocessing = req.preprocessing || 'study-2024';
  resolvePreset(preprocessing, req.imageSize || undefined);
  let architecture: ImporterRequest['architecture'];
  if (req.architecture) {
    if (!(req.architecture in VIT_PRESETS)) {
      throw invalidArgument(`unknown architecture ${JSON.stringify(req.architecture)}; presets: ${Object.keys(VIT_PRESETS).join(', ')}`, [{ field: 'architecture', description: 'unknown preset' }]);
    }
    architecture = req.architecture as VitPresetName;
  }
  if (req.pooling && req.pooling !== 'cls' && req.pooling !== 'mean') {
    throw invalidArgument('pooling must be "cls" or "mean"', [{ field: 'pooling', description: req.pooling }]);
  }
  if (req.pooling === 'mean') {
    if (!architecture) throw invalidArgument('mean pooling needs an explicit architecture preset', [{ field: 'architecture', description: 'required with pooling=mean' }]);
    architecture = { ...VIT_PRESETS[architecture as VitPresetName], pooling: 'mean' };
  }
  if (req.interpolation && !INTERPOLATIONS.has(req.interpolation)) {
    throw invalidArgument(`interpolation must be one of ${[...INTERPOLATIONS].join(', ')}`, [{ field: 'interpolation', description: req.interpolation }]);
  }
  return {
    modelName: req.name, description: req.description || undefined, source, labels: req.labels, preprocessing,
    architecture, imageSize: req.imageSize || undefined, keepHead: req.keepHead,
    posEmbedInterpolation: (req.interpolation || undefined) as ImporterRequest['posEmbedInterpolation'],
    seed: req.seed, initKind, serve: req.serve, maxDownloadBytes: ctx.config['hub.maxDownloadBytes'],
    fp16Graph: servesOnGpu(ctx.config),
  };
}
