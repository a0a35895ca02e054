import { loadConfig } from '../config/load-config';
import type { Config } from '../config/settings';
import { createLogger, type Logger } from '../observability/logger';
import { openStore, type Store } from '../store/store';
import { startServer, type RunningServer } from '../api/server';
import type { Capabilities } from '../api/service-context';
import { readPackageVersion } from './package-version';
import { importInWorker } from '../model/import/import-in-worker';
import { registerDemoModel, DEMO_MODEL_NAME } from '../model/demo-model';

export interface Service {
  config: Config;
  logger: Logger;
  store: Store;
  grpc: RunningServer;
  /** Drains in-flight calls (up to the grace period), then releases everything. */
  stop(): Promise<void>;
}

/**
 * Composes the service: configuration -> logger -> store -> capabilities -> gRPC server.
 * Everything above the store is optional, so a partial build still serves a truthful API.
 */
export async function startService(opts: { config?: Config; logger?: Logger } = {}): Promise<Service> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger({ level: config['log.level'] });
  const store = openStore(config['data.dir']);
  if (config['bootstrap.demoModel'] && store.models.list().length === 0) {
    logger.info({ model: DEMO_MODEL_NAME }, 'fresh data directory: registering the demo model (random weights)');
    await registerDemoModel(store);
  }
  const capabilities: Capabilities = {
    importer: { importModel: (req, signal) => importInWorker(req, store, signal) },
  };
  let ready = true;
  const grpc = await startServer({ config, logger, store, capabilities, ready: () => ready }, readPackageVersion());
  logger.info({ port: grpc.port, dataDir: store.dataDir }, 'cxr-vit serving');

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      ready = false;
      logger.info({ graceMs: config['grpc.shutdownGraceMs'] }, 'shutting down: draining in-flight calls');
      await grpc.shutdown(config['grpc.shutdownGraceMs']);
      store.close();
      logger.info('stopped');
    })());
  return { config, logger, store, grpc, stop };
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
