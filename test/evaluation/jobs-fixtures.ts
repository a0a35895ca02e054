import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ImagePrediction } from '../../src/runtime/prediction';
import { decodeRadiograph } from '../../src/image/decode';
import { preprocess } from '../../src/image/preprocess';
import { resolvePreset } from '../../src/image/presets';
import { importInWorker } from '../../src/model/import/import-in-worker';
import type { Store } from '../../src/store/store';
import type { ModelVersionRecord } from '../../src/store/model-repository';
import type { PredictFn } from '../../src/evaluation/predict-split';
import { writeFileAtomic } from '../../src/store/atomic-file';
import { tinyCheckpoint } from '../helpers/checkpoints';

export const LABELS = ['Effusion', 'Edema', 'Cardiomegaly'];

/**
 * Stand-in for the batched runtime: decode + preprocess in this thread and one ONNX session per
 * model version, one image per run. Counts calls per model so tests can see reuse.
 */
export function directPredict(store: Store): PredictFn & { calls: Map<string, number> } {
  const sessions = new Map<string, Promise<{ v: ModelVersionRecord; s: ort.InferenceSession }>>();
  const calls = new Map<string, number>();
  const open = (name: string, version: string | undefined) => {
    const v = store.models.resolve(name, version);
    const key = `${v.modelName}@${v.version}`;
    let p = sessions.get(key);
    if (!p) {
      p = ort.InferenceSession.create(readFileSync(join(v.dir, v.files.graph)), { intraOpNumThreads: 1 }).then((s) => ({ v, s }));
      sessions.set(key, p);
    }
    return p;
  };
  const fn = async (name: string, version: string | undefined, image: { data: Uint8Array }): Promise<ImagePrediction> => {
    const { v, s } = await open(name, version);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    const preset = resolvePreset(v.preprocessing, v.imageSize);
    const grey = await decodeRadiograph(image.data, 'auto', { voi: preset.voi });
    const pixels = preprocess(grey, preset);
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', pixels, [1, 3, preset.size, preset.size]) });
    const logits = out[s.outputNames[0]].data as Float32Array;
    return {
      modelName: v.modelName,
      modelVersion: v.version,
      scores: v.labels.map((label, c) => ({ label, probability: 1 / (1 + Math.exp(-logits[c])) })),
      timing: { decodeMs: 0, preprocessMs: 0, queueMs: 0, computeMs: 0, totalMs: 0, batchSize: 1 },
    };
  };
  return Object.assign(fn, { calls });
}

/** Registers a tiny ViT with generated weights (vit-tiny-test, 16 px) under `name`. */
export async function registerTinyModel(store: Store, name: string, seed: number, labels = LABELS): Promise<ModelVersionRecord> {
  const dir = store.createStagingDir('fixture');
  const file = join(dir, 'tiny.safetensors');
  writeFileAtomic(file, tinyCheckpoint(labels.length, seed));
  return importInWorker({ modelName: name, source: { path: file }, labels, keepHead: true, initKind: 'random', serve: true }, store);
}

export interface GeneratedDataset {
  manifest: string;
  /** Truth per label per test row, in manifest order. */
  testRows: number;
}

/**
 * Grey PNGs whose brightness follows the first label, so scores and labels are related, plus a
 * manifest with a train and a test split. `brokenRow` (1-based data row) gets bytes that are not
 * an image.
 */
export async function writeDataset(root: string, dir: string, opts: { rows: number; seed: number; brokenRow?: number }): Promise<GeneratedDataset> {
  mkdirSync(join(root, dir), { recursive: true });
  let state = opts.seed * 2654435761 + 1;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const lines = [['path', 'split', ...LABELS, 'Notes'].join(',')];
  let testRows = 0;
  for (let r = 1; r <= opts.rows; r++) {
    const split = r % 4 === 0 ? 'train' : 'test';
    if (split === 'test') testRows++;
    // Labels: both classes guaranteed in the test split by alternating the first two rows.
    const y = LABELS.map((_, l) => (r <= 6 ? (r + l) % 2 : rand() < 0.4 ? 1 : 0));
    const file = `${dir}/img-${r}.png`;
    if (r === opts.brokenRow) {
      writeFileSync(join(root, file), Buffer.from('this is not an image'));
    } else {
      const base = y[0] ? 170 : 80;
      const px = Buffer.alloc(24 * 24);
      for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(base + (rand() - 0.5) * 120 + (i % 24) * 2)));
      writeFileSync(join(root, file), await sharp(px, { raw: { width: 24, height: 24, channels: 1 } }).png().toBuffer());
    }
    lines.push([file, split, ...y, 'free text'].join(','));
  }
  const manifest = `${dir}/manifest.csv`;
  writeFileSync(join(root, manifest), lines.join('\n') + '\n');
  return { manifest, testRows };
}
