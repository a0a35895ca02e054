import type { Worker } from 'node:worker_threads';
import { CxrError, invalidArgument } from '../errors/cxr-error';
import type { DecodeJob, DecodeReply } from './decode-worker';
import type { PreprocessPreset } from './presets';
import { resolveLimits, type DecodeLimits, type MediaType } from './types';
import { startWorker, workerPath } from '../util/worker-thread';

const MAX_START_FAILURES = 3;

export interface PipelineResult {
  tensor: Float32Array;
  width: number;
  height: number;
  format: string;
  decodeMs: number;
  preprocessMs: number;
}

interface Task {
  job: DecodeJob;
  done?: boolean;
  resolve: (r: PipelineResult) => void;
  reject: (e: CxrError) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  task?: Task;
  timer?: NodeJS.Timeout;
}

/**
 * Decode + preprocess off the event loop on a fixed pool of worker threads. The wasm codecs run
 * synchronously, so a hostile image could otherwise stall every request; here a job that
 * overruns `timeoutMs` gets its worker terminated and replaced (DEADLINE_EXCEEDED), and a worker
 * that dies mid-job is replaced too (INVALID_ARGUMENT: the input killed the decoder).
 */
export class ImagePipeline {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly limits: DecodeLimits;
  private nextId = 1;
  private startFailures = 0;
  private closed = false;

  constructor(opts: { workers: number; limits?: Partial<DecodeLimits> }) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`workers must be a positive integer, got ${opts.workers}`);
    this.limits = resolveLimits(opts.limits);
    for (let i = 0; i < opts.workers; i++) this.slots.push(this.spawn());
  }

  process(bytes: Uint8Array, mediaType: MediaType, preset: PreprocessPreset, signal?: AbortSignal): Promise<PipelineResult> {
    if (this.closed) return Promise.reject(new CxrError('UNAVAILABLE', 'image pipeline is closed'));
    if (signal?.aborted) return Promise.reject(new CxrError('CANCELLED', 'image decode cancelled before it started'));
    if (bytes.length > this.limits.maxEncodedBytes) {
      // Refuse before copying megabytes into a worker.
      return Promise.reject(invalidArgument(`image is ${bytes.length} bytes, over the limit of ${this.limits.maxEncodedBytes}`, [{ field: 'data', description: `at most ${this.limits.maxEncodedBytes} encoded bytes per image` }]));
    }
    return new Promise<PipelineResult>((resolve, reject) => {
      const task: Task = { job: { id: this.nextId++, bytes, mediaType, preset, limits: this.limits }, resolve, reject, signal };
      if (signal) {
        task.onAbort = () => this.cancel(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) this.finish(t, new CxrError('UNAVAILABLE', 'image pipeline closed'));
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.timer) clearTimeout(s.timer);
        if (s.task) this.finish(s.task, new CxrError('UNAVAILABLE', 'image pipeline closed'));
        s.task = undefined;
        s.worker.removeAllListeners();
        s.worker.on('error', () => undefined);
        await s.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = startWorker(workerPath(__dirname, __filename, 'decode-worker'));
    const slot: Slot = { worker, ready: false };
    worker.on('message', (reply: DecodeReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        this.startFailures = 0;
        this.pump();
        return;
      }
      const task = slot.task;
      if (!task || task.job.id !== reply.id) return;
      this.release(slot);
      if (reply.ok) {
        const { id: _id, ok: _ok, ...result } = reply;
        this.finish(task, undefined, result);
      } else {
        this.finish(task, CxrError.from(reply.error));
      }
      this.pump();
    });
    // A worker that dies (wasm abort, out of memory) takes only its own job with it.
    const onDeath = (why: string): void => {
      if (this.closed) return;
      const task = slot.task;
      if (!slot.ready && ++this.startFailures > MAX_START_FAILURES) {
        // The worker cannot even start (broken install): fail fast instead of respawning forever.
        this.closed = true;
        for (const t of this.queue.splice(0)) this.finish(t, new CxrError('INTERNAL', `image decode workers fail to start: ${why}`));
        return;
      }
      this.replace(slot);
      if (task) this.finish(task, invalidArgument(`image could not be decoded: the decoder ${why}`, [{ field: 'data', description: 'corrupt or hostile image' }]));
      this.pump();
    };
    worker.on('error', () => onDeath('failed'));
    worker.on('exit', (code) => onDeath(`exited (${code})`));
    return slot;
  }

  private replace(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.task = undefined;
    // Silence the old worker first so its 'exit' is not taken for a second death.
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.task = undefined;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || !slot.ready) continue;
      const task = this.queue.shift();
      if (!task) return;
      slot.task = task;
      slot.timer = setTimeout(() => {
        if (slot.task !== task) return;
        this.replace(slot);
        this.finish(task, new CxrError('DEADLINE_EXCEEDED', `image decode took longer than ${this.limits.timeoutMs} ms and was stopped`));
        this.pump();
      }, this.limits.timeoutMs);
      slot.worker.postMessage(task.job);
    }
  }

  private cancel(task: Task): void {
    const q = this.queue.indexOf(task);
    if (q >= 0) this.queue.splice(q, 1);
    const slot = this.slots.find((s) => s.task === task);
    if (slot) this.replace(slot); // the wasm call cannot be interrupted any other way
    this.finish(task, new CxrError('CANCELLED', 'image decode cancelled'));
    this.pump();
  }

  private finish(task: Task, err?: CxrError, result?: PipelineResult): void {
    if (task.done) return;
    task.done = true;
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    task.onAbort = undefined;
    if (err) task.reject(err);
    else task.resolve(result!);
  }
}
