import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { HealthImplementation } from 'grpc-health-check';
import type { ServiceContext } from './service-context';
import { modelService, ModelServiceService } from './cxr-v1/model-service';
import { inferenceService, InferenceServiceService } from './cxr-v1/inference-service';
import { trainingService, TrainingServiceService } from './cxr-v1/training-service';
import { evaluationService, EvaluationServiceService } from './cxr-v1/evaluation-service';
import { kserveInferenceService, GRPCInferenceServiceService } from './kserve-v2/inference-service';

export const SERVICE_NAMES = [
  'cxr.v1.ModelService',
  'cxr.v1.InferenceService',
  'cxr.v1.TrainingService',
  'cxr.v1.EvaluationService',
  'inference.GRPCInferenceService',
] as const;

export interface RunningServer {
  server: grpc.Server;
  port: number;
  health: HealthImplementation;
  /** Stops accepting calls, lets in-flight calls finish for up to graceMs, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Server reflection answers from the `buf build` descriptor set, file by file as buf wrote it.
 * (proto-loader's loadFileDescriptorSetFromBuffer regroups files, which breaks file lookups, so
 * the set's FileDescriptorProtos are handed to the reflection service untouched.)
 */
function reflectionPackage(): protoLoader.PackageDefinition {
  const set = new BinaryReader(readFileSync(join(__dirname, 'generated', 'descriptor.binpb')));
  const files: Uint8Array[] = [];
  while (set.pos < set.len) {
    const [field, wireType] = set.tag();
    if (field === 1) files.push(set.bytes());
    else set.skip(wireType);
  }
  const api = { 'cxr.descriptor_set': { fileDescriptorProtos: files } } as unknown as protoLoader.PackageDefinition;
  return api;
}

export async function startServer(ctx: ServiceContext, version: string): Promise<RunningServer> {
  const c = ctx.config;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': c['grpc.maxReceiveMessageBytes'],
    'grpc.max_send_message_length': c['grpc.maxSendMessageBytes'],
    'grpc.keepalive_time_ms': c['grpc.keepaliveTimeMs'],
    'grpc.keepalive_timeout_ms': c['grpc.keepaliveTimeoutMs'],
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(ModelServiceService, modelService(ctx));
  server.addService(InferenceServiceService, inferenceService(ctx));
  server.addService(TrainingServiceService, trainingService(ctx));
  server.addService(EvaluationServiceService, evaluationService(ctx));
  server.addService(GRPCInferenceServiceService, kserveInferenceService(ctx, version));

  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(SERVICE_NAMES.map((s) => [s, 'SERVING'])) });
  health.addToServer(server);
  new ReflectionService(reflectionPackage()).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${c['grpc.host']}:${c['grpc.port']}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );

  let stopping: Promise<void> | null = null;
  const shutdown = (graceMs: number): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      health.setStatus('', 'NOT_SERVING');
      for (const s of SERVICE_NAMES) health.setStatus(s, 'NOT_SERVING');
      const timer = setTimeout(() => {
        ctx.logger.warn({ graceMs }, 'grace period over: cancelling calls still in flight');
        server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return stopping;
  };
  return { server, port, health, shutdown };
}
