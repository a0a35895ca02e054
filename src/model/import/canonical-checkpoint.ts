import type { VitDescription } from '../vit-description';
import { parameterShapes } from '../vit-description';
import { writeSafetensors } from './safetensors';
import { META_DESCRIPTION, META_INIT_KIND } from './import-model';

/**
 * Canonical weights as a safetensors file that carries its own ViT description (minus the label
 * count) and init kind, so importing it needs no architecture argument.
 */
export function canonicalCheckpoint(desc: VitDescription, weights: ReadonlyMap<string, Float32Array>, initKind: string): Uint8Array {
  const shapes = parameterShapes(desc);
  const tensors = new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }]));
  const { numLabels: _c, ...descNoLabels } = desc;
  return writeSafetensors(tensors, { [META_DESCRIPTION]: JSON.stringify(descNoLabels), [META_INIT_KIND]: initKind });
}
