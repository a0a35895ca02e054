import { requestsTotal, requestSeconds, inflightRequests } from './metrics';
import { rpcLabel, modelLabel, codeLabel, versionLabel } from './labels';

/**
 * Observes every call at the boundary: the metrics and tracing layers plug in here, so handlers
 * stay free of bookkeeping. `end` receives the final status name ("OK", "INVALID_ARGUMENT", ...).
 */
export interface CallObserver {
  start(service: string, method: string): { end(code: string, modelName?: string, modelVersion?: string): void };
}

export interface CallMetricsOptions {
  /**
   * Whether a model name is in the registry. A handler reports the model a request *named*, which
   * for a failed call (NOT_FOUND, a rejected ImportModel) is whatever the client sent; only names
   * the registry knows become label values, the rest are recorded with model="".
   * Without it every name is kept, bounded only by ./labels' caps.
   */
  isKnownModel?: (name: string) => boolean;
}

/**
 * The CallObserver the gRPC adapters call for every RPC: counts it by rpc, model, version and status code,
 * times it, and tracks it as in flight. `end` is idempotent so a call is counted once.
 */
export function createCallMetrics(opts: CallMetricsOptions = {}): CallObserver {
  const known = new Set<string>();
  const modelOf = (name: string | undefined): string => {
    if (!name) return '';
    if (!opts.isKnownModel || known.has(name)) return modelLabel(name);
    if (!opts.isKnownModel(name)) return '';
    known.add(name);
    return modelLabel(name);
  };
  return {
    start(service: string, method: string) {
      const rpc = rpcLabel(`${service}/${method}`);
      const started = process.hrtime.bigint();
      inflightRequests.inc({ rpc });
      let ended = false;
      return {
        end(code: string, modelName?: string, modelVersion?: string) {
          if (ended) return;
          ended = true;
          const model = modelOf(modelName);
          inflightRequests.dec({ rpc });
          requestsTotal.inc({ rpc, model, version: model ? versionLabel(modelVersion ?? '') : '', code: codeLabel(code) });
          requestSeconds.observe({ rpc, model }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/** `isKnownModel` over the store's model repository (anything with `get(name)` that throws when absent). */
export function registryLookup(models: { get(name: string): unknown }): (name: string) => boolean {
  return (name) => {
    try {
      models.get(name);
      return true;
    } catch {
      return false;
    }
  };
}
