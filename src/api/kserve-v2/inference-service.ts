import type { ServiceContext } from '../service-context';
import { unary, bidiStream } from '../call-adapters';
import { GRPCInferenceServiceService, type GRPCInferenceServiceServer } from '../generated/inference/grpc_predict_v2';
import { unimplemented } from '../../errors/cxr-error';

export { GRPCInferenceServiceService };

const SERVER_NAME = 'cxr-vit';

export function kserveInferenceService(ctx: ServiceContext, version: string): GRPCInferenceServiceServer {
  const S = 'inference.GRPCInferenceService';
  const missing = (what: string) => unimplemented(`${what} needs the inference runtime (src/runtime), which this server was started without`);
  return {
    serverLive: unary(ctx, S, 'ServerLive', () => ({ live: true })),
    serverReady: unary(ctx, S, 'ServerReady', () => ({ ready: ctx.ready() })),
    serverMetadata: unary(ctx, S, 'ServerMetadata', () => ({ name: SERVER_NAME, version, extensions: [] })),
    modelReady: unary(ctx, S, 'ModelReady', () => { throw missing('ModelReady'); }),
    modelMetadata: unary(ctx, S, 'ModelMetadata', () => { throw missing('ModelMetadata'); }),
    modelInfer: unary(ctx, S, 'ModelInfer', () => { throw missing('ModelInfer'); }),
    modelStreamInfer: bidiStream(ctx, S, 'ModelStreamInfer', async () => { throw missing('ModelStreamInfer'); }),
    modelConfig: unary(ctx, S, 'ModelConfig', () => { throw missing('ModelConfig'); }),
    modelStatistics: unary(ctx, S, 'ModelStatistics', () => { throw missing('ModelStatistics'); }),
  };
}
