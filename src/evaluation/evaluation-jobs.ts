import { observeEvaluationProgress } from '../observability/job-metrics';
import { CxrError, invalidArgument, notFound } from '../errors/cxr-error';
import type { Logger } from '../observability/logger';
import { type JobKind, type JobProgressRecord, type JobRecord } from '../store/job-repository';
import type { OperatingPointRecord } from '../store/model-repository';
import type { StoredPredictions } from '../store/prediction-repository';
import type { Store } from '../store/store';
import { planEvaluation, modelDisplayName, type EvaluationPlan } from './evaluation-plan';
import type { CompareRequestSpec, EvaluateRequestSpec, EvaluationJobSpec } from './evaluation-spec';
import { predictSplit, type PredictFn } from './predict-split';
import { statisticsInWorker } from './statistics-in-worker';
import type { StatisticsOutcome, StatisticsTask } from './statistics-task';

export interface EvaluationJobsOptions {
  store: Store;
  /** Manifests and images must lie inside this directory. */
  datasetRoot: string;
  /** The batched runtime (InferenceEngine.predict) or a stand-in of the same shape. */
  predict: PredictFn;
  /** Images in flight per job (default 16: enough to fill the runtime's batches). */
  concurrency?: number;
  /** Jobs running at once (default 1); the rest wait QUEUED in creation order. */
  concurrentJobs?: number;
  /** Minimum interval between progress writes (ms, default 500). */
  progressIntervalMs?: number;
  /** Statistics runner; default a worker thread. Tests may run it inline. */
  statistics?: (task: StatisticsTask, onProgress: (done: number, total: number) => void, signal: AbortSignal) => Promise<StatisticsOutcome>;
  logger?: Logger;
}

/** One state change of a job, as WatchEvaluation streams it. */
export interface EvaluationJobEvent {
  job: JobRecord;
  queuePosition: number;
}

const KINDS: readonly JobKind[] = ['EVALUATION', 'COMPARISON'];

/**
 * Durable Evaluate and Compare jobs. A request is validated completely before a job is stored;
 * the job then scores the split through `predict` (or reuses stored predictions), computes the
 * study's statistics off the event loop, stores the report, and ends with `result.reportId`.
 * Jobs left RUNNING by a stopped server run again from `resumeInterrupted`.
 */
export class EvaluationJobs {
  private readonly store: Store;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private closing = false;

  constructor(private readonly opts: EvaluationJobsOptions) {
    this.store = opts.store;
  }

  /** Validates (INVALID_ARGUMENT / NOT_FOUND), stores a QUEUED job and returns it at once. */
  async evaluate(req: EvaluateRequestSpec): Promise<JobRecord> {
    if (!req.model) throw invalidArgument('model is required', [{ field: 'model', description: 'the model to evaluate' }]);
    const plan = planEvaluation(this.store, this.opts.datasetRoot, { ...req, models: [req.model] }, 'model');
    return this.enqueue('EVALUATION', plan.spec);
  }

  /** Two or more models on one split; the first is "A" in every paired P value. */
  async compare(req: CompareRequestSpec): Promise<JobRecord> {
    if (!req.models || req.models.length < 2) {
      throw invalidArgument('Compare needs at least two models', [{ field: 'models', description: 'two or more models; the first is the reference' }]);
    }
    const plan = planEvaluation(this.store, this.opts.datasetRoot, { ...req, storeOperatingPoints: false }, 'models');
    return this.enqueue('COMPARISON', plan.spec);
  }

  get(jobId: string): JobRecord {
    const job = this.store.jobs.get(jobId);
    if (!KINDS.includes(job.kind)) throw notFound(`evaluation job ${JSON.stringify(jobId)} does not exist`);
    return job;
  }

  /** Current state at once, then every change (coalesced to the latest) until the job ends or `signal` aborts. */
  watch(jobId: string, signal?: AbortSignal): AsyncIterable<EvaluationJobEvent> {
    this.get(jobId); // NOT_FOUND (or not of this kind) before any streaming starts
    return this.store.jobs.watch(jobId, signal);
  }


  /** At server start: jobs a stopped server left RUNNING or QUEUED run again; stored predictions are reused. */
  resumeInterrupted(): JobRecord[] {
    const resumed = KINDS.flatMap((kind) => this.store.jobs.list({ kind, state: 'RUNNING' })).map((j) => this.store.jobs.requeue(j.id));
    this.pump();
    return resumed;
  }

  /** Stops running jobs without ending them, as a crash would; `resumeInterrupted` continues them. */
  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort();
    await Promise.all(all.map((r) => r.done));
  }

  private enqueue(kind: JobKind, spec: EvaluationJobSpec): JobRecord {
    const job = this.store.jobs.create(kind, spec);
    this.pump();
    return this.store.jobs.get(job.id);
  }

  private pump(): void {
    if (this.closing) return;
    const slots = (this.opts.concurrentJobs ?? 1) - this.running.size;
    if (slots <= 0) return;
    const queued = KINDS.flatMap((kind) => this.store.jobs.list({ kind, state: 'QUEUED' }))
      .filter((j) => !this.running.has(j.id))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, slots);
    for (const job of queued) this.launch(job);
  }

  private launch(job: JobRecord): void {
    const abort = new AbortController();
    const entry = { abort, done: Promise.resolve() };
    this.running.set(job.id, entry);
    entry.done = this.run(job, abort.signal)
      .then(
        (reportId) => { this.store.jobs.finish(job.id, 'SUCCEEDED', '', { reportId }); },
        (err: unknown) => {
          if (this.closing) return; // left RUNNING on purpose: resumed at the next start
          const e = CxrError.from(err);
          if (e.code === 'INTERNAL') this.opts.logger?.error({ err: e.cause ?? e, jobId: job.id }, 'evaluation job failed');
          this.store.jobs.finish(job.id, 'FAILED', e.message);
        },
      )
      .catch((err: unknown) => this.opts.logger?.error({ err, jobId: job.id }, 'could not record the end of an evaluation job'))
      .finally(() => {
        this.running.delete(job.id);
        setImmediate(() => this.pump());
      });
  }

  /** The job's work; resolves with the report id. */
  private async run(job: JobRecord, signal: AbortSignal): Promise<string> {
    // Let the RPC that created the job answer before the manifest is read a second time.
    await new Promise<void>((r) => setImmediate(r));
    const spec = job.spec as unknown as EvaluationJobSpec;
    this.store.jobs.markRunning(job.id);
    const progress = new ProgressWriter(this.store, job.id, this.opts.progressIntervalMs ?? 500, job.kind === 'COMPARISON' ? 'compare' : 'evaluate');
    try {
      return await this.work(job, spec, progress, signal);
    } finally {
      progress.dispose();
    }
  }

  private async work(job: JobRecord, spec: EvaluationJobSpec, progress: ProgressWriter, signal: AbortSignal): Promise<string> {
    progress.now({ phase: 'reading manifest' });
    // Re-planned at start: a resumed job re-reads its manifest and checks its models still exist.
    const plan = planEvaluation(this.store, this.opts.datasetRoot, spec, job.kind === 'EVALUATION' ? 'model' : 'models');

    const n = plan.rows.length;
    const total = n * plan.models.length;
    let before = 0;
    const started = Date.now();
    let predicted = 0;
    progress.now({ imagesDone: 0, imagesTotal: total, phase: 'predicting' });
    const predictions: StoredPredictions[] = [];
    for (const model of plan.models) {
      const name = modelDisplayName(model);
      let stored = this.store.predictions.find(model.modelName, model.version, plan.datasetKey);
      if (!stored || !matches(stored, plan, model.labels)) {
        progress.now({ phase: `predicting ${name}` });
        stored = await predictSplit({
          predict: this.opts.predict,
          modelName: model.modelName,
          version: model.version,
          labels: model.labels,
          rows: plan.rows,
          concurrency: this.opts.concurrency ?? 16,
          signal,
          onImage: (done) => {
            predicted++;
            const rate = predicted / Math.max(1e-3, (Date.now() - started) / 1000);
            progress.maybe({ imagesDone: before + done, imagesPerSecond: rate, etaSeconds: (total - before - done) / rate });
          },
        });
        this.store.predictions.save(model.modelName, model.version, plan.datasetKey, stored);
      }
      predictions.push(stored);
      before += n;
      progress.now({ imagesDone: before });
    }

    progress.now({ phase: 'bootstrap', step: 0, totalSteps: spec.statistics.resamples, etaSeconds: 0 });
    const task: StatisticsTask = {
      labels: plan.labels,
      truth: plan.labels.map((_, l) => Uint8Array.from(plan.rows, (r) => r.targets[l])),
      models: plan.models.map((m, k) => ({
        name: modelDisplayName(m),
        scores: plan.labels.map((label) => Float64Array.from(predictions[k].scores[predictions[k].labels.indexOf(label)])),
      })),
      seed: spec.statistics.seed,
      resamples: spec.statistics.resamples,
      level: spec.statistics.confidence,
      split: `${spec.dataset.manifestPath}${spec.dataset.split ? ` / ${spec.dataset.split}` : ''}`,
    };
    const runStats = this.opts.statistics ?? statisticsInWorker;
    const { report, html } = await runStats(task, (done, totalSteps) => progress.maybe({ step: done, totalSteps }), signal);
    if (signal.aborted) throw new CxrError('CANCELLED', 'evaluation stopped');

    progress.now({ phase: 'saving report' });
    const saved = this.store.reports.save({
      kind: job.kind === 'COMPARISON' ? 'COMPARISON' : 'EVALUATION',
      jobId: job.id,
      report,
      html,
      summary: {
        models: report.models.map((m) => m.name),
        split: report.split,
        n: report.n,
        meanAuroc: report.models.map((m) => (m.mean.defined ? m.mean.auroc : null)),
      },
    });
    if (spec.storeOperatingPoints && job.kind === 'EVALUATION') {
      const m = plan.models[0];
      this.store.models.setOperatingPoints(m.modelName, m.version, mergePoints(m.operatingPoints, youdenPoints(report)));
    }
    progress.now({ phase: 'done' });
    return saved.id;
  }
}

/** Stored predictions are reused only when they cover this split's rows and every label needed. */
function matches(p: StoredPredictions, plan: EvaluationPlan, labels: string[]): boolean {
  if (p.rows.length !== plan.rows.length || !plan.rows.every((r, i) => r.row === p.rows[i])) return false;
  return labels.every((l) => p.labels.includes(l)) && p.scores.every((s) => s.length === plan.rows.length);
}

function youdenPoints(report: StatisticsOutcome['report']): OperatingPointRecord[] {
  return report.models[0].labels.flatMap((s) => {
    // An infinite threshold (serialised as null) cannot be used to decide anything.
    if (!s.defined || typeof s.youden.threshold !== 'number') return [];
    return [{ label: s.label, threshold: s.youden.threshold, sensitivity: s.youden.sensitivity ?? 0, specificity: s.youden.specificity ?? 0 }];
  });
}

/** Labels not evaluated this time keep their earlier operating points. */
function mergePoints(old: OperatingPointRecord[], fresh: OperatingPointRecord[]): OperatingPointRecord[] {
  const byLabel = new Map(old.map((p) => [p.label, p]));
  for (const p of fresh) byLabel.set(p.label, p);
  return [...byLabel.values()];
}

/** Progress writes, throttled: each is a database write and an event to every watcher. */
class ProgressWriter {
  private pending: JobProgressRecord | null = null;
  private last = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Store, private readonly jobId: string, private readonly intervalMs: number, private readonly kind: 'evaluate' | 'compare') {}

  now(p: JobProgressRecord): void {
    this.pending = { ...this.pending, ...p };
    this.flush();
  }

  maybe(p: JobProgressRecord): void {
    this.pending = { ...this.pending, ...p };
    const wait = this.intervalMs - (Date.now() - this.last);
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait).unref();
  }

  /** Drops what has not been written; the job's end is recorded elsewhere. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const p = this.pending;
    this.pending = null;
    this.last = Date.now();
    if (this.store.jobs.get(this.jobId).state !== 'RUNNING') return;
    this.store.jobs.updateProgress(this.jobId, p);
    observeEvaluationProgress(this.kind, p);
  }
}
