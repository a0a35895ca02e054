import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CxrError, failedPrecondition } from '../errors/cxr-error';
import type { Logger } from '../observability/logger';
import type { ModelRecord, ModelVersionRecord } from '../store/model-repository';
import type { Store } from '../store/store';
import { DynamicBatcher, type BatchExecutor } from './dynamic-batcher';
import { cudaProviderInstalled, type ProviderName } from './execution-provider';
import { ModelStatisticsRecorder } from './model-statistics';
import type { RuntimeEvents } from './runtime-events';
import type { TensorInfo } from './session-worker';
import type { WorkerPool } from './worker-pool';

export interface BatchingOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  preferredBatchSizes?: number[];
}

/** A version whose sessions exist in every worker, warmed up, with its own batcher. */
export interface LoadedVersion {
  readonly modelName: string;
  readonly version: number;
  /** Session key in the workers: name:version#generation (a reload is a new generation). */
  readonly key: string;
  readonly record: ModelVersionRecord;
  readonly batcher: DynamicBatcher;
  readonly provider: ProviderName;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  readonly stats: ModelStatisticsRecorder;
  readonly loadMs: number;
}

/** A request's hold on a version: the version stays loaded until every lease is released. */
export interface VersionLease {
  readonly version: LoadedVersion;
  release(): void;
}

interface Entry {
  loaded: LoadedVersion;
  refs: number;
  /** Resolves when refs drops to 0 after retirement began. */
  idle?: () => void;
}

export interface ModelManagerOptions {
  store: Store;
  pool: WorkerPool;
  batching: BatchingOptions;
  logger?: Logger;
  events?: RuntimeEvents;
  /** How long a serving-version lookup is reused (default 1000 ms); promote() refreshes it at once. */
  servingCacheMs?: number;
  /** Asked for 'auto' mode only to word the fallback log line. */
  providerChoice?: string;
  /** Serve a version's fp16 graph on CUDA when it has one (default true). */
  fp16OnGpu?: boolean;
}

const versionId = (name: string, version: number): string => `${name}:${version}`;

/**
 * Model lifecycle: load (sessions in all workers + warm-up, then ready), unload, reload,
 * promote. A version takes requests only once loaded (readiness gate); a failed load leaves
 * whatever was serving untouched; a retired version finishes the requests that hold it.
 */
export class ModelManager {
  private readonly live = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly recorders = new Map<string, ModelStatisticsRecorder>();
  private readonly servingCache = new Map<string, { version: number; at: number }>();
  private generation = 0;
  private closed = false;

  constructor(private readonly opts: ModelManagerOptions) {}

  /**
   * The version a request should run on (version empty/undefined: the store's serving version),
   * loading it on first use. The caller must release the lease when its request ends.
   */
  async acquire(name: string, version?: string | number): Promise<VersionLease> {
    const v = this.fastResolve(name, version) ?? this.opts.store.models.resolve(name, version).version;
    let entry = this.live.get(versionId(name, v));
    if (!entry) {
      await this.load(name, v);
      entry = this.live.get(versionId(name, v));
      if (!entry) throw new CxrError('UNAVAILABLE', `model ${name} version ${v} was unloaded while loading; retry`);
    }
    const e = entry;
    e.refs++;
    let released = false;
    return {
      version: e.loaded,
      release: () => {
        if (released) return;
        released = true;
        if (--e.refs === 0) e.idle?.();
      },
    };
  }

  /**
   * The version number without touching SQLite when it can (a store lookup costs ~0.3 ms of main
   * thread, which at saturation is most of the request's main-thread budget). Serving versions
   * are cached for `servingCacheMs`; promote() updates the cache at once.
   */
  private fastResolve(name: string, version?: string | number): number | undefined {
    if (version === undefined || version === '') {
      const c = this.servingCache.get(name);
      if (c && performance.now() - c.at < (this.opts.servingCacheMs ?? 1000)) return c.version;
      const serving = this.opts.store.models.resolve(name).version;
      this.servingCache.set(name, { version: serving, at: performance.now() });
      return serving;
    }
    const n = typeof version === 'number' ? version : /^[1-9][0-9]{0,8}$/.test(version) ? Number(version) : NaN;
    return this.live.has(versionId(name, n)) ? n : undefined;
  }

  /** Forgets the cached serving version of `name` (call after changing it in the store directly). */
  invalidateServing(name: string): void {
    this.servingCache.delete(name);
  }

  /** Loads a version (undefined: the serving one). Concurrent calls share one load. Already loaded: returns it. */
  async load(name: string, version?: string | number): Promise<LoadedVersion> {
    if (this.closed) throw new CxrError('UNAVAILABLE', 'inference runtime is shut down');
    const record = this.opts.store.models.resolve(name, version);
    const id = versionId(name, record.version);
    const live = this.live.get(id);
    if (live) return live.loaded;
    let p = this.loading.get(id);
    if (!p) {
      p = this.create(record).then(
        (v) => {
          this.loading.delete(id);
          if (this.closed) {
            void this.retire({ loaded: v, refs: 0 });
            throw new CxrError('UNAVAILABLE', 'inference runtime is shut down');
          }
          this.live.set(id, { loaded: v, refs: 0 });
          return v;
        },
        (err: unknown) => {
          this.loading.delete(id);
          throw err;
        },
      );
      this.loading.set(id, p);
    }
    return p;
  }

  /** Unloads a version once the requests holding it finish. New requests for it load it again. */
  async unload(name: string, version: number): Promise<void> {
    const id = versionId(name, version);
    await this.loading.get(id)?.catch(() => undefined);
    const entry = this.live.get(id);
    if (!entry) return;
    this.live.delete(id);
    await this.retire(entry);
  }

  /** Fresh sessions from the version's files; the old ones serve until the new ones are ready. */
  async reload(name: string, version: number): Promise<LoadedVersion> {
    const record = this.opts.store.models.resolve(name, version);
    const id = versionId(name, record.version);
    const fresh = await this.create(record);
    const old = this.live.get(id);
    this.live.set(id, { loaded: fresh, refs: 0 });
    if (old) await this.retire(old);
    return fresh;
  }

  /**
   * Makes `version` the serving version: it is loaded and warmed up first, and only then recorded
   * in the store. If loading fails the serving version stays as it was. The previous serving
   * version is unloaded after its in-flight requests finish, unless keepPrevious.
   */
  async promote(name: string, version: number, opts: { keepPrevious?: boolean } = {}): Promise<ModelRecord> {
    const before = this.opts.store.models.get(name).servingVersion;
    await this.load(name, version);
    const model = this.opts.store.models.setServingVersion(name, version);
    this.servingCache.set(name, { version, at: performance.now() });
    this.opts.logger?.info({ model: name, version, previous: before }, 'serving version promoted');
    if (!opts.keepPrevious && before !== null && before !== version) await this.unload(name, before);
    return model;
  }

  get(name: string, version: number): LoadedVersion | undefined {
    return this.live.get(versionId(name, version))?.loaded;
  }

  list(): LoadedVersion[] {
    return [...this.live.values()].map((e) => e.loaded);
  }

  isLoading(name: string, version: number): boolean {
    return this.loading.has(versionId(name, version));
  }

  /** Statistics recorders of every version ever loaded (they survive reloads and unloads). */
  recordersList(): ModelStatisticsRecorder[] {
    return [...this.recorders.values()];
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.live.values()];
    this.live.clear();
    await Promise.all(entries.map((e) => this.retire(e)));
  }

  /** The fp16 graph when the version has one and sessions will run on CUDA (fp16 on CPU is slower). */
  private graphFile(record: ModelVersionRecord): string {
    const choice = this.opts.providerChoice ?? 'auto';
    const onGpu = choice === 'cuda' || (choice === 'auto' && cudaProviderInstalled());
    return onGpu && this.opts.fp16OnGpu !== false && record.files.graphFp16 ? record.files.graphFp16 : record.files.graph;
  }

  private async create(record: ModelVersionRecord): Promise<LoadedVersion> {
    if (record.state !== 'READY') throw failedPrecondition(`model ${record.modelName} version ${record.version} is ${record.state}, not READY`);
    const { pool, batching, logger, events } = this.opts;
    const S = record.imageSize;
    const key = `${versionId(record.modelName, record.version)}#${++this.generation}`;
    const t0 = performance.now();
    let info;
    try {
      info = await pool.load(key, { graphPath: join(record.dir, this.graphFile(record)), warmupShape: [batching.maxBatchSize, 3, S, S] });
    } catch (err) {
      const e = CxrError.from(err);
      logger?.error({ model: record.modelName, version: record.version, err: e.message }, 'model version failed to load; the serving version is unchanged');
      throw new CxrError(e.code === 'INTERNAL' ? 'FAILED_PRECONDITION' : e.code, `model ${record.modelName} version ${record.version} failed to load: ${e.message}`, { cause: e });
    }
    const outDim = info.outputs[0]?.shape.at(-1);
    if (typeof outDim === 'number' && outDim !== record.labels.length) {
      await pool.unload(key);
      throw failedPrecondition(`model ${record.modelName} version ${record.version} outputs ${outDim} logits but has ${record.labels.length} labels`);
    }
    if (info.fallbackReason) {
      const fields = { model: record.modelName, version: record.version, requested: this.opts.providerChoice ?? 'auto', reason: info.fallbackReason };
      if (cudaProviderInstalled()) {
        // CUDA is installed and still failed: a GPU deployment serving on CPU is a 10x slowdown.
        logger?.error(fields, 'CUDA EXECUTION PROVIDER FAILED TO LOAD: SERVING ON CPU (set runtime.executionProvider=cpu to silence, or fix the CUDA install)');
      } else {
        // No CUDA provider on this machine at all: CPU is what 'auto' means here; say so once per load.
        logger?.warn(fields, 'no CUDA provider installed: serving on CPU (runtime.executionProvider=auto)');
      }
      events?.emit('provider-fallback', { model: record.modelName, version: record.version, reason: info.fallbackReason });
    }
    const id = versionId(record.modelName, record.version);
    let stats = this.recorders.get(id);
    if (!stats) this.recorders.set(id, (stats = new ModelStatisticsRecorder(record.modelName, record.version)));
    const recorder = stats;
    const executor: BatchExecutor = {
      tryAcquire: () => pool.tryAcquire(key),
      release: (l) => pool.release(l),
      run: (l, buffer, shape) => pool.run(l, key, buffer, shape),
      onIdle: (f) => pool.onIdle(f),
    };
    const batcher = new DynamicBatcher(executor, {
      ...batching,
      itemShape: [3, S, S],
      preallocatedBuffers: pool.size + 1,
      trace: { model: record.modelName, version: String(record.version) },
      onBatch: (b) => {
        if (b.ok) recorder.recordExecution(b.batchSize, b.inputNs, b.inferNs, b.outputNs);
        events?.emit('batch', {
          model: record.modelName, version: record.version, worker: b.worker, batchSize: b.batchSize, queueMs: b.queueMs,
          computeMs: (b.inputNs + b.inferNs + b.outputNs) / 1e6, inferMs: b.inferNs / 1e6, ok: b.ok,
        });
      },
      onQueueDepth: (depth) => events?.emit('queue-depth', { model: record.modelName, version: record.version, depth }),
    });
    const loaded: LoadedVersion = {
      modelName: record.modelName, version: record.version, key, record, batcher, provider: info.provider,
      inputs: info.inputs, outputs: info.outputs, stats: recorder, loadMs: performance.now() - t0,
    };
    logger?.info({ model: record.modelName, version: record.version, provider: info.provider, loadMs: Math.round(loaded.loadMs) }, 'model version loaded');
    events?.emit('model-loaded', { model: record.modelName, version: record.version, provider: info.provider });
    return loaded;
  }

  private async retire(entry: Entry): Promise<void> {
    if (entry.refs > 0) await new Promise<void>((resolve) => (entry.idle = resolve));
    await entry.loaded.batcher.drain();
    entry.loaded.batcher.close();
    await this.opts.pool.unload(entry.loaded.key);
    this.opts.logger?.info({ model: entry.loaded.modelName, version: entry.loaded.version }, 'model version unloaded');
    this.opts.events?.emit('model-unloaded', { model: entry.loaded.modelName, version: entry.loaded.version });
  }
}
