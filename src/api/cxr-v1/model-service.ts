import type { ServiceContext } from '../service-context';
import { unary } from '../call-adapters';
import {
  ModelServiceService, type ModelServiceServer, type ImportModelRequest,
} from '../generated/cxr/v1/model_service';
import { modelToProto, modelVersionToProto, initKindFromProto } from './convert';
import { CxrError, invalidArgument, unimplemented } from '../../errors/cxr-error';
import { validateModelName } from '../../store/model-repository';

export { ModelServiceService };

export function modelService(ctx: ServiceContext): ModelServiceServer {
  const S = 'cxr.v1.ModelService';
  const provider = (name: string, version: number): string =>
    ctx.capabilities.inference && 'executionProviderOf' in ctx.capabilities.inference
      ? (ctx.capabilities.inference as { executionProviderOf(n: string, v: number): string }).executionProviderOf(name, version)
      : '';
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
      const v = await importer.importModel(toImportRequest(req), ac.signal);
      return { version: modelVersionToProto(v) };
    }),
    deleteModel: unary(ctx, S, 'DeleteModel', (req) => {
      requireName(req.name, 'name');
      ctx.store.models.delete(req.name, req.version ? parseVersion(req.version) : undefined);
      return {};
    }),
    setServingVersion: unary(ctx, S, 'SetServingVersion', (req) => {
      requireName(req.name, 'name');
      return { model: modelToProto(ctx.store.models.setServingVersion(req.name, parseVersion(req.version))) };
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

function toImportRequest(req: ImportModelRequest) {
  validateModelName(req.name);
  const initKind = initKindFromProto(req.initKind);
  if (!initKind) throw invalidArgument('init_kind is required', [{ field: 'init_kind', description: 'unspecified' }]);
  let source: import('../capabilities').ImportRequest['source'];
  if (req.source?.$case === 'path') source = { kind: 'path', path: req.source.value };
  else if (req.source?.$case === 'hub') {
    const hub = req.source.value;
    if (!hub.repo) throw invalidArgument('hub.repo is required', [{ field: 'hub.repo', description: 'empty' }]);
    source = { kind: 'hub', repo: hub.repo, revision: hub.revision || 'main', filename: hub.filename || 'model.safetensors' };
  } else throw new CxrError('INVALID_ARGUMENT', 'one of path or hub is required', { violations: [{ field: 'source', description: 'missing' }] });
  return {
    name: req.name, source, initKind, labels: req.labels, preprocessing: req.preprocessing || 'study-2024',
    imageSize: req.imageSize || 224, architecture: req.architecture, keepHead: req.keepHead, pooling: req.pooling || 'cls',
    interpolation: req.interpolation, description: req.description, serve: req.serve, seed: req.seed,
  };
}
