import { loadConfig } from '../config/load-config';
import type { Config } from '../config/settings';
import { createLogger, type Logger } from '../observability/logger';
import { openStore, type Store } from '../store/store';
import { startServer, type RunningServer } from '../api/server';
import type { Capabilities } from '../api/service-context';
import { readPackageVersion } from './package-version';
import { importInWorker } from '../model/import/import-in-worker';
import { registerDemoModel, DEMO_MODEL_NAME } from '../model/demo-model';
import { createInferenceEngine } from '../runtime/inference-engine';
import { TrainingJobs } from '../training/training-jobs';
import { EvaluationJobs } from '../evaluation/evaluation-jobs';
import { datasetRoot } from '../config/paths';
import { createCallMetrics, registryLookup } from '../observability/call-metrics';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server';
import { stopTracing } from '../observability/tracing';

export interface Service {
  config: Config;
  logger: Logger;
  store: Store;
  grpc: RunningServer;
  /** Resolves once the serving versions are loaded (the server reports ready from then on). */
  warm: Promise<void>;
  /** The /metrics endpoint; null when metrics.enabled is false. */
  metrics: MetricsServer | null;
  /** Drains in-flight calls (up to the grace period), then releases everything. */
  stop(): Promise<void>;
}

/**
 * Composes the service: configuration -> logger -> store -> capabilities -> gRPC server.
 * Everything above the store is optional, so a partial build still serves a truthful API.
 */
export async function startService(opts: {
  config?: Config;
  logger?: Logger;
  /** Adds or replaces capabilities once the store is open (tests inject stand-ins here). */
  capabilities?: (deps: { config: Config; logger: Logger; store: Store }) => Partial<Capabilities>;
} = {}): Promise<Service> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger({ level: config['log.level'] });
  const store = openStore(config['data.dir']);
  if (config['bootstrap.demoModel'] && store.models.list().length === 0) {
    logger.info({ model: DEMO_MODEL_NAME }, 'fresh data directory: registering the demo model (random weights)');
    await registerDemoModel(store);
  }
  const overrides = opts.capabilities?.({ config, logger, store }) ?? {};
  const inference = createInferenceEngine({ config, store, logger });
  const training = new TrainingJobs({
    store, datasetRoot: datasetRoot(config), concurrentJobs: config['training.concurrentJobs'], threads: config['training.intraOpThreads'],
  });
  const evaluation = overrides.evaluation ? undefined : new EvaluationJobs({
    store, datasetRoot: datasetRoot(config), logger,
    predict: (model, version, image, o) => inference.predict(model, version, image, o),
  });
  const capabilities: Capabilities = {
    importer: { importModel: (req, signal) => importInWorker(req, store, signal) },
    inference,
    training,
    evaluation,
    ...overrides,
  };
  const observer = createCallMetrics({ isKnownModel: registryLookup(store.models) });
  const metrics = config['metrics.enabled'] ? await startMetricsServer(config) : null;
  // Ready once the serving versions are loaded and warmed up; false again when shutdown starts.
  let ready = false;
  let stopped: Promise<void> | null = null;
  const grpc = await startServer({ config, logger, store, capabilities, observer, ready: () => ready }, readPackageVersion());
  logger.info({ port: grpc.port, dataDir: store.dataDir }, 'cxr-vit serving');
  const resumed = [...training.resumeInterrupted(), ...(evaluation?.resumeInterrupted() ?? [])];
  if (resumed.length) logger.info({ jobs: resumed.length }, 'resuming interrupted jobs');
  // Warm the serving versions in the background: requests for a version still loading wait for it,
  // and the inference services report NOT_SERVING (health, KServe ServerReady) until it is done.
  const inferenceServices = ['cxr.v1.InferenceService', 'inference.GRPCInferenceService'];
  for (const s of inferenceServices) grpc.health.setStatus(s, 'NOT_SERVING');
  const warm = inference.loadServingVersions().then(() => {
    if (stopped) return;
    ready = true;
    for (const s of inferenceServices) grpc.health.setStatus(s, 'SERVING');
    logger.info('serving versions loaded: ready');
  });

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      ready = false;
      logger.info({ graceMs: config['grpc.shutdownGraceMs'] }, 'shutting down: draining in-flight calls');
      await grpc.shutdown(config['grpc.shutdownGraceMs']);
      // Running training jobs stay RUNNING in the store and resume from their last checkpoint.
      await training.close();
      await evaluation?.close();
      await inference.close();
      store.close();
      await metrics?.close();
      await stopTracing();
      logger.info('stopped');
    })());
  return { config, logger, store, grpc, metrics, warm, stop };
}

/** `cxr serve`: runs until SIGTERM/SIGINT, then drains and exits 0. */
export async function serveMain(configFile?: string): Promise<void> {
  const config = loadConfig({ file: configFile });
  const service = await startService({ config });
  const onSignal = (sig: string) => {
    service.logger.info({ signal: sig }, 'signal received');
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}
