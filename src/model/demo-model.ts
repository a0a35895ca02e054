import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { Store } from '../store/store';
import type { ModelVersionRecord } from '../store/model-repository';
import { vitPreset, initialWeights, type VitPresetName } from './vit-description';
import { writeFileAtomic } from '../store/atomic-file';
import { canonicalCheckpoint } from './import/canonical-checkpoint';
import { importInWorker } from './import/import-in-worker';
import { DEFAULT_FINDINGS } from './label-sets';

export const DEMO_MODEL_NAME = 'cxr-demo';

/**
 * Registers a randomly initialised ViT under DEMO_MODEL_NAME so that a fresh server answers
 * Predict out of the box. It goes through the ordinary import path (canonical safetensors), so
 * it is a model like any other; its probabilities mean nothing until it is fine-tuned.
 */
export async function registerDemoModel(store: Store, preset: VitPresetName = 'vit-s16', seed = 0): Promise<ModelVersionRecord> {
  const desc = vitPreset(preset, DEFAULT_FINDINGS.length);
  const dir = store.createStagingDir('demo');
  const file = join(dir, 'demo.safetensors');
  try {
    writeFileAtomic(file, canonicalCheckpoint(desc, initialWeights(desc, seed), 'random'));
    return await importInWorker(
      {
        modelName: DEMO_MODEL_NAME,
        description: `randomly initialised ${preset} (seed ${seed}) so Predict works out of the box; fine-tune or import real weights`,
        source: { path: file }, labels: [...DEFAULT_FINDINGS], preprocessing: 'study-2024', keepHead: true,
        initKind: 'random', serve: true,
      },
      store,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
