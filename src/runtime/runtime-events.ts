import { EventEmitter } from 'node:events';
import type { ProviderName } from './execution-provider';

/**
 * What the runtime tells observers (metrics, tests, the bench). Labels are model name and
 * version only: nothing here ever carries request, client or patient data.
 */
export interface RuntimeEventMap {
  /** One batch finished on a worker (ok or not); computeMs = input + session.run + output, inferMs = session.run. */
  batch: [{ model: string; version: number; worker: number; batchSize: number; queueMs: number[]; computeMs: number; inferMs: number; ok: boolean }];
  /** Queue depth (images) of a model version after every change that matters. */
  'queue-depth': [{ model: string; version: number; depth: number }];
  /** A worker died and is being replaced. */
  'worker-restart': [{ worker: number; reason: string }];
  'model-loaded': [{ model: string; version: number; provider: ProviderName }];
  'model-unloaded': [{ model: string; version: number }];
  /** 'auto' wanted CUDA and got CPU. Also logged at error level. */
  'provider-fallback': [{ model: string; version: number; reason: string }];
}

export class RuntimeEvents extends EventEmitter<RuntimeEventMap> {}
