import { performance } from 'node:perf_hooks';
import type { ImagePrediction, ImageRequest, LabelDecision } from './prediction';
import type { Config } from '../config/settings';
import { CxrError, invalidArgument } from '../errors/cxr-error';
import { ImagePipeline } from '../image/image-pipeline';
import { resolvePreset } from '../image/presets';
import type { Logger } from '../observability/logger';
import type { Store } from '../store/store';
import type { ProviderChoice, ProviderName } from './execution-provider';
import { ModelManager, type BatchingOptions, type LoadedVersion, type VersionLease } from './model-manager';
import type { ModelStatistics } from './model-statistics';
import { RuntimeEvents } from './runtime-events';
import { attachRuntimeMetrics } from './runtime-metrics';
import { checkFinite, sigmoid, tensorFromBytes } from './tensor-codec';
import { WorkerPool } from './worker-pool';
import { recordImageStages, tracePostprocess } from '../observability/spans';
import { decodeSeconds, preprocessSeconds, formatLabel } from '../observability/metrics';

export interface InferOptions {
  /** Absolute deadline, ms since the epoch (Date.now() clock; a gRPC deadline as is). */
  deadline?: number;
  signal?: AbortSignal;
}

export interface TensorInferResult {
  modelName: string;
  modelVersion: number;
  labels: string[];
  /** [batch, C] row-major. */
  logits: Float32Array;
  /** sigmoid(logits), [batch, C]. */
  probabilities: Float32Array;
  /** Batch size each image was computed in. */
  batchSizes: number[];
  timing: { queueMs: number; computeMs: number; totalMs: number };
}

export interface TensorMetadata {
  name: string;
  /** KServe datatype. */
  datatype: 'FP32';
  /** -1 = variable (the batch dimension). */
  shape: number[];
}

export interface ModelInfo {
  name: string;
  version: number;
  platform: 'onnxruntime_onnx';
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  labels: string[];
  preprocessing: string;
  imageSize: number;
  maxBatchSize: number;
  preferredBatchSizes: number[];
  maxQueueDelayMs: number;
  maxQueueSize: number;
  /** The provider the loaded sessions run on; undefined while not loaded. */
  provider?: ProviderName;
  /** Loaded and warmed up: requests are served without a load first. */
  ready: boolean;
  /** Whether this version is the model's serving version. */
  serving: boolean;
}

export interface RuntimeEngineOptions {
  store: Store;
  workers: number;
  intraOpThreads: number;
  executionProvider: ProviderChoice;
  cudaDeviceId?: number;
  batching: BatchingOptions;
  /** Decode + preprocess; created on first image request from `decodeWorkers` when absent. */
  pipeline?: ImagePipeline;
  decodeWorkers?: number;
  decodeLimits?: ConstructorParameters<typeof ImagePipeline>[0]['limits'];
  logger?: Logger;
  /** Record into the Prometheus registry of src/observability/metrics.ts (default true). */
  metrics?: boolean;
  /** Defaults to os.availableParallelism(). */
  cores?: number;
  /** Serve fp16 graphs on CUDA when a version has one (default true). */
  fp16OnGpu?: boolean;
  /** Tests only: lets `injectWorkerFault` through. */
  allowFaultInjection?: boolean;
}

/**
 * The inference runtime behind every front end: decode -> preprocess -> dynamic batcher ->
 * ONNX Runtime worker -> sigmoid -> labelled probabilities and decisions. Protobuf-free.
 */
export class RuntimeInferenceEngine {
  readonly events = new RuntimeEvents();
  readonly models: ModelManager;
  private readonly pool: WorkerPool;
  private readonly detachMetrics?: () => void;
  private pipeline?: ImagePipeline;
  private readonly ownsPipeline: boolean;

  constructor(private readonly opts: RuntimeEngineOptions) {
    if (opts.metrics !== false) this.detachMetrics = attachRuntimeMetrics(this.events, opts.batching.maxQueueSize);
    this.pool = new WorkerPool({
      workers: opts.workers, intraOpThreads: opts.intraOpThreads, executionProvider: opts.executionProvider,
      cudaDeviceId: opts.cudaDeviceId ?? 0, cores: opts.cores, logger: opts.logger, events: this.events,
      allowFaultInjection: opts.allowFaultInjection,
    });
    this.models = new ModelManager({
      store: opts.store, pool: this.pool, batching: opts.batching, logger: opts.logger, events: this.events,
      providerChoice: opts.executionProvider, fp16OnGpu: opts.fp16OnGpu,
    });
    this.pipeline = opts.pipeline;
    this.ownsPipeline = !opts.pipeline;
  }

  /** Classifies one image (mediaType 'tensor': float32 [3,S,S] little endian, already preprocessed). */
  async predict(modelName: string, version: string | number | undefined, image: ImageRequest, opts: InferOptions = {}): Promise<ImagePrediction> {
    const t0 = performance.now();
    const lease = await this.models.acquire(modelName, version);
    const v = lease.version;
    try {
      const S = v.record.imageSize;
      let tensor: Float32Array;
      let decodeMs = 0;
      let preprocessMs = 0;
      if (image.mediaType === 'tensor') {
        tensor = tensorFromBytes(image.data, S, 'data');
      } else {
        const startedAt = performance.timeOrigin + performance.now();
        const r = await this.imagePipeline().process(image.data, image.mediaType, resolvePreset(v.record.preprocessing, S), opts.signal);
        if (r.tensor.length !== 3 * S * S) throw new CxrError('INTERNAL', `preprocessing produced ${r.tensor.length} values, expected ${3 * S * S}`);
        tensor = r.tensor;
        decodeMs = r.decodeMs;
        preprocessMs = r.preprocessMs;
        recordImageStages(r.format, image.data.length, startedAt, decodeMs, preprocessMs);
        decodeSeconds.observe({ format: formatLabel(r.format) }, decodeMs / 1000);
        preprocessSeconds.observe(preprocessMs / 1000);
      }
      const [p] = v.batcher.submit([tensor], opts);
      const r = await p!;
      const scores = tracePostprocess(() => decisions(v, sigmoid(r.logits)));
      const totalMs = performance.now() - t0;
      v.stats.recordSuccess(totalMs * 1e6, r.queueMs * 1e6, r.inputNs, r.inferNs, r.outputNs);
      return {
        modelName: v.modelName,
        modelVersion: v.version,
        scores,
        timing: { decodeMs, preprocessMs, queueMs: r.queueMs, computeMs: r.computeMs, totalMs, batchSize: r.batchSize },
      };
    } catch (err) {
      v.stats.recordFailure((performance.now() - t0) * 1e6);
      throw CxrError.from(err);
    } finally {
      lease.release();
    }
  }

  /**
   * Tensor-level inference for KServe ModelInfer: `pixels` holds `batch` preprocessed images
   * [batch,3,S,S]. The images join the batcher individually, so they batch with other requests.
   */
  async inferTensor(modelName: string, version: string | number | undefined, pixels: Float32Array, batch: number, opts: InferOptions = {}): Promise<TensorInferResult> {
    const t0 = performance.now();
    const lease: VersionLease = await this.models.acquire(modelName, version);
    const v = lease.version;
    try {
      const S = v.record.imageSize;
      const L = 3 * S * S;
      if (!Number.isInteger(batch) || batch < 1 || batch > v.batcher.maxSubmission) {
        throw invalidArgument(`batch must be an integer from 1 to ${v.batcher.maxSubmission}, got ${batch}`, [{ field: 'inputs[0].shape[0]', description: 'batch size out of range' }]);
      }
      if (pixels.length !== batch * L) {
        throw invalidArgument(`input has ${pixels.length} values, expected [${batch},3,${S},${S}] = ${batch * L}`, [{ field: 'inputs[0]', description: `shape must be [${batch},3,${S},${S}]` }]);
      }
      checkFinite(pixels, 'inputs[0]');
      const results = await Promise.all(v.batcher.submit(Array.from({ length: batch }, (_, i) => pixels.subarray(i * L, (i + 1) * L)), opts));
      const C = v.record.labels.length;
      const logits = new Float32Array(batch * C);
      results.forEach((r, i) => logits.set(r.logits, i * C));
      const queueMs = Math.max(...results.map((r) => r.queueMs));
      const computeMs = Math.max(...results.map((r) => r.computeMs));
      const totalMs = performance.now() - t0;
      const pick = (f: (r: (typeof results)[number]) => number) => Math.max(...results.map(f));
      v.stats.recordSuccess(totalMs * 1e6, queueMs * 1e6, pick((r) => r.inputNs), pick((r) => r.inferNs), pick((r) => r.outputNs));
      return {
        modelName: v.modelName, modelVersion: v.version, labels: [...v.record.labels], logits, probabilities: sigmoid(logits),
        batchSizes: results.map((r) => r.batchSize), timing: { queueMs, computeMs, totalMs },
      };
    } catch (err) {
      v.stats.recordFailure((performance.now() - t0) * 1e6);
      throw CxrError.from(err);
    } finally {
      lease.release();
    }
  }

  /** Metadata of a version (undefined: serving). Does not load it; `ready` says whether it is loaded. */
  modelInfo(modelName: string, version?: string | number): ModelInfo {
    const record = this.opts.store.models.resolve(modelName, version);
    const serving = this.opts.store.models.get(modelName).servingVersion === record.version;
    const loaded = this.models.get(modelName, record.version);
    const S = record.imageSize;
    const b = this.opts.batching;
    return {
      name: record.modelName,
      version: record.version,
      platform: 'onnxruntime_onnx',
      inputs: [{ name: loaded?.inputs[0]?.name ?? 'pixels', datatype: 'FP32', shape: [-1, 3, S, S] }],
      outputs: [{ name: loaded?.outputs[0]?.name ?? 'logits', datatype: 'FP32', shape: [-1, record.labels.length] }],
      labels: [...record.labels],
      preprocessing: record.preprocessing,
      imageSize: S,
      maxBatchSize: b.maxBatchSize,
      preferredBatchSizes: [...(b.preferredBatchSizes ?? [])],
      maxQueueDelayMs: b.maxQueueDelayMs,
      maxQueueSize: b.maxQueueSize,
      provider: loaded?.provider,
      ready: loaded !== undefined,
      serving,
    };
  }

  /** The provider a loaded version runs on; undefined when it is not loaded. */
  executionProviderOf(modelName: string, version: number): ProviderName | undefined {
    return this.models.get(modelName, version)?.provider;
  }

  /** Triton-shaped statistics of every version ever loaded; filter by name and version (empty = all). */
  statistics(modelName?: string, version?: string | number): ModelStatistics[] {
    return this.models
      .recordersList()
      .filter((r) => !modelName || r.name === modelName)
      .filter((r) => version === undefined || version === '' || String(r.version) === String(version))
      .map((r) => r.snapshot());
  }

  /** Loads the serving version of every model in the store (startup warm-up); failures are logged, not thrown. */
  async loadServingVersions(): Promise<void> {
    for (const m of this.opts.store.models.list()) {
      if (m.servingVersion === null) continue;
      await this.models.load(m.name, m.servingVersion).catch((err: unknown) => {
        this.opts.logger?.error({ model: m.name, version: m.servingVersion, err: CxrError.from(err).message }, 'serving version failed to load at startup');
      });
    }
  }

  /** Tests only (allowFaultInjection): the next batch on `worker` kills that worker. */
  injectWorkerFault(worker: number, mode: 'exit' | 'throw'): void {
    this.pool.injectFault(worker, mode);
  }

  get workerCount(): number {
    return this.pool.size;
  }

  async close(): Promise<void> {
    await this.models.close();
    await this.pool.close();
    this.detachMetrics?.();
    if (this.ownsPipeline) await this.pipeline?.close();
  }

  private imagePipeline(): ImagePipeline {
    this.pipeline ??= new ImagePipeline({ workers: this.opts.decodeWorkers ?? 1, limits: this.opts.decodeLimits });
    return this.pipeline;
  }
}

function decisions(v: LoadedVersion, probs: Float32Array): LabelDecision[] {
  const points = new Map(v.record.operatingPoints.map((p) => [p.label, p.threshold]));
  return v.record.labels.map((label, i) => {
    const probability = probs[i]!;
    const threshold = points.get(label);
    return threshold === undefined ? { label, probability } : { label, probability, positive: probability >= threshold, threshold };
  });
}

/** The engine as `cxr serve` configures it. */
export function createInferenceEngine(args: { config: Config; store: Store; logger?: Logger; pipeline?: ImagePipeline }): RuntimeInferenceEngine {
  const c = args.config;
  return new RuntimeInferenceEngine({
    store: args.store,
    workers: c['runtime.workers'],
    intraOpThreads: c['runtime.intraOpThreads'],
    executionProvider: c['runtime.executionProvider'] as ProviderChoice,
    cudaDeviceId: c['runtime.cudaDeviceId'],
    fp16OnGpu: c['runtime.fp16OnGpu'],
    batching: { maxBatchSize: c['batching.maxBatchSize'], maxQueueDelayMs: c['batching.maxQueueDelayMs'], maxQueueSize: c['batching.maxQueueSize'] },
    pipeline: args.pipeline,
    decodeWorkers: c['image.decodeWorkers'],
    decodeLimits: {
      maxEncodedBytes: c['image.maxEncodedBytes'], maxPixels: c['image.maxPixels'], timeoutMs: c['image.decodeTimeoutMs'],
      multiFrame: c['image.multiFrame'] as 'first' | 'reject',
    },
    logger: args.logger,
  });
}
