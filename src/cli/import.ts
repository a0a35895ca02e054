import { ModelServiceClient } from '../api/generated/cxr/v1/model_service';
import { InitKind } from '../api/generated/cxr/v1/common';
import { CLIENT_OPTIONS, insecure, unaryCall, describeGrpcError } from './grpc-client';

const INITS: Record<string, InitKind> = {
  dinov2: InitKind.INIT_KIND_DINOV2, imagenet21k: InitKind.INIT_KIND_IMAGENET21K, 'mimic-cxr': InitKind.INIT_KIND_MIMIC_CXR,
  random: InitKind.INIT_KIND_RANDOM, onnx: InitKind.INIT_KIND_ONNX,
};

export interface ImportOptions {
  server: string;
  name: string;
  path?: string;
  hf?: string;
  revision?: string;
  file?: string;
  init: string;
  labels: string;
  preprocessing?: string;
  imageSize?: string;
  architecture?: string;
  keepHead?: boolean;
  pooling?: string;
  interpolation?: string;
  serve?: boolean;
  seed?: string;
}

/** `cxr import`: asks a running server to import weights; prints the new version. Returns the exit code. */
export async function importCommand(o: ImportOptions): Promise<number> {
  if (!!o.path === !!o.hf) {
    process.stderr.write('cxr import: give exactly one of --path or --hf\n');
    return 2;
  }
  const initKind = INITS[o.init];
  if (initKind === undefined) {
    process.stderr.write(`cxr import: --init must be one of ${Object.keys(INITS).join(', ')}\n`);
    return 2;
  }
  const client = new ModelServiceClient(o.server, insecure(), CLIENT_OPTIONS);
  try {
    const res = await unaryCall(client.importModel.bind(client), {
      name: o.name,
      source: o.path ? { $case: 'path', value: o.path } : { $case: 'hub', value: { repo: o.hf!, revision: o.revision ?? '', filename: o.file ?? '' } },
      initKind,
      labels: o.labels.split(',').map((s) => s.trim()).filter(Boolean),
      preprocessing: o.preprocessing ?? '',
      imageSize: o.imageSize ? Number(o.imageSize) : 0,
      architecture: o.architecture ?? '',
      keepHead: !!o.keepHead,
      pooling: o.pooling ?? '',
      interpolation: o.interpolation ?? '',
      description: '',
      serve: !!o.serve,
      seed: o.seed ? Number(o.seed) : 0,
    });
    const v = res.version!;
    process.stdout.write(`imported ${v.modelName} version ${v.version}: ${v.architecture}\n  labels: ${v.labels.join(', ')}\n  source: ${v.provenance?.source} (sha256 ${v.provenance?.sha256})\n  position embeddings: ${v.provenance?.posEmbedInterpolation || 'as stored'}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`cxr import: ${describeGrpcError(err)}\n`);
    return 1;
  } finally {
    client.close();
  }
}
