import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vitPreset, type VitDescription } from '../../src/model/vit-description';
import { buildInferenceModel } from '../../src/model/vit-graph';
import type { OperatingPointRecord } from '../../src/store/model-repository';
import { openStore, type Store } from '../../src/store/store';
import { RuntimeInferenceEngine, type RuntimeEngineOptions } from '../../src/runtime/inference-engine';
import { randomWeights } from '../model/vit-fixtures';

export const LABELS = ['Atelectasis', 'Cardiomegaly', 'Effusion'];

export function tinyDescription(): VitDescription {
  return vitPreset('vit-tiny-test', LABELS.length);
}

/** A temp data directory; `cleanup` removes it. */
export function tempStore(): { store: Store; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-runtime-'));
  const store = openStore(dir);
  return { store, cleanup: () => { store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Registers a tiny ViT with seeded weights. `graph: 'corrupt'` writes bytes ONNX Runtime rejects
 * (a version whose load must fail).
 */
export function registerTiny(store: Store, name: string, opts: { seed?: number; serve?: boolean; graph?: 'ok' | 'corrupt'; operatingPoints?: OperatingPointRecord[] } = {}): number {
  const desc = tinyDescription();
  const staging = store.createStagingDir('test');
  const bytes = opts.graph === 'corrupt' ? new Uint8Array([8, 7, 1, 2, 3, 0xff, 0xfe]) : buildInferenceModel(desc, randomWeights(desc, opts.seed ?? 1), { attention: 'plain' });
  writeFileSync(join(staging, 'model.onnx'), bytes);
  const rec = store.models.registerVersion({
    modelName: name,
    stagingDir: staging,
    serve: opts.serve,
    spec: {
      labels: LABELS, preprocessing: 'study-2024', imageSize: desc.imageSize, architecture: desc as unknown as Record<string, unknown>,
      architectureSummary: 'tiny test ViT', operatingPoints: opts.operatingPoints ?? [], usableAsInit: false, files: { graph: 'model.onnx' },
      provenance: { initKind: 'random', source: 'test', sha256: '', checkpointFormat: 'none', posEmbedInterpolation: 'none', headKept: true },
    },
  });
  return rec.version;
}

/** Deterministic image tensor [3,S,S] in [0,1). */
export function imageTensor(seed: number, size = tinyDescription().imageSize): Float32Array {
  const t = new Float32Array(3 * size * size);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < t.length; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    t[i] = x / 4294967296;
  }
  return t;
}

export const tensorBytes = (t: Float32Array): Uint8Array => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);

export function engine(store: Store, overrides: Partial<RuntimeEngineOptions> = {}): RuntimeInferenceEngine {
  return new RuntimeInferenceEngine({
    store, workers: 2, intraOpThreads: 1, executionProvider: 'cpu', cores: 2,
    batching: { maxBatchSize: 8, maxQueueDelayMs: 2, maxQueueSize: 256 }, allowFaultInjection: true,
    ...overrides,
  });
}
