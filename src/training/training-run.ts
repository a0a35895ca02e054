import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePreset } from '../image/preprocess';
import { initHead } from '../model/import/head-init';
import { META_DESCRIPTION, META_INIT_KIND } from '../model/import/import-model';
import { readSafetensors, writeSafetensors } from '../model/import/safetensors';
import { checkWeights, parameterShapes } from '../model/vit-description';
import { buildInferenceModel } from '../model/vit-graph';
import { writeFileAtomic } from '../store/atomic-file';
import { Trainer, type EpochSummary, type TrainerHooks } from './trainer';
import type { TrainingPlan } from './training-plan';

export interface RunOutcome {
  status: 'completed' | 'early-stopped' | 'cancelled';
  steps: number;
  best: { epoch: number; validationLoss: number; validationAuroc: number } | null;
  history: EpochSummary[];
  /** sha256 of the written weights.safetensors (absent when cancelled). */
  weightsSha256?: string;
}

/** Init weights of the plan, with a fresh seeded head when the label set changed. */
export function loadInitWeights(plan: Omit<TrainingPlan, 'jobId' | 'checkpointDir'>): Map<string, Float32Array> {
  const file = readSafetensors(readFileSync(plan.initWeightsPath), 'init model weights');
  const weights = new Map<string, Float32Array>();
  for (const [k, t] of file.tensors) weights.set(k, t.data);
  if (plan.newHead) {
    const h = initHead(plan.desc.width, plan.desc.numLabels, 'trunc-normal', plan.spec.seed);
    weights.set('head.weight', h.weight.data);
    weights.set('head.bias', h.bias.data);
  }
  checkWeights(plan.desc, weights);
  return weights;
}

/**
 * Runs (or resumes) a planned job to the end and, unless cancelled, writes the new model
 * version's files into `stagingDir`: weights.safetensors, model.onnx, labels.txt, training.json.
 */
export async function runTrainingPlan(plan: TrainingPlan, stagingDir: string, hooks: TrainerHooks, threads?: number): Promise<RunOutcome> {
  const initWeights = loadInitWeights(plan);
  const trainer = new Trainer({
    desc: plan.desc,
    initWeights,
    posWeight: plan.posWeight,
    train: plan.train,
    validation: plan.validation,
    preset: resolvePreset(plan.preprocessing, plan.imageSize),
    hyper: plan.spec.hyper,
    scope: plan.spec.scope,
    augmentation: plan.spec.augmentation,
    seed: plan.spec.seed,
    checkpointDir: plan.checkpointDir,
    threads,
  }, hooks);
  const r = await trainer.run();
  const outcome: RunOutcome = { status: r.status, steps: r.steps, best: r.best, history: r.history };
  if (r.status === 'cancelled') return outcome;
  const shapes = parameterShapes(plan.desc);
  const ordered = new Map([...shapes].map(([k, shape]) => [k, { shape, data: r.weights.get(k)! }]));
  const initKind = plan.spec.registerAsInit ? (plan.spec.registeredInitKind ?? 'mimic-cxr') : plan.initModel.initKind;
  const bytes = writeSafetensors(ordered, { format: 'pt', [META_DESCRIPTION]: JSON.stringify(plan.desc), [META_INIT_KIND]: initKind });
  writeFileAtomic(join(stagingDir, 'weights.safetensors'), bytes);
  writeFileAtomic(join(stagingDir, 'model.onnx'), buildInferenceModel(plan.desc, r.weights, { attention: 'plain' }));
  writeFileSync(join(stagingDir, 'labels.txt'), `${plan.labels.join('\n')}\n`);
  writeFileAtomic(join(stagingDir, 'training.json'), JSON.stringify({
    jobId: plan.jobId, init: plan.initModel, newHead: plan.newHead, spec: plan.spec, posWeight: plan.posWeight, positives: plan.positives,
    trainImages: plan.train.length, validationImages: plan.validation.length, steps: r.steps, status: r.status, best: r.best, history: r.history,
  }, null, 2));
  outcome.weightsSha256 = createHash('sha256').update(bytes).digest('hex');
  return outcome;
}
