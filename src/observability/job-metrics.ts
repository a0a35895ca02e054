import type { JobProgressRecord } from '../store/job-repository';
import {
  trainingEpoch, trainingStep, trainingLoss, trainingImagesPerSecond, trainingJobsActive, evaluationProgress, kindLabel,
} from './metrics';

/**
 * Job progress as gauges, keyed by job kind only (never a job id). The job layers call these
 * where they write progress to the store, so the gauges and the job API never disagree.
 */
export function observeTrainingProgress(p: JobProgressRecord, kind = 'finetune'): void {
  const k = { kind: kindLabel(kind) };
  if (p.epoch !== undefined) trainingEpoch.set(k, p.epoch);
  if (p.step !== undefined) trainingStep.set(k, p.step);
  if (p.loss !== undefined && Number.isFinite(p.loss)) trainingLoss.set(k, p.loss);
  if (p.imagesPerSecond !== undefined) trainingImagesPerSecond.set(k, p.imagesPerSecond);
}

export function trainingJobStarted(kind = 'finetune'): void {
  trainingJobsActive.inc({ kind: kindLabel(kind) });
}

export function trainingJobEnded(kind = 'finetune'): void {
  trainingJobsActive.dec({ kind: kindLabel(kind) });
}

export function observeEvaluationProgress(kind: 'evaluate' | 'compare', p: JobProgressRecord): void {
  if (p.imagesDone !== undefined && p.imagesTotal) evaluationProgress.set({ kind: kindLabel(kind) }, p.imagesDone / p.imagesTotal);
}
