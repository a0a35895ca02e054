import {
  batchSize, computeSeconds, modelLabel, modelsLoaded, providerLabel, queueCapacity, queueDepth, queueSeconds, versionLabel, workerRestarts,
} from '../observability/metrics';
import type { RuntimeEvents } from './runtime-events';

/**
 * Records the runtime's events into the Prometheus registry (src/observability/metrics.ts).
 * Labels are model name, version and provider only, each through its bounded label helper.
 * Returns the function that detaches it.
 */
export function attachRuntimeMetrics(events: RuntimeEvents, maxQueueSize: number): () => void {
  const providers = new Map<string, string>();
  const onBatch = (b: { model: string; batchSize: number; queueMs: number[]; inferMs: number; ok: boolean }): void => {
    const model = modelLabel(b.model);
    for (const q of b.queueMs) queueSeconds.observe({ model }, q / 1000);
    if (!b.ok) return;
    batchSize.observe({ model }, b.batchSize);
    computeSeconds.observe({ model }, b.inferMs / 1000);
  };
  const onDepth = (d: { model: string; depth: number }): void => queueDepth.set({ model: modelLabel(d.model) }, d.depth);
  const onRestart = (): void => workerRestarts.inc({ pool: 'inference' });
  const onLoaded = (m: { model: string; version: number; provider: string }): void => {
    const labels = { model: modelLabel(m.model), version: versionLabel(String(m.version)), provider: providerLabel(m.provider) };
    providers.set(`${m.model}:${m.version}`, m.provider);
    modelsLoaded.set(labels, 1);
    queueCapacity.set({ model: labels.model }, maxQueueSize);
  };
  const onUnloaded = (m: { model: string; version: number }): void => {
    const provider = providers.get(`${m.model}:${m.version}`);
    if (provider === undefined) return;
    providers.delete(`${m.model}:${m.version}`);
    modelsLoaded.remove({ model: modelLabel(m.model), version: versionLabel(String(m.version)), provider: providerLabel(provider) });
  };
  events.on('batch', onBatch);
  events.on('queue-depth', onDepth);
  events.on('worker-restart', onRestart);
  events.on('model-loaded', onLoaded);
  events.on('model-unloaded', onUnloaded);
  return () => {
    events.off('batch', onBatch);
    events.off('queue-depth', onDepth);
    events.off('worker-restart', onRestart);
    events.off('model-loaded', onLoaded);
    events.off('model-unloaded', onUnloaded);
  };
}
