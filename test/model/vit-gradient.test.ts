import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vitPreset } from '../../src/model/vit-description';
import { checkVitGradients } from '../../src/model/vit-gradient-check';
import { randomWeights } from './vit-fixtures';

// Erf runs in float32 inside float64 graphs (no ORT CPU kernel): its rounding (~6e-8) divided by
// 2*eps is finite-difference noise, so eps is 3e-3 (noise ~1e-6, truncation ~eps^2) and atol 1e-5;
// a wrong rule shows up at the size of the gradient itself (1e-3..1).
for (const [label, desc] of [
  ['LayerScale, CLS', vitPreset('vit-tiny-test', 3)],
  ['registers, mean pooling', vitPreset('vit-tiny-reg-test', 2)],
] as const) {
  test(`whole tiny ViT: gradients of every parameter match finite differences (${label})`, async () => {
    const r = await checkVitGradients(desc, randomWeights(desc, 9), { samplesPerInput: 3, eps: 3e-3, rtol: 1e-4, atol: 1e-5 });
    assert.ok(r.checked >= 3 * 30);
    assert.deepEqual(r.failures, [], `max abs error ${r.maxAbsError} ${JSON.stringify(r.failures.slice(0,8))}`);
  });
}
