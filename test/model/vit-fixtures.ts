import { seededUniform } from '../../src/graph/gradient-check';
import { VitDescription, parameterShapes } from '../../src/model/vit-description';

/**
 * Weights large enough that every part of the model (LayerScale, registers, attention
 * pattern) visibly changes the output; initialWeights' tiny LayerScale would hide bugs.
 */
export function randomWeights(desc: VitDescription, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let k = 0;
  for (const [name, shape] of parameterShapes(desc)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length >= 2 ? n / shape[0]! : 1;
    const u = seededUniform(n, seed * 1000 + k++, -1, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (name.endsWith('norm1.weight') || name.endsWith('norm2.weight') || name === 'norm.weight') a[i] = 1 + 0.3 * u[i]!;
      else if (name.endsWith('.gamma')) a[i] = 0.5 + 0.4 * u[i]!;
      else if (name.endsWith('.weight')) a[i] = (1.5 * u[i]!) / Math.sqrt(fanIn);
      else a[i] = 0.3 * u[i]!;
    }
    out.set(name, a);
  }
  return out;
}
