import { existsSync, rmSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { observeTrainingProgress, trainingJobStarted, trainingJobEnded } from '../observability/job-metrics';
import { CxrError, notFound } from '../errors/cxr-error';
import { startWorker, workerPath } from '../util/worker-thread';
import { parameterShapes } from '../model/vit-description';
import type { JobProgressRecord, JobRecord, JobState } from '../store/job-repository';
import { TERMINAL_STATES } from '../store/job-repository';
import type { ModelVersionSpec } from '../store/model-repository';
import type { Store } from '../store/store';
import type { TrainerEvent } from './trainer';
import type { RunOutcome } from './training-run';
import { planTraining, type TrainingPlan } from './training-plan';
import { normalizeTrainingSpec, type TrainingRequest, type TrainingSpec } from './training-spec';

export interface TrainingJobsOptions {
  store: Store;
  /** Manifests and images must lie inside this directory. */
  datasetRoot: string;
  /** Jobs running at once (per device). Default 1; the rest wait QUEUED. */
  concurrentJobs?: number;
  /** ORT intra-op threads per training session. */
  threads?: number;
  /** Minimum interval between progress writes to the store (ms). Default 500. */
  progressIntervalMs?: number;
}

/** One state change of a job, as WatchJob streams it. */
export interface JobEvent {
  job: JobRecord;
  /** 1-based position among queued training jobs while QUEUED, else 0. */
  queuePosition: number;
}

interface Running {
  worker: Worker;
  cancelFlag: Int32Array;
  done: Promise<void>;
}

/**
 * Durable training jobs: what cxr.v1.TrainingService calls. A job is validated completely before
 * it is stored, runs in a worker thread, checkpoints as it goes, resumes after a restart
 * (`resumeInterrupted`), and ends by registering a new model version.
 */
export class TrainingJobs {
  private readonly store: Store;
  private readonly running = new Map<string, Running>();
  private closing = false;

  constructor(private readonly opts: TrainingJobsOptions) {
    this.store = opts.store;
  }

  /**
   * Validates `request` (INVALID_ARGUMENT with field violations), stores a QUEUED job and
   * returns it at once; the job starts when a slot is free.
   */
  async start(request: TrainingRequest | Record<string, unknown>): Promise<JobRecord> {
    const spec = normalizeTrainingSpec(request as TrainingRequest);
    planTraining(this.store, this.opts.datasetRoot, spec); // throws before anything is stored
    const job = this.store.jobs.create('TRAINING', spec);
    this.pump();
    return this.store.jobs.get(job.id);
  }

  get(jobId: string): JobRecord {
    const job = this.store.jobs.get(jobId);
    if (job.kind !== 'TRAINING') throw notFound(`training job ${JSON.stringify(jobId)} does not exist`);
    return job;
  }

  list(filter: { state?: JobState; afterSeq?: number; limit?: number } = {}): JobRecord[] {
    return this.store.jobs.list({ ...filter, kind: 'TRAINING' });
  }

  queuePosition(jobId: string): number {
    return this.store.jobs.queuePosition(jobId);
  }

  /**
   * Current state, then every change until the job ends or `signal` aborts. Changes that
   * happen while the consumer is busy are coalesced to the latest.
   */
  watch(jobId: string, signal?: AbortSignal): AsyncIterable<JobEvent> {
    this.get(jobId); // NOT_FOUND (or not of this kind) before any streaming starts
    return this.store.jobs.watch(jobId, signal);
  }


  /**
   * Cancels a job: a queued one at once, a running one within one step (its last checkpoint is
   * kept). Resolves with the job once it has ended; an ended job is returned unchanged.
   */
  async cancel(jobId: string): Promise<JobRecord> {
    const job = this.get(jobId);
    if (TERMINAL_STATES.has(job.state)) return job;
    const run = this.running.get(jobId);
    if (!run) return this.store.jobs.finish(jobId, 'CANCELLED', 'cancelled before it started');
    Atomics.store(run.cancelFlag, 0, 1);
    await run.done;
    return this.get(jobId);
  }

  /** At server start: jobs left RUNNING by a previous process go back to the queue and resume from their checkpoints. */
  resumeInterrupted(): JobRecord[] {
    const resumed = this.store.jobs.list({ kind: 'TRAINING', state: 'RUNNING' }).map((j) => this.store.jobs.requeue(j.id));
    this.pump();
    return resumed;
  }

  /**
   * Stops the workers without touching job states, as a crash would: RUNNING jobs stay RUNNING
   * and `resumeInterrupted` continues them from their last checkpoint on the next start.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.running.values()].map(async (r) => {
      await r.worker.terminate();
      await r.done;
    }));
  }

  private pump(): void {
    if (this.closing) return;
    const slots = (this.opts.concurrentJobs ?? 1) - this.running.size;
    if (slots <= 0) return;
    for (const job of this.store.jobs.list({ kind: 'TRAINING', state: 'QUEUED', limit: slots })) this.launch(job);
  }

  private launch(job: JobRecord): void {
    let plan: TrainingPlan;
    try {
      // Re-planned at launch: a resumed job re-reads its manifest and init model.
      const spec = job.spec as unknown as TrainingSpec;
      plan = { ...planTraining(this.store, this.opts.datasetRoot, spec), jobId: job.id, checkpointDir: this.store.jobDir(job.id) };
    } catch (err) {
      this.store.jobs.finish(job.id, 'FAILED', CxrError.from(err).message);
      return;
    }
    this.store.jobs.markRunning(job.id);
    trainingJobStarted();
    this.store.jobs.updateProgress(job.id, { phase: 'loading data', totalEpochs: plan.spec.hyper.epochs });
    const stagingDir = this.store.createStagingDir(`train-${job.id.slice(0, 8)}`);
    const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
    const worker = startWorker(workerPath(__dirname, __filename, 'training-worker'), {
      workerData: { plan, stagingDir, cancelFlag: cancelFlag.buffer, threads: this.opts.threads },
    });
    let outcome: RunOutcome | null = null;
    let failure: string | null = null;
    let lastWrite = 0;
    let pendingProgress: JobProgressRecord | null = null;
    const flush = () => {
      if (pendingProgress) {
        this.store.jobs.updateProgress(job.id, pendingProgress);
        observeTrainingProgress(pendingProgress);
      }
      pendingProgress = null;
      lastWrite = Date.now();
    };
    worker.on('message', (msg: { type: string; event?: TrainerEvent; outcome?: RunOutcome; error?: { message: string } }) => {
      if (msg.type === 'event') {
        const p = progressOf(msg.event!);
        if (!p) return;
        pendingProgress = { ...pendingProgress, ...p };
        if (msg.event!.type !== 'progress' || Date.now() - lastWrite >= (this.opts.progressIntervalMs ?? 500)) flush();
      } else if (msg.type === 'done') outcome = msg.outcome!;
      else if (msg.type === 'error') failure = msg.error!.message;
    });
    worker.on('error', (err) => (failure = CxrError.from(err).message));
    const done = new Promise<void>((resolve) => {
      worker.once('exit', () => {
        this.running.delete(job.id);
        trainingJobEnded();
        try {
          if (this.closing) return; // left RUNNING on purpose: resumed at next start
          flush();
          this.finishJob(job.id, plan, stagingDir, outcome, failure);
        } catch (err) {
          this.store.jobs.finish(job.id, 'FAILED', `could not register the trained model: ${CxrError.from(err).message}`);
        } finally {
          if (existsSync(stagingDir)) rmSync(stagingDir, { recursive: true, force: true });
          resolve();
          this.pump();
        }
      });
    });
    this.running.set(job.id, { worker, cancelFlag, done });
  }

  private finishJob(jobId: string, plan: TrainingPlan, stagingDir: string, outcome: RunOutcome | null, failure: string | null): void {
    if (!outcome) {
      this.store.jobs.finish(jobId, 'FAILED', failure ?? 'the training worker stopped without a result');
      return;
    }
    const cps = ` (last checkpoint at step ${outcome.steps} kept)`;
    if (outcome.status === 'cancelled') {
      this.store.jobs.finish(jobId, 'CANCELLED', `cancelled by request${cps}`);
      return;
    }
    const { spec, desc } = plan;
    const versionSpec: ModelVersionSpec = {
      labels: plan.labels,
      preprocessing: plan.preprocessing,
      imageSize: plan.imageSize,
      architecture: desc as unknown as Record<string, unknown>,
      architectureSummary: `ViT D=${desc.width} depth=${desc.depth} heads=${desc.heads} P=${desc.patchSize} ${desc.imageSize}px, ${desc.numLabels} labels, ${[...parameterShapes(desc).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0)} parameters`,
      provenance: {
        initKind: spec.registerAsInit ? (spec.registeredInitKind ?? 'mimic-cxr') : plan.initModel.initKind,
        source: `training:${plan.initModel.name}/${plan.initModel.version}`,
        sha256: outcome.weightsSha256 ?? '',
        checkpointFormat: 'safetensors/canonical',
        posEmbedInterpolation: 'none (inherited from the init model)',
        headKept: !plan.newHead,
        trainingJobId: jobId,
      },
      operatingPoints: [],
      usableAsInit: spec.registerAsInit,
      files: { weights: 'weights.safetensors', graph: 'model.onnx' },
    };
    const v = this.store.models.registerVersion({
      modelName: spec.outputModelName,
      description: `fine-tuned from ${plan.initModel.name} v${plan.initModel.version}`,
      spec: versionSpec,
      stagingDir,
      serve: spec.serve,
    });
    const how = outcome.status === 'early-stopped' ? 'stopped early' : 'completed';
    const best = outcome.best ? `; best epoch ${outcome.best.epoch + 1}: validation loss ${outcome.best.validationLoss.toFixed(4)}, mean AUROC ${outcome.best.validationAuroc.toFixed(4)}` : '';
    this.store.jobs.finish(jobId, 'SUCCEEDED', `${how} after ${outcome.steps} steps${best}`, { modelName: v.modelName, modelVersion: v.version });
  }
}

function progressOf(e: TrainerEvent): JobProgressRecord | null {
  if (e.type === 'progress') {
    return {
      phase: e.phase, epoch: e.epoch + 1, totalEpochs: e.totalEpochs, step: e.step, totalSteps: e.totalSteps,
      ...(e.phase === 'training' ? { loss: e.loss, imagesPerSecond: e.imagesPerSecond, etaSeconds: e.etaSeconds } : {}),
    };
  }
  if (e.type === 'epoch') return { validationLoss: e.validationLoss, validationMeanAuroc: e.validationAuroc };
  return null;
}
