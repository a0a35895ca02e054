import type { ModelRecord, ModelVersionRecord } from '../../store/model-repository';
import type { JobRecord } from '../../store/job-repository';
import { Model, ModelVersion, ModelVersionState } from '../generated/cxr/v1/model_service';
import { InitKind, Job, JobKind, JobState } from '../generated/cxr/v1/common';
import type { Timestamp } from '../generated/google/protobuf/timestamp';

/** Store records -> cxr.v1 messages. */

export function timestamp(iso: string | null | undefined): Timestamp | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

const INIT_KINDS: Record<string, InitKind> = {
  dinov2: InitKind.INIT_KIND_DINOV2,
  imagenet21k: InitKind.INIT_KIND_IMAGENET21K,
  'mimic-cxr': InitKind.INIT_KIND_MIMIC_CXR,
  random: InitKind.INIT_KIND_RANDOM,
  onnx: InitKind.INIT_KIND_ONNX,
};

export function initKindToProto(kind: string): InitKind {
  return INIT_KINDS[kind] ?? InitKind.INIT_KIND_UNSPECIFIED;
}

export function initKindFromProto(kind: InitKind): string | undefined {
  return Object.entries(INIT_KINDS).find(([, v]) => v === kind)?.[0];
}

export function modelVersionToProto(v: ModelVersionRecord, executionProvider = ''): ModelVersion {
  return ModelVersion.fromPartial({
    modelName: v.modelName,
    version: String(v.version),
    state: ModelVersionState[`MODEL_VERSION_STATE_${v.state}`],
    statusMessage: v.statusMessage,
    labels: v.labels,
    preprocessing: v.preprocessing,
    imageSize: v.imageSize,
    architecture: v.architectureSummary,
    provenance: {
      initKind: initKindToProto(v.provenance.initKind),
      source: v.provenance.source,
      sha256: v.provenance.sha256,
      checkpointFormat: v.provenance.checkpointFormat,
      posEmbedInterpolation: v.provenance.posEmbedInterpolation,
      headKept: v.provenance.headKept,
      trainingJobId: v.provenance.trainingJobId ?? '',
    },
    operatingPoints: v.operatingPoints,
    executionProvider,
    createTime: timestamp(v.createdAt),
    usableAsInit: v.usableAsInit,
  });
}

export function modelToProto(m: ModelRecord, providerOf: (v: ModelVersionRecord) => string = () => ''): Model {
  return Model.fromPartial({
    name: m.name,
    description: m.description,
    servingVersion: m.servingVersion === null ? '' : String(m.servingVersion),
    versions: m.versions.map((v) => modelVersionToProto(v, providerOf(v))),
    createTime: timestamp(m.createdAt),
  });
}

export function jobToProto(j: JobRecord, queuePosition = 0): Job {
  const p = j.progress;
  return Job.fromPartial({
    id: j.id,
    kind: JobKind[`JOB_KIND_${j.kind}`],
    state: JobState[`JOB_STATE_${j.state}`],
    createTime: timestamp(j.createdAt),
    startTime: timestamp(j.startedAt),
    endTime: timestamp(j.endedAt),
    progress: {
      epoch: p.epoch ?? 0, totalEpochs: p.totalEpochs ?? 0, step: p.step ?? 0, totalSteps: p.totalSteps ?? 0,
      loss: p.loss ?? 0, imagesPerSecond: p.imagesPerSecond ?? 0, etaSeconds: p.etaSeconds ?? 0,
      validationLoss: p.validationLoss ?? 0, validationMeanAuroc: p.validationMeanAuroc ?? 0,
      imagesDone: p.imagesDone ?? 0, imagesTotal: p.imagesTotal ?? 0, phase: p.phase ?? '',
    },
    statusMessage: j.statusMessage,
    queuePosition,
    result: j.result
      ? { modelName: j.result.modelName ?? '', modelVersion: j.result.modelVersion ? String(j.result.modelVersion) : '', reportId: j.result.reportId ?? '' }
      : undefined,
  });
}
