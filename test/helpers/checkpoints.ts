import { vitPreset, initialWeights, type VitPresetName, type VitDescription } from '../../src/model/vit-description';
import { canonicalCheckpoint } from '../../src/model/import/canonical-checkpoint';

/** A tiny canonical checkpoint (safetensors carrying its description) with generated weights. */
export function tinyCheckpoint(labels: number, seed = 1, preset: VitPresetName = 'vit-tiny-test', overrides: Partial<VitDescription> = {}): Uint8Array {
  const desc = vitPreset(preset, labels, overrides);
  return canonicalCheckpoint(desc, initialWeights(desc, seed), 'random');
}
