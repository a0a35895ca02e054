import { CxrError } from '../errors/cxr-error';
import { startWorker, workerPath } from '../util/worker-thread';
import type { StatisticsOutcome, StatisticsTask } from './statistics-task';

/**
 * Runs the statistics in a worker thread so the server keeps answering while the bootstrap runs.
 * `signal` terminates the worker (server shutdown).
 */
export function statisticsInWorker(
  task: StatisticsTask,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<StatisticsOutcome> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CxrError('CANCELLED', 'evaluation stopped'));
    const worker = startWorker(workerPath(__dirname, __filename, 'statistics-worker'), { workerData: task });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => {
      settle(() => reject(new CxrError('CANCELLED', 'evaluation stopped')));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: { type: string; done?: number; total?: number; outcome?: StatisticsOutcome; error?: unknown }) => {
      if (m.type === 'progress') onProgress?.(m.done!, m.total!);
      else if (m.type === 'done') settle(() => resolve(m.outcome!));
      else if (m.type === 'error') settle(() => reject(CxrError.from(m.error)));
    });
    worker.on('error', (err) => settle(() => reject(new CxrError('INTERNAL', `statistics worker failed: ${CxrError.from(err).message}`))));
    worker.on('exit', (code) => settle(() => reject(new CxrError('INTERNAL', `statistics worker exited (code ${code}) before finishing`))));
  });
}
