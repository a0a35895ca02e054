import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelStatistics } from '../../src/dataset/label-statistics';
import { loadManifestFile, splitRows } from '../../src/dataset/manifest';
import { resolvePreset } from '../../src/image/preprocess';
import { initialWeights } from '../../src/model/initial-weights';
import { vitPreset } from '../../src/model/vit-description';
import { readCheckpoint } from '../../src/training/checkpoint';
import type { Sample } from '../../src/training/data-loader';
import { Trainer, type TrainerConfig } from '../../src/training/trainer';
import { normalizeTrainingSpec, type HyperParameters } from '../../src/training/training-spec';
import { writeSyntheticDataset } from './synthetic-dataset';

const desc = vitPreset('vit-tiny-test', 3, { layerScale: false, width: 32, heads: 4 });
const preset = resolvePreset('imagenet', 16);
let root: string;
let train: Sample[], val: Sample[];
let posWeight: number[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'cxr-trainer-'));
  const manifest = await writeSyntheticDataset(root, { train: 96, val: 16 });
  const m = loadManifestFile(manifest, { dataRoot: root, patientColumn: 'patient' });
  [train, val] = ['train', 'val'].map((s) => splitRows(m, s));
  posWeight = labelStatistics(train, m.labels).posWeight;
});
after(() => rmSync(root, { recursive: true, force: true }));

function config(dir: string, hyper: Partial<HyperParameters>, over: Partial<TrainerConfig> = {}): TrainerConfig {
  const spec = normalizeTrainingSpec({ initModelName: 'i', outputModelName: 'o', dataset: { manifestPath: 'm.csv' }, hyper: { learningRate: 3e-3, batchSize: 16, weightDecay: 0.01, ...hyper } });
  return {
    desc, initWeights: initialWeights(desc, 1), posWeight, train, validation: val, preset, hyper: spec.hyper,
    scope: { kind: 'full' }, augmentation: spec.augmentation, seed: 7, checkpointDir: join(root, dir), threads: 1, ...over,
  };
}

function lastState(dir: string): Map<string, Float32Array> {
  const c = readCheckpoint(join(root, dir, 'last.ckpt'));
  return new Map([...c.tensors].map(([k, t]) => [k, t.data]));
}

function assertSameState(a: Map<string, Float32Array>, b: Map<string, Float32Array>, tol: number): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  let max = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  }
  assert.ok(max <= tol, `max difference ${max}`);
}

test('a run killed mid-epoch and resumed from its checkpoint ends with the same weights and Adam state', async () => {
  const hyper = { epochs: 2, batchSize: 32, checkpointEverySteps: 4 };
  const small = { train, validation: val };
  const full = await new Trainer(config('uninterrupted', hyper, small)).run();
  assert.equal(full.steps, 6);
  // "Kill" after step 5: the last checkpoint is at step 4 (mid-epoch 1); steps 5 is lost.
  await assert.rejects(new Trainer(config('killed', hyper, small), {
    onEvent: (e) => { if (e.type === 'progress' && e.step === 5) throw new Error('simulated crash'); },
  }).run(), /simulated crash/);
  const killed = readCheckpoint(join(root, 'killed', 'last.ckpt'));
  assert.deepEqual([killed.step, killed.epoch, killed.batchInEpoch], [4, 1, 1]);
  const resumed = await new Trainer(config('killed', hyper, small)).run();
  assert.equal(resumed.steps, 6);
  assertSameState(lastState('uninterrupted'), lastState('killed'), 0);
  assert.deepEqual(resumed.history.map((h) => h.validationLoss), full.history.map((h) => h.validationLoss));
});

test('cancel stops within one step and keeps a checkpoint of where it stopped', async () => {
  let steps = 0;
  const r = await new Trainer(config('cancel', { epochs: 3 }), {
    onEvent: (e) => { if (e.type === 'progress' && e.phase === 'training') steps = e.step; },
    isCancelled: () => steps >= 2,
  }).run();
  assert.equal(r.status, 'cancelled');
  assert.equal(r.steps, 2);
  const c = readCheckpoint(join(root, 'cancel', 'last.ckpt'));
  assert.equal(c.step, 2);
  assert.equal(c.batchInEpoch, 2);
});

test('gradient accumulation of 2 x 8 equals one batch of 16 (same images, same step)', async () => {
  const one = { train: train.slice(0, 16), validation: val.slice(0, 8) };
  await new Trainer(config('acc1', { epochs: 1, batchSize: 16 }, { ...one, augmentation: null })).run();
  await new Trainer(config('acc2', { epochs: 1, batchSize: 8, gradientAccumulation: 2 }, { ...one, augmentation: null })).run();
  assertSameState(lastState('acc1'), lastState('acc2'), 1e-6);
});

test('LoRA and head-only scopes train and return canonical weights with frozen tensors untouched', async () => {
  const init = initialWeights(desc, 1);
  const few = { train: train.slice(0, 32), validation: val.slice(0, 8) };
  const lora = await new Trainer(config('lora', { epochs: 1 }, { ...few, scope: { kind: 'lora', rank: 2, alpha: 4 } })).run();
  assert.deepEqual([...lora.weights.keys()], [...init.keys()]);
  assert.deepEqual(lora.weights.get('blocks.0.attn.k.weight'), init.get('blocks.0.attn.k.weight'));
  assert.notDeepEqual(lora.weights.get('blocks.0.attn.q.weight'), init.get('blocks.0.attn.q.weight'));
  assert.notDeepEqual(lora.weights.get('head.weight'), init.get('head.weight'));
  const head = await new Trainer(config('head', { epochs: 1 }, { ...few, scope: { kind: 'head' } })).run();
  assert.deepEqual(head.weights.get('blocks.1.mlp.fc1.weight'), init.get('blocks.1.mlp.fc1.weight'));
  assert.notDeepEqual(head.weights.get('head.weight'), init.get('head.weight'));
});
