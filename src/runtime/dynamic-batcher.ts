import { performance } from 'node:perf_hooks';
import { CxrError, invalidArgument, resourceExhausted } from '../errors/cxr-error';
import { startQueueWait, traceBatch, type QueueTicket } from '../observability/spans';

/**
 * The dynamic batcher of one model version, with Triton's semantics and names:
 * - `maxBatchSize`: no batch is larger.
 * - `preferredBatchSizes`: a queue reaching one of these sizes is dispatched at once (Triton's
 *   preferred_batch_size); reaching maxBatchSize always is.
 * - `maxQueueDelayMs`: how long the OLDEST queued image may wait for a fuller batch once a
 *   worker is free (Triton's max_queue_delay_microseconds, in ms). 0 = dispatch what is there.
 * - `maxQueueSize`: bounded queue, in images; a submission that does not fit whole is refused
 *   with RESOURCE_EXHAUSTED (Triton's default_queue_policy.max_queue_size).
 * Batches form across concurrent submissions and across the images of one submission. Queued
 * work whose deadline passes or whose signal aborts is removed before it costs any compute.
 */
export interface BatcherOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  preferredBatchSizes?: number[];
  /** Shape of one image, e.g. [3, 224, 224]. */
  itemShape: number[];
  /** Input buffers allocated (and touched) up front; usually workers + 1. */
  preallocatedBuffers?: number;
  /**
   * Tracing: a queue-wait span per image (child of the request's active span) and one span per
   * batch linked to every request it served. Model name and version are the only attributes.
   */
  trace?: { model: string; version: string };
  /** Called after every batch, success or failure (statistics, metrics). */
  onBatch?: (b: BatchRecord) => void;
  /** Called when the queue depth changes. */
  onQueueDepth?: (depth: number) => void;
}

/** The worker side, as the batcher sees it (the pool bound to one session key, or a test double). */
export interface BatchExecutor {
  tryAcquire(): { readonly worker: number } | undefined;
  release(lease: { readonly worker: number }): void;
  /** Runs `shape[0]` images stored at the start of `buffer` (transferred); resolves with the buffer back. */
  run(lease: { readonly worker: number }, buffer: ArrayBuffer, shape: number[]): Promise<{ buffer: ArrayBuffer; logits: Float32Array; inputNs: number; inferNs: number; outputNs: number }>;
  /** Subscribes to "a worker may be free"; returns the unsubscribe function. */
  onIdle(listener: () => void): () => void;
}

export interface BatchRecord {
  worker: number;
  batchSize: number;
  /** Time each image waited in the queue, ms. */
  queueMs: number[];
  inputNs: number;
  inferNs: number;
  outputNs: number;
  ok: boolean;
}

/** What one image gets back. */
export interface BatchItemResult {
  logits: Float32Array;
  queueMs: number;
  /** Wall time of the batch on its worker (dispatch to result). */
  computeMs: number;
  batchSize: number;
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

export interface SubmitOptions {
  /** Absolute deadline, ms since the epoch (Date.now() clock, as gRPC deadlines). */
  deadline?: number;
  signal?: AbortSignal;
}

interface Item {
  input: Float32Array;
  enqueuedAt: number;
  state: 'queued' | 'running' | 'done';
  resolve: (r: BatchItemResult) => void;
  reject: (e: CxrError) => void;
  ticket?: QueueTicket;
  submission: Submission;
}

interface Submission {
  items: Item[];
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class DynamicBatcher {
  private readonly queue: Item[] = [];
  private readonly freeBuffers: ArrayBuffer[] = [];
  private readonly itemLength: number;
  private readonly bufferBytes: number;
  private readonly preferred: Set<number>;
  private readonly unsubscribe: () => void;
  private timer: NodeJS.Timeout | undefined;
  private inflight = 0;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly exec: BatchExecutor,
    private readonly opts: BatcherOptions,
  ) {
    if (!Number.isInteger(opts.maxBatchSize) || opts.maxBatchSize < 1) throw new RangeError(`maxBatchSize must be a positive integer, got ${opts.maxBatchSize}`);
    if (!(opts.maxQueueDelayMs >= 0)) throw new RangeError(`maxQueueDelayMs must be >= 0, got ${opts.maxQueueDelayMs}`);
    if (!Number.isInteger(opts.maxQueueSize) || opts.maxQueueSize < 1) throw new RangeError(`maxQueueSize must be a positive integer, got ${opts.maxQueueSize}`);
    this.preferred = new Set((opts.preferredBatchSizes ?? []).filter((n) => n >= 1 && n <= opts.maxBatchSize));
    this.itemLength = opts.itemShape.reduce((a, b) => a * b, 1);
    this.bufferBytes = opts.maxBatchSize * this.itemLength * 4;
    // First touch of fresh memory is slow on these machines: pay it once, here, not per batch.
    for (let i = 0; i < (opts.preallocatedBuffers ?? 2); i++) this.freeBuffers.push(this.allocBuffer());
    this.unsubscribe = exec.onIdle(() => this.pump());
  }

  /** Images queued (not yet dispatched). */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** The most images one submission may carry (the queue bound). */
  get maxSubmission(): number {
    return this.opts.maxQueueSize;
  }

  /** Batches running on workers. */
  get inflightBatches(): number {
    return this.inflight;
  }

  /**
   * Queues images ([...itemShape] float32 each) and returns one promise per image. All or
   * nothing: a submission that does not fit the queue is refused whole.
   */
  submit(inputs: Float32Array[], opts: SubmitOptions = {}): Promise<BatchItemResult>[] {
    const refuse = (e: CxrError) => inputs.map(() => Promise.reject(e));
    if (this.closed) return refuse(new CxrError('UNAVAILABLE', 'this model version is unloading; retry to reach the serving version'));
    const bad = inputs.findIndex((x) => x.length !== this.itemLength);
    if (bad >= 0) {
      return refuse(invalidArgument(`image ${bad} has ${inputs[bad]!.length} values, expected [${this.opts.itemShape.join(',')}] = ${this.itemLength}`, [{ field: `inputs[${bad}]`, description: `must hold ${this.itemLength} float32 values` }]));
    }
    if (opts.signal?.aborted) return refuse(new CxrError('CANCELLED', 'request cancelled before it was queued'));
    if (opts.deadline !== undefined && opts.deadline <= Date.now()) return refuse(new CxrError('DEADLINE_EXCEEDED', 'deadline passed before the request reached the batcher'));
    if (this.queue.length + inputs.length > this.opts.maxQueueSize) {
      return refuse(resourceExhausted(`inference queue is full (${this.queue.length} of ${this.opts.maxQueueSize} images queued, this request adds ${inputs.length}); retry with backoff`));
    }
    const sub: Submission = { items: [], signal: opts.signal };
    const now = performance.now();
    const promises = inputs.map(
      (input) =>
        new Promise<BatchItemResult>((resolve, reject) => {
          const ticket = this.opts.trace ? startQueueWait(this.opts.trace.model) : undefined;
          const item: Item = { input, enqueuedAt: now, state: 'queued', resolve, reject, ticket, submission: sub };
          sub.items.push(item);
          this.queue.push(item);
        }),
    );
    if (opts.deadline !== undefined) {
      sub.timer = setTimeout(() => this.expire(sub), Math.max(0, opts.deadline - Date.now()));
    }
    if (opts.signal) {
      sub.onAbort = () => this.cancel(sub);
      opts.signal.addEventListener('abort', sub.onAbort, { once: true });
    }
    this.opts.onQueueDepth?.(this.queue.length);
    this.pump();
    return promises;
  }

  /** Resolves once nothing is queued or running (unload waits on this). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Refuses new work and fails what is queued with `err`; running batches finish. */
  close(err = new CxrError('UNAVAILABLE', 'model version unloaded')): void {
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    for (const item of this.queue.splice(0)) this.settle(item, err);
    this.checkDrained();
  }

  private allocBuffer(): ArrayBuffer {
    const b = new ArrayBuffer(this.bufferBytes);
    new Float32Array(b).fill(0);
    return b;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && !this.closed) {
      const n = Math.min(this.queue.length, this.opts.maxBatchSize);
      const waited = performance.now() - this.queue[0]!.enqueuedAt;
      const ready = n === this.opts.maxBatchSize || this.preferred.has(n) || waited >= this.opts.maxQueueDelayMs;
      if (!ready) {
        this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(this.opts.maxQueueDelayMs - waited)));
        return;
      }
      const lease = this.exec.tryAcquire();
      if (!lease) return; // onIdle calls back when a worker frees up
      const items = this.queue.splice(0, n);
      this.opts.onQueueDepth?.(this.queue.length);
      void this.execute(lease, items);
    }
  }

  private async execute(lease: { readonly worker: number }, items: Item[]): Promise<void> {
    this.inflight++;
    const buffer = this.freeBuffers.pop() ?? this.allocBuffer();
    const view = new Float32Array(buffer);
    const dispatchedAt = performance.now();
    const queueMs: number[] = [];
    items.forEach((it, i) => {
      view.set(it.input, i * this.itemLength);
      it.state = 'running';
      queueMs.push(dispatchedAt - it.enqueuedAt);
    });
    const n = items.length;
    const shape = [n, ...this.opts.itemShape];
    const run = () => this.exec.run(lease, buffer, shape);
    const t = this.opts.trace;
    let record: BatchRecord = { worker: lease.worker, batchSize: n, queueMs, inputNs: 0, inferNs: 0, outputNs: 0, ok: false };
    try {
      // traceBatch ends every queue-wait ticket and links the batch span to each request.
      const r = await (t ? traceBatch(t.model, t.version, items.flatMap((it) => (it.ticket ? [it.ticket] : [])), run) : run());
      this.freeBuffers.push(r.buffer);
      const computeMs = performance.now() - dispatchedAt;
      const classes = r.logits.length / n;
      record = { ...record, inputNs: r.inputNs, inferNs: r.inferNs, outputNs: r.outputNs, ok: true };
      items.forEach((it, i) =>
        this.settle(it, undefined, {
          logits: r.logits.slice(i * classes, (i + 1) * classes), queueMs: queueMs[i]!, computeMs, batchSize: n,
          inputNs: r.inputNs, inferNs: r.inferNs, outputNs: r.outputNs,
        }),
      );
    } catch (err) {
      const e = CxrError.from(err);
      for (const it of items) this.settle(it, e);
    } finally {
      this.inflight--;
      this.opts.onBatch?.(record);
      this.checkDrained();
      this.pump();
    }
  }

  private expire(sub: Submission): void {
    sub.timer = undefined;
    const e = new CxrError('DEADLINE_EXCEEDED', 'deadline passed while the request waited in the inference queue; it was not computed');
    this.removeQueued(sub, e);
  }

  private cancel(sub: Submission): void {
    const e = new CxrError('CANCELLED', 'request cancelled by the client');
    this.removeQueued(sub, e);
    // Running images cannot be stopped mid-batch; their callers stop waiting now.
    for (const it of sub.items) if (it.state === 'running') this.settle(it, e);
  }

  private removeQueued(sub: Submission, e: CxrError): void {
    let removed = false;
    for (const it of sub.items) {
      if (it.state !== 'queued') continue;
      const i = this.queue.indexOf(it);
      if (i >= 0) this.queue.splice(i, 1);
      removed = true;
      this.settle(it, e);
    }
    if (removed) {
      this.opts.onQueueDepth?.(this.queue.length);
      this.checkDrained();
    }
  }

  private settle(item: Item, err?: CxrError, result?: BatchItemResult): void {
    if (item.state === 'done') return;
    item.state = 'done';
    item.ticket?.end();
    const sub = item.submission;
    if (sub.items.every((x) => x.state === 'done')) {
      if (sub.timer) clearTimeout(sub.timer);
      if (sub.onAbort) sub.signal?.removeEventListener('abort', sub.onAbort);
    }
    if (err) item.reject(err);
    else item.resolve(result!);
  }

  private checkDrained(): void {
    if (this.queue.length === 0 && this.inflight === 0 && this.drainWaiters.length) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }
}
