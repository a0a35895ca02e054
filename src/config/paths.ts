import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from './settings';

/** Where ImportModel may read checkpoint files (created on first use). */
export function importRoot(config: Config): string {
  const p = resolve(config['data.importRoot'] || join(config['data.dir'], 'imports'));
  mkdirSync(p, { recursive: true });
  return p;
}

/** Where dataset manifests and images must live (created on first use). */
export function datasetRoot(config: Config): string {
  const p = resolve(config['data.datasetRoot'] || join(config['data.dir'], 'datasets'));
  mkdirSync(p, { recursive: true });
  return p;
}
