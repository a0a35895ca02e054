/** What the runtime takes and gives per image; the front ends and the evaluation jobs use the same types. */

export type MediaTypeName = 'auto' | 'dicom' | 'png' | 'jpeg' | 'tensor';

export interface ImageRequest {
  data: Uint8Array;
  mediaType: MediaTypeName;
}

export interface LabelDecision {
  label: string;
  probability: number;
  /** Decision at the version's stored operating point; absent when it has none for this label. */
  positive?: boolean;
  threshold?: number;
}

export interface ImagePrediction {
  modelName: string;
  modelVersion: number;
  scores: LabelDecision[];
  timing: { decodeMs: number; preprocessMs: number; queueMs: number; computeMs: number; totalMs: number; batchSize: number };
}
