/**
 * The contracts between the API front ends and the layers below them. Front ends translate
 * protobuf <-> these plain types; the layers never see protobuf.
 */
import type { ModelVersionRecord } from '../store/model-repository';
import type { JobRecord } from '../store/job-repository';
import type { ImportModelRequest } from '../model/import/import-model';

export interface ModelImporter {
  importModel(req: ImportModelRequest, signal?: AbortSignal): Promise<ModelVersionRecord>;
}

export type { MediaTypeName, ImageRequest, LabelDecision, ImagePrediction } from '../runtime/prediction';

/** The runtime as the front ends use it (src/runtime/inference-engine.ts implements it). */
export type InferenceEngine = Pick<
  import('../runtime/inference-engine').RuntimeInferenceEngine,
  'predict' | 'inferTensor' | 'modelInfo' | 'executionProviderOf' | 'statistics' | 'models'
>;

/** The trainer as the front end uses it (src/training/training-jobs.ts). */
export type TrainingJobsApi = Pick<
  import('../training/training-jobs').TrainingJobs,
  'start' | 'watch' | 'get' | 'list' | 'cancel' | 'queuePosition'
>;

/** Evaluate and Compare jobs (src/evaluation/evaluation-jobs.ts implements it). */
export interface EvaluationJobsApi {
  /** Validates (INVALID_ARGUMENT / NOT_FOUND), stores a QUEUED job, returns it at once. */
  evaluate(spec: import('../evaluation/evaluation-spec').EvaluateRequestSpec): Promise<JobRecord>;
  compare(spec: import('../evaluation/evaluation-spec').CompareRequestSpec): Promise<JobRecord>;
  /** NOT_FOUND unless an evaluation or comparison job. */
  get(jobId: string): JobRecord;
  /** Current state at once, then each change until the job ends or `signal` aborts. */
  watch(jobId: string, signal?: AbortSignal): AsyncIterable<{ job: JobRecord; queuePosition: number }>;
}
