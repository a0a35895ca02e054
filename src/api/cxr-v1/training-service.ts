import type { ServiceContext } from '../service-context';
import { unary, serverStream } from '../call-adapters';
import { TrainingServiceService, type TrainingServiceServer } from '../generated/cxr/v1/training_service';
import { unimplemented } from '../../errors/cxr-error';

export { TrainingServiceService };

export function trainingService(ctx: ServiceContext): TrainingServiceServer {
  const S = 'cxr.v1.TrainingService';
  const missing = () => unimplemented('training needs the trainer (src/training), which this server was started without');
  return {
    startTraining: unary(ctx, S, 'StartTraining', () => { throw missing(); }),
    watchJob: serverStream(ctx, S, 'WatchJob', async () => { throw missing(); }),
    getJob: unary(ctx, S, 'GetJob', () => { throw missing(); }),
    listJobs: unary(ctx, S, 'ListJobs', () => { throw missing(); }),
    cancelJob: unary(ctx, S, 'CancelJob', () => { throw missing(); }),
  };
}
