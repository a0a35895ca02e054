import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../src/store/store';
import { readSafetensors } from '../../src/model/import/safetensors';
import { vitPreset, initialWeights, type VitPresetName, type VitDescription } from '../../src/model/vit-description';
import { canonicalCheckpoint } from '../../src/model/import/canonical-checkpoint';

/** A tiny canonical checkpoint (safetensors carrying its description) with generated weights. */
export function tinyCheckpoint(labels: number, seed = 1, preset: VitPresetName = 'vit-tiny-test', overrides: Partial<VitDescription> = {}): Uint8Array {
  const desc = vitPreset(preset, labels, overrides);
  return canonicalCheckpoint(desc, initialWeights(desc, seed), 'random');
}

/** The canonical weights a model's serving version stores (what training registered). */
export function storedWeights(store: Store, modelName: string): ReadonlyMap<string, { data: Float32Array }> {
  const v = store.models.resolve(modelName);
  return readSafetensors(readFileSync(join(v.dir, v.files.weights!))).tensors;
}

/** Two models' stored weights are equal tensor for tensor, bit for bit. */
export function assertSameWeights(store: Store, a: string, b: string): void {
  const wa = storedWeights(store, a);
  const wb = storedWeights(store, b);
  for (const [k, t] of wa) assert.deepEqual(wb.get(k)!.data, t.data, k);
}
