import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { modelLabel } from './labels';

export { modelLabel, formatLabel, codeLabel, rpcLabel, kindLabel, versionLabel, providerLabel, poolLabel } from './labels';

/**
 * The service's Prometheus metrics: one registry, one object per metric. Other layers import the
 * object they record into and call it directly, e.g.
 *
 *   batchSize.observe({ model: modelLabel(name) }, images.length);
 *   const done = decodeSeconds.startTimer({ format: formatLabel('dicom') }); ...; done();
 *
 * Every label value goes through a helper from ./labels: label values are bounded by
 * construction (a fixed alphabet, a length cap, a cap on distinct values), and no id, file name or
 * patient datum is ever a label. See src/observability/README.md for the full list.
 */
export const registry = new Registry();

/**
 * Seconds, 1 ms to 30 s: a cached 224 px CPU inference is a few ms, a 20 MB JPEG 2000 DICOM decode
 * or a full queue can take seconds, and 30 s is past every sane client deadline.
 */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Powers of two up to batching.maxBatchSize's maximum (256). */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

// --- API boundary (recorded by the CallObserver of ./call-metrics; nobody else needs to) ---

export const requestsTotal = new Counter({
  name: 'cxr_requests_total',
  help: 'gRPC calls finished, by rpc (service/method), model and version served ("" when none) and status code name.',
  labelNames: ['rpc', 'model', 'version', 'code'] as const,
  registers: [registry],
});

export const requestSeconds = new Histogram({
  name: 'cxr_request_duration_seconds',
  help: 'Wall time of a gRPC call from handler start to final status, by rpc and model.',
  labelNames: ['rpc', 'model'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
});

export const inflightRequests = new Gauge({
  name: 'cxr_inflight_requests',
  help: 'gRPC calls currently being handled, by rpc.',
  labelNames: ['rpc'] as const,
  registers: [registry],
});

// --- runtime: batcher and inference workers ---

export const queueSeconds = new Histogram({
  name: 'cxr_queue_duration_seconds',
  help: 'Time an image waited in the dynamic batcher queue before its batch started, by model.',
  labelNames: ['model'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
});

export const computeSeconds = new Histogram({
  name: 'cxr_compute_duration_seconds',
  help: 'Time one batch spent in ONNX Runtime (session.run), by model.',
  labelNames: ['model'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
});

export const batchSize = new Histogram({
  name: 'cxr_batch_size',
  help: 'Images per executed batch, by model.',
  labelNames: ['model'] as const,
  buckets: BATCH_SIZE_BUCKETS,
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: 'cxr_queue_depth',
  help: 'Images waiting in the dynamic batcher queue, by model (compare with batching.maxQueueSize).',
  labelNames: ['model'] as const,
  registers: [registry],
});

export const queueCapacity = new Gauge({
  name: 'cxr_queue_capacity',
  help: 'Images the batcher queue holds per model before requests get RESOURCE_EXHAUSTED (batching.maxQueueSize).',
  labelNames: ['model'] as const,
  registers: [registry],
});

export const modelsLoaded = new Gauge({
  name: 'cxr_model_loaded',
  help: '1 while a model version is loaded for serving, by model, version and ONNX Runtime execution provider (cpu, cuda).',
  labelNames: ['model', 'version', 'provider'] as const,
  registers: [registry],
});

export const workerRestarts = new Counter({
  name: 'cxr_worker_restarts_total',
  help: 'Worker threads replaced after a crash or a timeout, by pool (inference, decode, training).',
  labelNames: ['pool'] as const,
  registers: [registry],
});

// --- image decoding and preprocessing ---

export const decodeSeconds = new Histogram({
  name: 'cxr_decode_duration_seconds',
  help: 'Time to decode one encoded image to pixels, by format (png, jpeg, dicom, ...).',
  labelNames: ['format'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
});

export const preprocessSeconds = new Histogram({
  name: 'cxr_preprocess_duration_seconds',
  help: 'Time to turn decoded pixels into a model input tensor (windowing, resize, normalise).',
  buckets: DURATION_BUCKETS,
  registers: [registry],
});

// --- training and evaluation jobs (labels are a job kind, never a job id) ---

export const trainingEpoch = new Gauge({
  name: 'cxr_training_epoch',
  help: 'Current epoch (1-based) of the running training job, by job kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const trainingStep = new Gauge({
  name: 'cxr_training_step',
  help: 'Optimiser steps taken by the running training job, by job kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const trainingLoss = new Gauge({
  name: 'cxr_training_loss',
  help: 'Most recent training loss (mean over the last logged steps), by job kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const trainingImagesPerSecond = new Gauge({
  name: 'cxr_training_images_per_second',
  help: 'Training throughput over the last logged steps, by job kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const trainingJobsActive = new Gauge({
  name: 'cxr_training_jobs_active',
  help: 'Training jobs currently running (not queued), by job kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const evaluationProgress = new Gauge({
  name: 'cxr_evaluation_progress_ratio',
  help: 'Fraction (0..1) of images scored by the running evaluation job, by job kind (evaluate, compare).',
  labelNames: ['kind'] as const,
  registers: [registry],
});

// Process metrics (CPU, memory, GC, handles) and nodejs_eventloop_lag_* come from prom-client.
// Sampled every 10 ms: lag spikes from a synchronous decode are what operators need to see.
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
// prom-client exposes these three as gauges named *_total, which `promtool check metrics` rejects
// (and which break rate() assumptions); their by-type siblings nodejs_active_{handles,requests,
// resources}{type} carry the same counts: sum() them for the totals.
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
  registry.removeSingleMetric(name);
}

/** For call sites that hold a raw model name: the one place it becomes a label value. */
export function modelLabels(model: string | undefined): { model: string } {
  return { model: modelLabel(model) };
}
