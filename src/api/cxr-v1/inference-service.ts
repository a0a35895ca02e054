import type { ServiceContext } from '../service-context';
import { unary, bidiStream } from '../call-adapters';
import { InferenceServiceService, type InferenceServiceServer } from '../generated/cxr/v1/inference_service';
import { unimplemented } from '../../errors/cxr-error';

export { InferenceServiceService };

export function inferenceService(ctx: ServiceContext): InferenceServiceServer {
  const S = 'cxr.v1.InferenceService';
  const missing = () => unimplemented('Predict needs the inference runtime (src/runtime), which this server was started without');
  return {
    predict: unary(ctx, S, 'Predict', () => { throw missing(); }),
    predictStream: bidiStream(ctx, S, 'PredictStream', async () => { throw missing(); }),
  };
}
