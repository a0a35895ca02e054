import type { Config } from '../config/settings';
import type { Logger } from '../observability/logger';
import type { Store } from '../store/store';
import type { CallObserver } from './call-adapters';

/**
 * What the front ends call. Each capability is wired in by src/cli/serve.ts; a front end whose
 * capability is absent answers UNIMPLEMENTED naming it, so the API contract never changes shape.
 */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  store: Store;
  observer?: CallObserver;
  /** Flips to false when shutdown starts (KServe ServerReady, health). */
  ready: () => boolean;
  capabilities: Capabilities;
}

/** The layers behind the front ends, composed by src/cli/serve.ts (tests may inject stand-ins). */
export interface Capabilities {
  importer?: import('./capabilities').ModelImporter;
  inference?: import('./capabilities').InferenceEngine;
  training?: import('./capabilities').TrainingJobsApi;
  evaluation?: import('./capabilities').EvaluationJobsApi;
}
