import * as grpc from '@grpc/grpc-js';
import { ModelServiceClient } from '../../src/api/generated/cxr/v1/model_service';
import { InferenceServiceClient } from '../../src/api/generated/cxr/v1/inference_service';
import { TrainingServiceClient } from '../../src/api/generated/cxr/v1/training_service';
import { EvaluationServiceClient } from '../../src/api/generated/cxr/v1/evaluation_service';
import { GRPCInferenceServiceClient } from '../../src/api/generated/inference/grpc_predict_v2';
import { HealthClient } from '../../src/api/generated/grpc/health/v1/health';

const OPTIONS = { 'grpc.max_send_message_length': 256 * 1024 * 1024, 'grpc.max_receive_message_length': 256 * 1024 * 1024 };

/** Typed clients for every service, on one channel each, closed together. */
export function clients(address: string) {
  const creds = grpc.credentials.createInsecure();
  const all = {
    models: new ModelServiceClient(address, creds, OPTIONS),
    inference: new InferenceServiceClient(address, creds, OPTIONS),
    training: new TrainingServiceClient(address, creds, OPTIONS),
    evaluation: new EvaluationServiceClient(address, creds, OPTIONS),
    kserve: new GRPCInferenceServiceClient(address, creds, OPTIONS),
    health: new HealthClient(address, creds, OPTIONS),
  };
  return { ...all, close: () => Object.values(all).forEach((c) => c.close()) };
}

/** Promise form of a unary call: `call(client.method.bind(client), request)`. */
export function call<Req, Res>(
  method: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
  opts: Partial<grpc.CallOptions> = {},
): Promise<Res> {
  const withDeadline = { deadline: Date.now() + 60_000, ...opts };
  return new Promise((resolve, reject) => method(req, new grpc.Metadata(), withDeadline, (err, res) => (err ? reject(err) : resolve(res))));
}
