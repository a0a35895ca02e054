import { join } from 'node:path';
import { CxrError, invalidArgument, type FieldViolation } from '../errors/cxr-error';
import { DataRoot } from '../dataset/data-root';
import { labelStatistics } from '../dataset/label-statistics';
import { loadManifestFile, splitRows } from '../dataset/manifest';
import { resolvePreset } from '../image/preprocess';
import { validateVitDescription, type VitDescription } from '../model/vit-description';
import type { Store } from '../store/store';
import { validateModelName } from '../store/model-repository';
import type { Sample } from './data-loader';
import { trainableSet } from './trainable-parameters';
import type { TrainingSpec } from './training-spec';

/**
 * Everything a training worker needs, resolved and checked on the main thread before the job is
 * accepted (and again when a restarted server resumes it). Plain data: it crosses postMessage.
 */
export interface TrainingPlan {
  jobId: string;
  spec: TrainingSpec;
  desc: VitDescription;
  initModel: { name: string; version: number; initKind: string };
  initWeightsPath: string;
  /** The dataset's labels differ from the init model's: a new head is initialised (seeded). */
  newHead: boolean;
  labels: string[];
  posWeight: number[];
  positives: number[];
  train: Sample[];
  validation: Sample[];
  preprocessing: string;
  imageSize: number;
  checkpointDir: string;
}

/** Resolves the init model, reads the manifest and checks that a job could run. INVALID_ARGUMENT otherwise. */
export function planTraining(store: Store, datasetRoot: string, spec: TrainingSpec): Omit<TrainingPlan, 'jobId' | 'checkpointDir'> {
  validateModelName(spec.outputModelName, 'output_model_name');
  let version;
  try {
    version = store.models.resolve(spec.initModelName, spec.initModelVersion);
  } catch (err) {
    const e = CxrError.from(err);
    if (e.code === 'NOT_FOUND' || e.code === 'FAILED_PRECONDITION') {
      throw invalidArgument(`init model: ${e.message}`, [{ field: 'init_model_name', description: 'must name an existing model version' }]);
    }
    throw e;
  }
  const initProblem = (d: string) => invalidArgument(`init model ${spec.initModelName} v${version.version} ${d}`, [{ field: 'init_model_name', description: d }]);
  if (version.state !== 'READY') throw initProblem(`is ${version.state}, not READY`);
  if (!version.architecture || !version.files.weights) throw initProblem('has no ViT description and weights (opaque ONNX models cannot be fine-tuned)');
  if (!version.usableAsInit) throw initProblem('is not registered as usable for initialisation');
  const base = validateVitDescription(version.architecture as unknown as VitDescription);

  const root = new DataRoot(datasetRoot);
  const manifestPath = root.resolve(spec.dataset.manifestPath, 'dataset.manifest_path');
  const ds = spec.dataset;
  const graded = ds.gradedPositiveThreshold && ds.gradedPositiveThreshold > 0 ? ds.gradedPositiveThreshold : 1;
  const manifest = loadManifestFile(manifestPath, {
    dataRoot: root,
    pathColumn: ds.pathColumn || undefined,
    splitColumn: ds.splitColumn || undefined,
    patientColumn: ds.patientColumn || undefined,
    labelColumns: ds.labelColumns && ds.labelColumns.length ? ds.labelColumns : version.labels,
    labels: { uncertain: ds.uncertainAsPositive ? 'positive' : 'negative', blank: 'negative', positiveAtOrAbove: graded },
  });
  const train = splitRows(manifest, spec.trainSplit, 'train_split');
  const validation = splitRows(manifest, spec.validationSplit, 'validation_split');
  const stats = labelStatistics(train, manifest.labels);

  const v: FieldViolation[] = [];
  const perStep = spec.hyper.batchSize * spec.hyper.gradientAccumulation;
  if (perStep > train.length) v.push({ field: 'hyperparameters.batch_size', description: `batch_size x gradient_accumulation (${perStep}) exceeds the ${train.length} training images` });
  if (spec.scope.kind === 'lastBlocks' && spec.scope.blocks > base.depth) v.push({ field: 'scope.last_blocks', description: `the init model has ${base.depth} blocks` });
  if (spec.scope.kind === 'lora' && spec.scope.rank > base.width) v.push({ field: 'scope.lora_rank', description: `must be <= the model width ${base.width}` });
  if (v.length) throw invalidArgument(`training request does not fit the data or model: ${v.map((x) => `${x.field}: ${x.description}`).join('; ')}`, v);

  const labels = manifest.labels;
  const newHead = labels.length !== version.labels.length || labels.some((l, i) => l !== version.labels[i]);
  const desc = { ...base, numLabels: labels.length };
  trainableSet(desc, spec.scope);
  resolvePreset(version.preprocessing, version.imageSize);
  const toSample = (r: (typeof train)[number]): Sample => ({ row: r.row, imagePath: r.imagePath, targets: r.targets });
  return {
    spec,
    desc,
    initModel: { name: version.modelName, version: version.version, initKind: version.provenance.initKind },
    initWeightsPath: join(version.dir, version.files.weights),
    newHead,
    labels,
    posWeight: stats.posWeight,
    positives: stats.positives,
    train: train.map(toSample),
    validation: validation.map(toSample),
    preprocessing: version.preprocessing,
    imageSize: version.imageSize,
  };
}
