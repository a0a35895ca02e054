import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import type { Config } from '../../src/config/settings';
import { createLogger } from '../../src/observability/logger';
import { startService, type Service } from '../../src/cli/serve';

export function tempDir(prefix = 'cxr-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A real service on a free loopback port with its own data directory. */
export async function startTestService(overrides: Partial<Config> = {}): Promise<Service & { address: string; cleanup(): Promise<void> }> {
  const dir = tempDir();
  const config = loadConfig({
    env: {},
    overrides: {
      'grpc.host': '127.0.0.1', 'grpc.port': 0, 'data.dir': dir.path, 'metrics.port': 0, 'metrics.host': '127.0.0.1',
      'bootstrap.demoModel': false, 'grpc.shutdownGraceMs': 2000, 'runtime.workers': 1, 'runtime.executionProvider': 'cpu', 'image.decodeWorkers': 1,
      ...overrides,
    },
  });
  const service = await startService({ config, logger: createLogger({ level: 'silent' }) });
  await service.warm;
  return {
    ...service,
    address: `127.0.0.1:${service.grpc.port}`,
    cleanup: async () => {
      await service.stop();
      dir.cleanup();
    },
  };
}
