import type { ServiceContext } from '../service-context';
import { unary, serverStream } from '../call-adapters';
import { EvaluationServiceService, type EvaluationServiceServer } from '../generated/cxr/v1/evaluation_service';
import { unimplemented } from '../../errors/cxr-error';

export { EvaluationServiceService };

export function evaluationService(ctx: ServiceContext): EvaluationServiceServer {
  const S = 'cxr.v1.EvaluationService';
  const missing = () => unimplemented('evaluation needs the evaluator (src/evaluation), which this server was started without');
  return {
    evaluate: unary(ctx, S, 'Evaluate', () => { throw missing(); }),
    compare: unary(ctx, S, 'Compare', () => { throw missing(); }),
    watchEvaluation: serverStream(ctx, S, 'WatchEvaluation', async () => { throw missing(); }),
    getReport: unary(ctx, S, 'GetReport', () => { throw missing(); }),
  };
}
