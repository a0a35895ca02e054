import { parentPort, workerData } from 'node:worker_threads';
import { CxrError } from '../errors/cxr-error';
import { runStatistics, type StatisticsTask } from './statistics-task';

/** Runs one StatisticsTask off the event loop: bootstrap on 25k images is seconds of CPU. */
const port = parentPort;
if (port) {
  let last = 0;
  runStatistics(workerData as StatisticsTask, (done, total) => {
    const now = Date.now();
    if (done === total || now - last >= 200) {
      last = now;
      port.postMessage({ type: 'progress', done, total });
    }
  }).then(
    (outcome) => port.postMessage({ type: 'done', outcome }),
    (err: unknown) => port.postMessage({ type: 'error', error: CxrError.from(err).toJSON() }),
  );
}
