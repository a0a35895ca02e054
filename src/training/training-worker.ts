/**
 * Worker-thread entry of a training job: ORT runs block for the length of a step, so they must
 * not run on the server's event loop. Cancellation arrives through a shared flag, read between
 * steps, so it is seen even while the worker never yields to its own message loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CxrError } from '../errors/cxr-error';
import { runTrainingPlan } from './training-run';
import type { TrainingPlan } from './training-plan';

export interface TrainingWorkerData {
  plan: TrainingPlan;
  stagingDir: string;
  /** Int32Array(1) view: 1 = cancel requested. */
  cancelFlag: SharedArrayBuffer;
  threads?: number;
}

const data = workerData as TrainingWorkerData;
const flag = new Int32Array(data.cancelFlag);
runTrainingPlan(data.plan, data.stagingDir, {
  onEvent: (event) => parentPort!.postMessage({ type: 'event', event }),
  isCancelled: () => Atomics.load(flag, 0) === 1,
}, data.threads).then(
  (outcome) => parentPort!.postMessage({ type: 'done', outcome }),
  (err) => parentPort!.postMessage({ type: 'error', error: CxrError.from(err).toJSON() }),
);
