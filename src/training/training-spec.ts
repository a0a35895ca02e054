import { CxrError, type FieldViolation } from '../errors/cxr-error';

/** Which weights a run updates. Frozen ones become initializers inside the step graph. */
export type TrainableScope =
  | { kind: 'full' }
  /** The last `blocks` transformer blocks plus the final norm and the head. */
  | { kind: 'lastBlocks'; blocks: number }
  /** Linear probe: head only. */
  | { kind: 'head' }
  /** LoRA on attention query and value (PEFT's default ViT targets) plus the head. */
  | { kind: 'lora'; rank: number; alpha: number };

export interface AugmentationSpec {
  flipProbability: number;
  maxRotationDeg: number;
}

export interface DatasetSpec {
  /** Manifest CSV, relative to the data root. */
  manifestPath: string;
  pathColumn?: string;
  splitColumn?: string;
  patientColumn?: string;
  /** Empty/absent: the init model's labels. */
  labelColumns?: string[];
  uncertainAsPositive?: boolean;
  /** Graded labels: grade >= this is positive; 0/absent means binary labels. */
  gradedPositiveThreshold?: number;
}

export interface HyperParameters {
  learningRate: number;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  schedule: 'constant' | 'cosine';
  warmupSteps: number;
  /** 0 = no clipping. */
  maxGradNorm: number;
  /** Micro-batches per optimiser step (1 = none). */
  gradientAccumulation: number;
  /** 0 = checkpoint at epoch ends only. */
  checkpointEverySteps: number;
  /** Epochs without improvement before stopping; 0 = off. */
  earlyStoppingPatience: number;
  bestMetric: 'validationLoss' | 'validationAuroc';
  beta1: number;
  beta2: number;
  eps: number;
}

/** A training job's request, normalised (defaults filled). Stored as the job's spec (JSON). */
export interface TrainingSpec {
  initModelName: string;
  initModelVersion?: number;
  outputModelName: string;
  dataset: DatasetSpec;
  trainSplit: string;
  validationSplit: string;
  hyper: HyperParameters;
  scope: TrainableScope;
  /** null: no augmentation. */
  augmentation: AugmentationSpec | null;
  seed: number;
  registerAsInit: boolean;
  /** initKind recorded when registered as an init (default 'mimic-cxr', how that init is made). */
  registeredInitKind?: string;
  serve: boolean;
}

/** The study's settings (DESIGN.md section 2). */
export const STUDY_HYPERPARAMETERS: HyperParameters = Object.freeze({
  learningRate: 1e-5,
  weightDecay: 0,
  batchSize: 32,
  epochs: 100,
  schedule: 'constant',
  warmupSteps: 0,
  maxGradNorm: 0,
  gradientAccumulation: 1,
  checkpointEverySteps: 0,
  earlyStoppingPatience: 0,
  bestMetric: 'validationAuroc',
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
});

export const STUDY_AUGMENTATION: AugmentationSpec = Object.freeze({ flipProbability: 0.5, maxRotationDeg: 7 });

export type TrainingRequest = Omit<Partial<TrainingSpec>, 'hyper' | 'dataset'> & {
  dataset?: Partial<DatasetSpec>;
  hyper?: Partial<HyperParameters>;
};

/**
 * Fills defaults and checks every field that can be checked without touching files. All
 * violations are collected and reported together (INVALID_ARGUMENT), field paths named as in
 * cxr.v1.StartTrainingRequest.
 */
export function normalizeTrainingSpec(req: TrainingRequest): TrainingSpec {
  const v: FieldViolation[] = [];
  const bad = (field: string, description: string) => v.push({ field, description });
  const hyper: HyperParameters = { ...STUDY_HYPERPARAMETERS, ...stripUndefined(req.hyper ?? {}) };
  const h = 'hyperparameters.';
  if (!(hyper.learningRate > 0 && hyper.learningRate < 1)) bad(h + 'learning_rate', 'must be in (0, 1)');
  if (!(hyper.weightDecay >= 0 && hyper.weightDecay < 1)) bad(h + 'weight_decay', 'must be in [0, 1)');
  if (!isIntIn(hyper.batchSize, 1, 4096)) bad(h + 'batch_size', 'must be an integer in [1, 4096]');
  if (!isIntIn(hyper.epochs, 1, 10000)) bad(h + 'epochs', 'must be an integer in [1, 10000]');
  if (hyper.schedule !== 'constant' && hyper.schedule !== 'cosine') bad(h + 'schedule', "must be 'constant' or 'cosine'");
  if (!isIntIn(hyper.warmupSteps, 0, 1e9)) bad(h + 'warmup_steps', 'must be an integer >= 0');
  if (!(hyper.maxGradNorm >= 0)) bad(h + 'max_grad_norm', 'must be >= 0 (0 = off)');
  if (!isIntIn(hyper.gradientAccumulation, 1, 1024)) bad(h + 'gradient_accumulation', 'must be an integer in [1, 1024]');
  if (!isIntIn(hyper.checkpointEverySteps, 0, 1e9)) bad(h + 'checkpoint_every_steps', 'must be an integer >= 0');
  if (!isIntIn(hyper.earlyStoppingPatience, 0, 10000)) bad(h + 'early_stopping_patience', 'must be an integer >= 0');
  if (hyper.bestMetric !== 'validationLoss' && hyper.bestMetric !== 'validationAuroc') bad(h + 'best_metric', 'must be validation loss or validation AUROC');
  if (!(hyper.beta1 >= 0 && hyper.beta1 < 1)) bad(h + 'adam_beta1', 'must be in [0, 1)');
  if (!(hyper.beta2 >= 0 && hyper.beta2 < 1)) bad(h + 'adam_beta2', 'must be in [0, 1)');
  if (!(hyper.eps > 0 && hyper.eps < 1)) bad(h + 'adam_epsilon', 'must be in (0, 1)');

  const scope = req.scope ?? { kind: 'full' };
  switch (scope.kind) {
    case 'full':
    case 'head':
      break;
    case 'lastBlocks':
      if (!isIntIn(scope.blocks, 1, 1000)) bad('scope.last_blocks', 'must be an integer >= 1');
      break;
    case 'lora':
      if (!isIntIn(scope.rank, 1, 1024)) bad('scope.lora_rank', 'must be an integer in [1, 1024]');
      if (!(scope.alpha > 0)) bad('scope.lora_alpha', 'must be > 0');
      break;
    default:
      bad('scope.kind', 'must be FULL, LAST_BLOCKS, HEAD_ONLY or LORA');
  }

  const augmentation = req.augmentation === null ? null : { ...STUDY_AUGMENTATION, ...stripUndefined(req.augmentation ?? {}) };
  if (augmentation) {
    if (!(augmentation.flipProbability >= 0 && augmentation.flipProbability <= 1)) bad('augmentation.flip_probability', 'must be in [0, 1]');
    if (!(augmentation.maxRotationDeg >= 0 && augmentation.maxRotationDeg <= 180)) bad('augmentation.max_rotation_degrees', 'must be in [0, 180]');
  }

  const ds = req.dataset ?? {};
  if (typeof ds.manifestPath !== 'string' || ds.manifestPath.trim() === '') bad('dataset.manifest_path', 'required: a manifest CSV relative to the data root');
  if (ds.gradedPositiveThreshold !== undefined && !(ds.gradedPositiveThreshold >= 0)) bad('dataset.conventions.graded_positive_threshold', 'must be >= 0');
  if (typeof req.initModelName !== 'string' || req.initModelName === '') bad('init_model_name', 'required: the model version to start from');
  if (req.initModelVersion !== undefined && !isIntIn(req.initModelVersion, 1, 1e9)) bad('init_model_version', 'must be a positive integer');
  if (typeof req.outputModelName !== 'string' || req.outputModelName === '') bad('output_model_name', 'required: the model the result is registered under');
  const seed = req.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) bad('seed', 'must be a non-negative integer');
  const trainSplit = req.trainSplit || 'train';
  const validationSplit = req.validationSplit || 'val';
  if (trainSplit === validationSplit) bad('validation_split', 'must differ from train_split');

  if (v.length > 0) {
    throw new CxrError('INVALID_ARGUMENT', `invalid training request: ${v.map((x) => `${x.field} ${x.description}`).join('; ')}`, { violations: v });
  }
  return {
    initModelName: req.initModelName!,
    ...(req.initModelVersion !== undefined ? { initModelVersion: req.initModelVersion } : {}),
    outputModelName: req.outputModelName!,
    dataset: { ...(stripUndefined(ds) as DatasetSpec) },
    trainSplit,
    validationSplit,
    hyper,
    scope,
    augmentation,
    seed,
    registerAsInit: req.registerAsInit ?? false,
    ...(req.registeredInitKind ? { registeredInitKind: req.registeredInitKind } : {}),
    serve: req.serve ?? false,
  };
}

function isIntIn(x: unknown, lo: number, hi: number): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}
