import type { Worker } from 'node:worker_threads';
import { CxrError } from '../errors/cxr-error';
import { startWorker, workerPath } from '../util/worker-thread';
import type { Logger } from '../observability/logger';
import { validateThreadBudget, type ProviderChoice, type ProviderName } from './execution-provider';
import type { RuntimeEvents } from './runtime-events';
import type { LoadMessage, TensorInfo, WorkerReply, WorkerRequest } from './session-worker';

export interface WorkerPoolOptions {
  workers: number;
  intraOpThreads: number;
  executionProvider: ProviderChoice;
  cudaDeviceId: number;
  /** Defaults to os.availableParallelism(). */
  cores?: number;
  logger?: Logger;
  events?: RuntimeEvents;
  /** Lets `injectFault` through; tests only. */
  allowFaultInjection?: boolean;
}

/** How a session is created in every worker. */
export interface SessionSpec {
  graphPath: string;
  /** [maxBatch, 3, S, S]: the warm-up run's shape. */
  warmupShape: number[];
}

export interface LoadedSessionInfo {
  provider: ProviderName;
  fallbackReason?: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface RunResult {
  /** The input buffer, back from the worker for reuse. */
  buffer: ArrayBuffer;
  logits: Float32Array;
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

/** An idle worker reserved for one batch; `run` consumes it. */
export interface WorkerLease {
  readonly worker: number;
}

interface Pending<T> { resolve: (v: T) => void; reject: (e: CxrError) => void }

interface Slot {
  index: number;
  worker: Worker;
  started: boolean;
  busy: boolean;
  /** Keys whose session is created in this worker. */
  loaded: Set<string>;
  /** Set while the worker is restoring the sessions of a dead predecessor. */
  restoring: boolean;
  run?: { id: number; pending: Pending<RunResult> };
  loads: Map<string, Pending<LoadedSessionInfo>>;
  unloads: Map<string, () => void>;
}

const MAX_CONSECUTIVE_START_FAILURES = 3;

/**
 * A fixed set of inference worker threads, each holding one session per loaded model version.
 * A worker that dies fails only the batch it was running (UNAVAILABLE), is replaced, and the
 * replacement recreates every loaded session before it takes work again.
 */
export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly specs = new Map<string, SessionSpec>();
  private readonly idleListeners = new Set<() => void>();
  private nextRunId = 1;
  private closed = false;
  private startFailures = 0;

  constructor(private readonly opts: WorkerPoolOptions) {
    validateThreadBudget({ workers: opts.workers, intraOpThreads: opts.intraOpThreads, cores: opts.cores });
    this.size = opts.workers;
    for (let i = 0; i < opts.workers; i++) this.slots.push(this.spawn(i));
  }

  /** Creates the session in every worker (with a warm-up run). Fails whole: no worker keeps a half-loaded version. */
  async load(key: string, spec: SessionSpec): Promise<LoadedSessionInfo> {
    if (this.closed) throw new CxrError('UNAVAILABLE', 'inference runtime is shut down');
    this.specs.set(key, spec);
    const results = await Promise.allSettled(this.slots.map((s) => this.loadInto(s, key, spec)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.unload(key);
      throw CxrError.from(failed.reason);
    }
    const infos = (results as PromiseFulfilledResult<LoadedSessionInfo>[]).map((r) => r.value);
    // Workers share one machine, so they agree on the provider; report the weakest if not.
    return infos.find((i) => i.provider === 'cpu') ?? infos[0]!;
  }

  async unload(key: string): Promise<void> {
    this.specs.delete(key);
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.loaded.has(key) && !s.loads.has(key)) return resolve();
            s.loaded.delete(key);
            s.unloads.set(key, resolve);
            this.post(s, { type: 'unload', key });
          }),
      ),
    );
  }

  /** An idle worker that has `key` loaded, reserved for the caller; undefined when none is free. */
  tryAcquire(key: string): WorkerLease | undefined {
    for (const s of this.slots) {
      if (s.started && !s.busy && !s.restoring && s.loaded.has(key)) {
        s.busy = true;
        return { worker: s.index };
      }
    }
    return undefined;
  }

  /** Gives a lease back unused. */
  release(lease: WorkerLease): void {
    const s = this.slots[lease.worker]!;
    if (!s.run) s.busy = false;
    this.notifyIdle();
  }

  /** Called whenever a worker may have become free; batchers re-check their queues. */
  onIdle(listener: () => void): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }

  /** Runs a batch; `buffer` is transferred to the worker (detached here) and comes back in the result. */
  run(lease: WorkerLease, key: string, buffer: ArrayBuffer, shape: number[]): Promise<RunResult> {
    const s = this.slots[lease.worker]!;
    return new Promise<RunResult>((resolve, reject) => {
      const id = this.nextRunId++;
      s.run = { id, pending: { resolve, reject } };
      this.post(s, { type: 'run', id, key, buffer, shape }, [buffer]);
    });
  }

  /** Test-only: the next batch on `worker` kills it. Refused unless the pool was built with allowFaultInjection. */
  injectFault(worker: number, mode: 'exit' | 'throw'): void {
    if (!this.opts.allowFaultInjection) throw new CxrError('PERMISSION_DENIED', 'fault injection is disabled');
    this.post(this.slots[worker]!, { type: 'fault', mode });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        this.failSlot(s, new CxrError('UNAVAILABLE', 'inference runtime shut down'));
        s.worker.removeAllListeners();
        s.worker.on('error', () => undefined);
        await s.worker.terminate();
      }),
    );
  }

  private post(s: Slot, m: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    s.worker.postMessage(m, transfer);
  }

  private loadInto(s: Slot, key: string, spec: SessionSpec): Promise<LoadedSessionInfo> {
    return new Promise<LoadedSessionInfo>((resolve, reject) => {
      s.loads.get(key)?.reject(new CxrError('ABORTED', `load of ${key} superseded`));
      s.loads.set(key, { resolve, reject });
      const m: LoadMessage = {
        type: 'load', key, graphPath: spec.graphPath, provider: this.opts.executionProvider, cudaDeviceId: this.opts.cudaDeviceId,
        intraOpThreads: this.opts.intraOpThreads, warmupShape: spec.warmupShape,
      };
      this.post(s, m);
    });
  }

  private spawn(index: number): Slot {
    const worker = startWorker(workerPath(__dirname, __filename, 'session-worker'));
    const slot: Slot = { index, worker, started: false, busy: false, loaded: new Set(), restoring: false, loads: new Map(), unloads: new Map() };
    worker.on('message', (r: WorkerReply) => this.onReply(slot, r));
    let dead = false;
    const onDeath = (why: string): void => {
      if (dead || this.closed) return;
      dead = true;
      this.onDeath(slot, why);
    };
    worker.on('error', (err) => onDeath(`threw: ${err.message}`));
    worker.on('exit', (code) => onDeath(`exited with code ${code}`));
    return slot;
  }

  private onReply(s: Slot, r: WorkerReply): void {
    switch (r.type) {
      case 'started':
        s.started = true;
        this.startFailures = 0;
        this.notifyIdle();
        return;
      case 'loaded': {
        // An unload that raced this load has already been posted behind it: don't route work here.
        if (this.specs.has(r.key)) s.loaded.add(r.key);
        const p = s.loads.get(r.key);
        s.loads.delete(r.key);
        p?.resolve({ provider: r.provider, fallbackReason: r.fallbackReason, inputs: r.inputs, outputs: r.outputs });
        this.notifyIdle();
        return;
      }
      case 'load-failed': {
        const p = s.loads.get(r.key);
        s.loads.delete(r.key);
        p?.reject(CxrError.from(r.error));
        return;
      }
      case 'unloaded': {
        const done = s.unloads.get(r.key);
        s.unloads.delete(r.key);
        done?.();
        return;
      }
      case 'result':
      case 'run-failed': {
        const run = s.run;
        if (!run || run.id !== r.id) return;
        s.run = undefined;
        s.busy = false;
        if (r.type === 'result') {
          run.pending.resolve({ buffer: r.buffer, logits: new Float32Array(r.logits), inputNs: r.inputNs, inferNs: r.inferNs, outputNs: r.outputNs });
        } else {
          run.pending.reject(CxrError.from(r.error));
        }
        this.notifyIdle();
        return;
      }
    }
  }

  private failSlot(s: Slot, err: CxrError): void {
    const run = s.run;
    s.run = undefined;
    run?.pending.reject(err);
    for (const p of s.loads.values()) p.reject(err);
    s.loads.clear();
    for (const done of s.unloads.values()) done();
    s.unloads.clear();
  }

  private onDeath(old: Slot, why: string): void {
    this.opts.logger?.error({ worker: old.index, reason: why }, 'inference worker died; failing its in-flight batch and replacing it');
    this.opts.events?.emit('worker-restart', { worker: old.index, reason: why });
    old.worker.removeAllListeners();
    old.worker.on('error', () => undefined);
    void old.worker.terminate();
    // Only the batch that was on this worker fails; queued work waits for a worker.
    this.failSlot(old, new CxrError('UNAVAILABLE', `inference worker ${old.index} died while running this batch (${why}); retry the request`));
    if (!old.started && ++this.startFailures > MAX_CONSECUTIVE_START_FAILURES) {
      this.opts.logger?.error({ reason: why }, 'inference workers keep failing to start; not respawning');
      return;
    }
    const fresh = this.spawn(old.index);
    fresh.restoring = this.specs.size > 0;
    this.slots[old.index] = fresh;
    if (fresh.restoring) {
      void Promise.allSettled([...this.specs].map(([key, spec]) => this.loadInto(fresh, key, spec))).then((rs) => {
        fresh.restoring = false;
        const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (bad) this.opts.logger?.error({ worker: fresh.index, err: CxrError.from(bad.reason).message }, 'replacement worker could not restore a session');
        this.notifyIdle();
      });
    }
  }

  private notifyIdle(): void {
    for (const l of [...this.idleListeners]) l();
  }
}
