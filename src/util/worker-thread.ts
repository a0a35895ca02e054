import { Worker, type WorkerOptions } from 'node:worker_threads';
import { extname, join } from 'node:path';

/**
 * The file of a worker next to the calling module: `.ts` under tsx, `.js` once compiled. The
 * extension is taken from the caller's own __filename so both layouts work unchanged.
 */
export function workerPath(dirname: string, callerFilename: string, name: string): string {
  return join(dirname, name + extname(callerFilename));
}

/**
 * Starts a worker on `file`. A `.ts` worker is started through tsx's CommonJS hook: on Node 20
 * an inherited `--import tsx` does not reach the worker's own loader, so the file would fail with
 * ERR_UNKNOWN_FILE_EXTENSION.
 */
export function startWorker(file: string, options: WorkerOptions = {}): Worker {
  const opts: WorkerOptions = { execArgv: process.execArgv, ...options };
  if (extname(file) === '.ts') {
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { ...opts, eval: true });
  }
  return new Worker(file, opts);
}
