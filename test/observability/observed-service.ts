import type { Config } from '../../src/config/settings';
import { createLogger } from '../../src/observability/logger';
import { createCallMetrics, registryLookup } from '../../src/observability/call-metrics';
import { startMetricsServer, type MetricsServer } from '../../src/observability/metrics-server';

/**
 * The running service with its /metrics endpoint. Uses startTestService once src/cli/serve.ts
 * wires the metrics server and call observer in (the service then exposes `metrics`); until then
 * it composes the same pieces itself, the way startService will.
 * Imports of the server are lazy so a test can start tracing before @grpc/grpc-js loads.
 */
export interface ObservedService {
  address: string;
  metricsPort: number;
  stop(): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export async function startObservedService(overrides: Partial<Config> = {}): Promise<ObservedService> {
  const { startTestService, tempDir } = require('../helpers/service') as typeof import('../helpers/service');
  const metricsOf = (s: object) => (s as { metrics?: MetricsServer | null }).metrics;
  // A plain start first (cheap: no demo model) tells whether serve.ts wires metrics in yet.
  const probe = await startTestService();
  if (metricsOf(probe)) {
    const svc = Object.keys(overrides).length ? (await probe.cleanup(), await startTestService(overrides)) : probe;
    return { address: svc.address, metricsPort: metricsOf(svc)!.port, stop: () => svc.cleanup() };
  }
  await probe.cleanup();

  const { loadConfig } = require('../../src/config/load-config') as typeof import('../../src/config/load-config');
  const { openStore } = require('../../src/store/store') as typeof import('../../src/store/store');
  const { startServer } = require('../../src/api/server') as typeof import('../../src/api/server');
  const dir = tempDir();
  const config = loadConfig({
    env: {},
    overrides: {
      'grpc.host': '127.0.0.1', 'grpc.port': 0, 'data.dir': dir.path, 'metrics.port': 0, 'metrics.host': '127.0.0.1',
      'bootstrap.demoModel': false, 'grpc.shutdownGraceMs': 2000, 'runtime.workers': 1, 'image.decodeWorkers': 1,
      ...overrides,
    },
  });
  const logger = createLogger({ level: 'silent' });
  const store = openStore(config['data.dir']);
  const observer = createCallMetrics({ isKnownModel: registryLookup(store.models) });
  const metrics = await startMetricsServer(config);
  const grpc = await startServer({ config, logger, store, observer, capabilities: {}, ready: () => true }, '0.0.0-test');
  return {
    address: `127.0.0.1:${grpc.port}`,
    metricsPort: metrics.port,
    stop: async () => {
      await grpc.shutdown(2000);
      await metrics.close();
      store.close();
      dir.cleanup();
    },
  };
}

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}
