import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Db } from './database';
import { CxrError, notFound } from '../errors/cxr-error';

export type JobKind = 'TRAINING' | 'EVALUATION' | 'COMPARISON';
export type JobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Progress fields (all optional) mirrored by cxr.v1.JobProgress. */
export interface JobProgressRecord {
  epoch?: number;
  totalEpochs?: number;
  step?: number;
  totalSteps?: number;
  loss?: number;
  imagesPerSecond?: number;
  etaSeconds?: number;
  validationLoss?: number;
  validationMeanAuroc?: number;
  imagesDone?: number;
  imagesTotal?: number;
  phase?: string;
}

export interface JobResultRecord {
  modelName?: string;
  modelVersion?: number;
  reportId?: string;
}

export interface JobRecord<Spec = Record<string, unknown>> {
  id: string;
  seq: number;
  kind: JobKind;
  state: JobState;
  spec: Spec;
  progress: JobProgressRecord;
  result: JobResultRecord | null;
  statusMessage: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

interface JobRow {
  id: string;
  seq: number;
  kind: JobKind;
  state: JobState;
  spec: string;
  progress: string;
  result: string | null;
  status_message: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

/**
 * Durable jobs. Every change is written before it is announced on `events` ('change', job), so a
 * watcher that reads after an event never sees older state than the event carried.
 */
export class JobRepository {
  readonly events = new EventEmitter();

  constructor(private readonly db: Db) {
    this.events.setMaxListeners(0);
  }

  create<Spec extends object>(kind: JobKind, spec: Spec): JobRecord<Spec> {
    const id = randomUUID();
    const now = new Date().toISOString();
    this.db.transaction(() => {
      const seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM jobs').get() as { s: number }).s;
      this.db
        .prepare('INSERT INTO jobs (id, seq, kind, state, spec, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, seq, kind, 'QUEUED', JSON.stringify(spec), now);
    })();
    return this.announce(id) as JobRecord<Spec>;
  }

  get<Spec = Record<string, unknown>>(id: string): JobRecord<Spec> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) throw notFound(`job ${JSON.stringify(id)} does not exist`);
    return toRecord<Spec>(row);
  }

  /** Jobs in creation order, optionally filtered; `afterSeq` pages. */
  list(filter: { kind?: JobKind; state?: JobState; afterSeq?: number; limit?: number } = {}): JobRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.kind) { where.push('kind = ?'); params.push(filter.kind); }
    if (filter.state) { where.push('state = ?'); params.push(filter.state); }
    if (filter.afterSeq !== undefined) { where.push('seq > ?'); params.push(filter.afterSeq); }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq LIMIT ?`;
    params.push(filter.limit ?? 1000);
    return (this.db.prepare(sql).all(...params) as JobRow[]).map((r) => toRecord(r));
  }

  /** 1-based position among QUEUED jobs of the same kind, or 0 when not queued. */
  queuePosition(id: string): number {
    const job = this.get(id);
    if (job.state !== 'QUEUED') return 0;
    const r = this.db
      .prepare("SELECT COUNT(*) AS n FROM jobs WHERE kind = ? AND state = 'QUEUED' AND seq <= ?")
      .get(job.kind, job.seq) as { n: number };
    return r.n;
  }

  markRunning(id: string): JobRecord {
    this.transition(id, 'RUNNING', { started_at: new Date().toISOString(), ended_at: null });
    return this.announce(id);
  }

  /** Puts a RUNNING job back in the queue (e.g. after a restart), keeping its progress. */
  requeue(id: string): JobRecord {
    this.transition(id, 'QUEUED', {});
    return this.announce(id);
  }

  finish(id: string, state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', statusMessage = '', result?: JobResultRecord): JobRecord {
    this.db
      .prepare('UPDATE jobs SET state = ?, status_message = ?, result = COALESCE(?, result), ended_at = ? WHERE id = ?')
      .run(state, statusMessage, result ? JSON.stringify(result) : null, new Date().toISOString(), id);
    return this.announce(id);
  }

  /** Merges progress fields into the stored progress. */
  updateProgress(id: string, progress: JobProgressRecord): JobRecord {
    const job = this.get(id);
    this.db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify({ ...job.progress, ...progress }), id);
    return this.announce(id);
  }

  /**
   * The job now, then every change until it ends or `signal` aborts, each with its queue position.
   * Changes made while the consumer is busy are coalesced to the latest. Subscribes before the
   * first read, so no change between the two is lost.
   */
  async *watch(jobId: string, signal?: AbortSignal): AsyncIterable<{ job: JobRecord; queuePosition: number }> {
    let latest: JobRecord | null = null;
    let wake: (() => void) | null = null;
    const onChange = (j: JobRecord) => {
      if (j.id !== jobId) return;
      latest = j;
      wake?.();
    };
    const onAbort = () => wake?.();
    this.events.on('change', onChange);
    signal?.addEventListener('abort', onAbort);
    try {
      let job = this.get(jobId);
      yield { job, queuePosition: this.queuePosition(jobId) };
      while (!TERMINAL_STATES.has(job.state) && !signal?.aborted) {
        if (latest === null) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (signal?.aborted || latest === null) continue;
        job = latest;
        latest = null;
        yield { job, queuePosition: this.queuePosition(jobId) };
      }
    } finally {
      this.events.off('change', onChange);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private transition(id: string, state: JobState, times: { started_at?: string; ended_at?: string | null }): void {
    const job = this.get(id);
    if (TERMINAL_STATES.has(job.state)) {
      throw new CxrError('FAILED_PRECONDITION', `job ${id} already ended (${job.state})`);
    }
    this.db
      .prepare('UPDATE jobs SET state = ?, started_at = COALESCE(?, started_at), ended_at = ? WHERE id = ?')
      .run(state, times.started_at ?? null, times.ended_at ?? null, id);
  }

  private announce(id: string): JobRecord {
    const job = this.get(id);
    this.events.emit('change', job);
    return job;
  }
}

function toRecord<Spec>(r: JobRow): JobRecord<Spec> {
  return {
    id: r.id,
    seq: r.seq,
    kind: r.kind,
    state: r.state,
    spec: JSON.parse(r.spec) as Spec,
    progress: JSON.parse(r.progress) as JobProgressRecord,
    result: r.result ? (JSON.parse(r.result) as JobResultRecord) : null,
    statusMessage: r.status_message,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}
