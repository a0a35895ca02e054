import type { ServiceContext } from '../service-context';
import { unary, serverStream } from '../call-adapters';
import {
  TrainingServiceService, LrSchedule, BestMetric, TrainableScopeKind,
  type TrainingServiceServer, type StartTrainingRequest,
} from '../generated/cxr/v1/training_service';
import { JobState, InitKind } from '../generated/cxr/v1/common';
import { invalidArgument, unimplemented } from '../../errors/cxr-error';
import type { TrainingRequest, TrainableScope } from '../../training/training-spec';
import type { JobState as StoreJobState } from '../../store/job-repository';
import { jobToProto, initKindFromProto } from './convert';
import { abortOnCancel } from '../call-context';

export { TrainingServiceService };

export function trainingService(ctx: ServiceContext): TrainingServiceServer {
  const S = 'cxr.v1.TrainingService';
  const jobs = () => {
    const t = ctx.capabilities.training;
    if (!t) throw unimplemented('training needs the trainer (src/training), which this server was started without');
    return t;
  };
  const requireId = (id: string) => {
    if (!id) throw invalidArgument('job_id is required', [{ field: 'job_id', description: 'empty' }]);
  };
  return {
    startTraining: unary(ctx, S, 'StartTraining', async (req, _call, notes) => {
      notes.modelName = req.outputModelName || undefined;
      const job = await jobs().start(toTrainingRequest(req));
      return { job: jobToProto(job, jobs().queuePosition(job.id)) };
    }),
    watchJob: serverStream(ctx, S, 'WatchJob', async (req, call) => {
      requireId(req.jobId);
      const { signal, dispose } = abortOnCancel(call);
      try {
        for await (const { job, queuePosition } of jobs().watch(req.jobId, signal)) {
          if (signal.aborted) break;
          call.write({ job: jobToProto(job, queuePosition) });
        }
      } finally {
        dispose();
      }
    }),
    getJob: unary(ctx, S, 'GetJob', (req) => {
      requireId(req.jobId);
      const job = jobs().get(req.jobId);
      return { job: jobToProto(job, jobs().queuePosition(job.id)) };
    }),
    listJobs: unary(ctx, S, 'ListJobs', (req) => {
      const pageSize = req.pageSize > 0 ? Math.min(req.pageSize, 1000) : 100;
      const afterSeq = req.pageToken ? Number(req.pageToken) : undefined;
      if (afterSeq !== undefined && !Number.isInteger(afterSeq)) throw invalidArgument('page_token is not one this server issued', [{ field: 'page_token', description: 'invalid' }]);
      const state = req.state === JobState.JOB_STATE_UNSPECIFIED ? undefined : (JobState[req.state]?.replace('JOB_STATE_', '') as StoreJobState | undefined);
      const page = jobs().list({ state, afterSeq, limit: pageSize + 1 });
      const shown = page.slice(0, pageSize);
      return {
        jobs: shown.map((j) => jobToProto(j, jobs().queuePosition(j.id))),
        nextPageToken: page.length > pageSize ? String(shown[shown.length - 1]!.seq) : '',
      };
    }),
    cancelJob: unary(ctx, S, 'CancelJob', async (req) => {
      requireId(req.jobId);
      return { job: jobToProto(await jobs().cancel(req.jobId)) };
    }),
  };
}

/** proto3 has no "unset" for scalars: zero means "use the study's default" throughout. */
const orUndefined = <T>(v: T): T | undefined => (v === 0 || v === '' ? undefined : v);

function toTrainingRequest(r: StartTrainingRequest): TrainingRequest {
  const h = r.hyperparameters;
  const d = r.dataset;
  let scope: TrainableScope | undefined;
  switch (r.scope?.kind ?? TrainableScopeKind.TRAINABLE_SCOPE_KIND_UNSPECIFIED) {
    case TrainableScopeKind.TRAINABLE_SCOPE_KIND_UNSPECIFIED:
    case TrainableScopeKind.TRAINABLE_SCOPE_KIND_FULL: scope = { kind: 'full' }; break;
    case TrainableScopeKind.TRAINABLE_SCOPE_KIND_LAST_BLOCKS: scope = { kind: 'lastBlocks', blocks: r.scope!.lastBlocks }; break;
    case TrainableScopeKind.TRAINABLE_SCOPE_KIND_HEAD_ONLY: scope = { kind: 'head' }; break;
    case TrainableScopeKind.TRAINABLE_SCOPE_KIND_LORA: scope = { kind: 'lora', rank: r.scope!.loraRank || 16, alpha: r.scope!.loraAlpha || r.scope!.loraRank || 16 }; break;
    default: throw invalidArgument('scope.kind is not a known TrainableScopeKind', [{ field: 'scope.kind', description: 'unknown value' }]);
  }
  const a = r.augmentation;
  const augmentation = a?.disabled ? null : a && (a.flipProbability || a.maxRotationDegrees)
    ? { flipProbability: a.flipProbability, maxRotationDeg: a.maxRotationDegrees }
    : undefined;
  return {
    initModelName: r.initModelName,
    initModelVersion: r.initModelVersion ? Number(r.initModelVersion) : undefined,
    outputModelName: r.outputModelName,
    dataset: d && {
      manifestPath: d.manifestPath,
      pathColumn: orUndefined(d.pathColumn),
      splitColumn: orUndefined(d.splitColumn),
      patientColumn: orUndefined(d.patientColumn),
      labelColumns: d.labelColumns.length ? d.labelColumns : undefined,
      uncertainAsPositive: d.conventions?.uncertainAsPositive,
      gradedPositiveThreshold: orUndefined(d.conventions?.gradedPositiveThreshold ?? 0),
    },
    trainSplit: orUndefined(r.trainSplit),
    validationSplit: orUndefined(r.validationSplit),
    hyper: h && {
      learningRate: orUndefined(h.learningRate),
      weightDecay: orUndefined(h.weightDecay),
      batchSize: orUndefined(h.batchSize),
      epochs: orUndefined(h.epochs),
      schedule: h.schedule === LrSchedule.LR_SCHEDULE_COSINE ? 'cosine' : h.schedule === LrSchedule.LR_SCHEDULE_CONSTANT ? 'constant' : undefined,
      warmupSteps: orUndefined(h.warmupSteps),
      maxGradNorm: orUndefined(h.maxGradNorm),
      gradientAccumulation: orUndefined(h.gradientAccumulation),
      checkpointEverySteps: orUndefined(h.checkpointEverySteps),
      earlyStoppingPatience: orUndefined(h.earlyStoppingPatience),
      bestMetric: h.bestMetric === BestMetric.BEST_METRIC_VALIDATION_LOSS ? 'validationLoss' : h.bestMetric === BestMetric.BEST_METRIC_VALIDATION_AUROC ? 'validationAuroc' : undefined,
      beta1: orUndefined(h.adamBeta1),
      beta2: orUndefined(h.adamBeta2),
      eps: orUndefined(h.adamEpsilon),
    },
    scope,
    augmentation,
    seed: r.seed,
    registerAsInit: r.registerAsInit,
    registeredInitKind: r.registeredInitKind === InitKind.INIT_KIND_UNSPECIFIED ? undefined : initKindFromProto(r.registeredInitKind),
    serve: r.serve,
  };
}
