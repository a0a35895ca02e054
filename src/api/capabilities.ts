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

export type MediaTypeName = 'auto' | 'dicom' | 'png' | 'jpeg' | 'tensor';

export interface ImageRequest {
  data: Uint8Array;
  mediaType: MediaTypeName;
}

export interface LabelDecision {
  label: string;
  probability: number;
  positive?: boolean;
  threshold?: number;
}

export interface ImagePrediction {
  modelName: string;
  modelVersion: number;
  scores: LabelDecision[];
  timing: { decodeMs: number; preprocessMs: number; queueMs: number; computeMs: number; totalMs: number; batchSize: number };
}

export interface InferenceEngine {
  /** Classifies one image; batching across concurrent calls happens inside. */
  predict(modelName: string, version: string | undefined, image: ImageRequest, opts: { deadline?: number; signal?: AbortSignal }): Promise<ImagePrediction>;
}

export interface TrainingJobsApi {
  start(spec: Record<string, unknown>): Promise<JobRecord>;
  get(id: string): JobRecord;
  cancel(id: string): Promise<JobRecord>;
}

export interface EvaluationJobsApi {
  evaluate(spec: Record<string, unknown>): Promise<JobRecord>;
  compare(spec: Record<string, unknown>): Promise<JobRecord>;
}
