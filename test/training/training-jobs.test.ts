import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { CxrError } from '../../src/errors/cxr-error';
import { loadManifestFile, splitRows } from '../../src/dataset/manifest';
import { resolvePreset } from '../../src/image/preprocess';
import { initialWeights } from '../../src/model/initial-weights';
import { writeSafetensors } from '../../src/model/import/safetensors';
import { parameterShapes, vitPreset } from '../../src/model/vit-description';
import { buildInferenceModel } from '../../src/model/vit-graph';
import { openStore, type Store } from '../../src/store/store';
import { macroAuroc } from '../../src/training/auroc';
import { DataLoader } from '../../src/training/data-loader';
import { TrainingJobs } from '../../src/training/training-jobs';
import type { TrainingRequest } from '../../src/training/training-spec';
import { SYNTHETIC_LABELS, writeSyntheticDataset } from './synthetic-dataset';
import { assertSameWeights } from '../helpers/checkpoints';

const desc = vitPreset('vit-tiny-test', 3, { layerScale: false, width: 32, heads: 4 });
let base: string;
let dataDir: string;
let datasets: string;
let store: Store;

function registerInit(s: Store): void {
  const staging = s.createStagingDir('init');
  const w = initialWeights(desc, 1);
  writeFileSync(join(staging, 'weights.safetensors'), writeSafetensors(new Map([...parameterShapes(desc)].map(([k, shape]) => [k, { shape, data: w.get(k)! }]))));
  writeFileSync(join(staging, 'model.onnx'), buildInferenceModel(desc, w, { attention: 'plain' }));
  s.models.registerVersion({
    modelName: 'tiny-init',
    stagingDir: staging,
    spec: {
      labels: SYNTHETIC_LABELS, preprocessing: 'imagenet', imageSize: 16, architecture: desc as unknown as Record<string, unknown>,
      architectureSummary: 'tiny', operatingPoints: [], usableAsInit: true, files: { weights: 'weights.safetensors', graph: 'model.onnx' },
      provenance: { initKind: 'random', source: 'test', sha256: '', checkpointFormat: 'safetensors/canonical', posEmbedInterpolation: 'none', headKept: false },
    },
  });
}

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'cxr-jobs-'));
  dataDir = join(base, 'data');
  datasets = join(base, 'datasets');
  mkdirSync(datasets, { recursive: true });
  await writeSyntheticDataset(datasets, { train: 192, val: 48, test: 96 });
  writeFileSync(join(base, 'outside.csv'), 'path,split,top\nimg/train-0.png,train,1\n');
  store = openStore(dataDir);
  registerInit(store);
});
after(() => {
  store.close();
  rmSync(base, { recursive: true, force: true });
});

const request = (over: Partial<TrainingRequest> = {}): TrainingRequest => ({
  initModelName: 'tiny-init',
  outputModelName: 'tiny-trained',
  dataset: { manifestPath: 'manifest.csv', patientColumn: 'patient' },
  hyper: { learningRate: 3e-3, batchSize: 16, epochs: 1, weightDecay: 0.01 },
  seed: 3,
  ...over,
});

async function waitEnd(jobs: TrainingJobs, id: string, onEvent?: (e: { job: { state: string; progress: { step?: number } } }) => void) {
  let last;
  for await (const e of jobs.watch(id)) {
    last = e.job;
    onEvent?.(e);
  }
  return last!;
}

test('bad requests are rejected before a job is stored, naming the field', async () => {
  const jobs = new TrainingJobs({ store, datasetRoot: datasets, threads: 1 });
  const cases: [Partial<TrainingRequest>, RegExp][] = [
    [{ dataset: { manifestPath: '../outside.csv' } }, /escapes the data root/],
    [{ dataset: { manifestPath: 'missing.csv' } }, /does not exist/],
    [{ dataset: { manifestPath: 'manifest.csv', labelColumns: ['top', 'nope'] } }, /no column 'nope'/],
    [{ dataset: { manifestPath: 'manifest.csv', labelColumns: ['top', 'patient'] } }, /label is not a number/],
    [{ initModelName: 'nope' }, /init model/],
    [{ validationSplit: 'validation' }, /no rows in split 'validation'/],
    [{ hyper: { batchSize: 4096 } }, /batch_size/],
    [{ scope: { kind: 'lastBlocks', blocks: 9 } }, /last_blocks/],
    [{ outputModelName: '../evil' }, /model name/],
  ];
  for (const [over, pattern] of cases) {
    await assert.rejects(jobs.start(request(over)), (e: unknown) => e instanceof CxrError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message), String(pattern));
  }
  writeFileSync(join(datasets, 'no-pos.csv'), 'path,split,top,middle,bottom\nimg/train-0.png,train,0,0,1\nimg/train-1.png,val,0,1,1\n');
  await assert.rejects(jobs.start(request({ dataset: { manifestPath: 'no-pos.csv' }, hyper: { batchSize: 1 } })), /'top', 'middle' have no positive example/);
  assert.equal(jobs.list().length, 0);
});

test('a tiny ViT learns the synthetic task through TrainingJobs: held-out AUROC > 0.9 from the registered model', async () => {
  const jobs = new TrainingJobs({ store, datasetRoot: datasets, threads: 1 });
  const job = await jobs.start(request({ hyper: { learningRate: 3e-3, batchSize: 16, epochs: 15, weightDecay: 0.01 }, registerAsInit: true }));
  assert.ok(job.state === 'QUEUED' || job.state === 'RUNNING');
  const phases = new Set<string>();
  const end = await waitEnd(jobs, job.id, (e) => phases.add((e.job.progress as { phase?: string }).phase ?? ''));
  assert.equal(end.state, 'SUCCEEDED', end.statusMessage);
  assert.ok(phases.has('training') && phases.has('validating'));
  assert.equal(end.progress.step, 180);
  assert.ok((end.progress.imagesPerSecond ?? 0) > 0);
  const v = store.models.getVersion(end.result!.modelName!, end.result!.modelVersion!);
  assert.equal(v.usableAsInit, true);
  assert.equal(v.provenance.initKind, 'mimic-cxr');
  assert.equal(v.provenance.trainingJobId, job.id);
  const m = loadManifestFile(join(datasets, 'manifest.csv'), { dataRoot: datasets, patientColumn: 'patient' });
  const test_ = splitRows(m, 'test');
  const px = new Float32Array(test_.length * 3 * 16 * 16);
  const tg = new Float32Array(test_.length * 3);
  await new DataLoader({ preset: resolvePreset('imagenet', 16) }).loadBatch(test_, px, tg);
  const session = await ort.InferenceSession.create(join(v.dir, v.files.graph));
  const out = await session.run({ pixels: new ort.Tensor('float32', px, [test_.length, 3, 16, 16]) });
  await session.release();
  const auroc = macroAuroc(out.logits.data as Float32Array, Uint8Array.from(tg), 3).macro;
  assert.ok(auroc > 0.9, `held-out macro AUROC ${auroc}`);
});

test('one job at a time: the second queues visibly; cancel works queued and running', async () => {
  const jobs = new TrainingJobs({ store, datasetRoot: datasets, threads: 1 });
  const first = await jobs.start(request({ hyper: { batchSize: 16, epochs: 50 } }));
  const second = await jobs.start(request({ hyper: { batchSize: 16, epochs: 1 } }));
  assert.equal(jobs.get(second.id).state, 'QUEUED');
  assert.equal(jobs.queuePosition(second.id), 1);
  assert.equal((await jobs.cancel(second.id)).state, 'CANCELLED');
  // Let the first run a couple of steps, then cancel it.
  for await (const e of jobs.watch(first.id)) if ((e.job.progress.step ?? 0) >= 2) break;
  const cancelled = await jobs.cancel(first.id);
  assert.equal(cancelled.state, 'CANCELLED');
  assert.match(cancelled.statusMessage, /last checkpoint at step \d+ kept/);
  assert.ok(existsSync(join(dataDir, 'jobs', first.id, 'last.ckpt')));
});

test('a server killed mid-job resumes on restart and ends with the same weights as an uninterrupted run', async () => {
  const spec = (name: string) => request({ outputModelName: name, hyper: { learningRate: 3e-3, batchSize: 32, epochs: 2, checkpointEverySteps: 2 } });
  const jobs = new TrainingJobs({ store, datasetRoot: datasets, threads: 1 });
  const a = await waitEnd(jobs, (await jobs.start(spec('uninterrupted'))).id);
  assert.equal(a.state, 'SUCCEEDED', a.statusMessage);

  const b = await jobs.start(spec('resumed'));
  for await (const e of jobs.watch(b.id)) if ((e.job.progress.step ?? 0) >= 3) break;
  await jobs.close(); // the worker dies mid-epoch, as in a crash; the job stays RUNNING
  assert.equal(store.jobs.get(b.id).state, 'RUNNING');
  store.close();

  store = openStore(dataDir);
  const restarted = new TrainingJobs({ store, datasetRoot: datasets, threads: 1 });
  assert.deepEqual(restarted.resumeInterrupted().map((j) => j.id), [b.id]);
  const end = await waitEnd(restarted, b.id);
  assert.equal(end.state, 'SUCCEEDED', end.statusMessage);
  assertSameWeights(store, 'uninterrupted', 'resumed');
});
