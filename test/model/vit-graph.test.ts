import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { seededUniform } from '../../src/graph/gradient-check';
import { erf, referenceForward } from '../../src/model/reference-forward';
import { VitDescription, vitPreset } from '../../src/model/vit-description';
import { AttentionForm, buildInferenceGraph, buildInferenceModel } from '../../src/model/vit-graph';
import { randomWeights } from './vit-fixtures';

const configs: [string, VitDescription][] = [
  ['LayerScale, CLS pooling', vitPreset('vit-tiny-test', 3)],
  ['registers, mean pooling, no LayerScale', vitPreset('vit-tiny-reg-test', 2)],
  ['LayerScale + registers + CLS', vitPreset('vit-tiny-test', 4, { registerTokens: 1, depth: 1, mlpRatio: 3 })],
];
const forms: AttentionForm[] = ['plain', 'fused', 'fused-mha', 'onnx-attention'];

async function runModel(bytes: Uint8Array, pixels: Float32Array, batch: number, S: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const out = await s.run({ pixels: new ort.Tensor('float32', pixels, [batch, 3, S, S]) });
    return out['logits']!.data as Float32Array;
  } finally {
    await s.release();
  }
}

test('reference erf matches tabulated values', () => {
  // Abramowitz & Stegun table 7.1 / high-precision values.
  const table: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [2.7, 0.9998656672600594], [3.5, 0.9999992569016276]];
  for (const [x, v] of table) {
    assert.ok(Math.abs(erf(x) - v) < 1e-14, `erf(${x})=${erf(x)}`);
    assert.ok(Math.abs(erf(-x) + v) < 1e-14);
  }
});

for (const [label, desc] of configs) {
  for (const form of forms) {
    test(`ONNX Runtime matches the float64 reference (${label}, ${form} attention)`, async () => {
      const weights = randomWeights(desc, 3);
      const batch = 2;
      const S = desc.imageSize;
      const pixels = Float32Array.from(seededUniform(batch * 3 * S * S, 11, 0, 1));
      const got = await runModel(buildInferenceModel(desc, weights, { attention: form }), pixels, batch, S);
      const want = referenceForward(desc, weights, pixels, batch);
      assert.equal(got.length, batch * desc.numLabels);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      assert.ok(maxDiff < 1e-4, `max abs diff ${maxDiff}`);
      // The two images must differ (guards against a graph that ignores its input).
      assert.ok(Math.abs(want[0]! - want[desc.numLabels]!) > 1e-3);
    });
  }
}

test('a model built for a dynamic batch runs batch 1 and batch 3 consistently', async () => {
  const desc = vitPreset('vit-tiny-test', 2);
  const weights = randomWeights(desc, 5);
  const S = desc.imageSize;
  const bytes = buildInferenceModel(desc, weights, { attention: 'fused' });
  const three = Float32Array.from(seededUniform(3 * 3 * S * S, 4, 0, 1));
  const all = await runModel(bytes, three, 3, S);
  const second = await runModel(bytes, three.slice(3 * S * S, 6 * S * S), 1, S);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(all[2 + i]! - second[i]!) < 1e-5);
});

test('the float16 graph holds fp16 weights and keeps float32 pixels/logits', async () => {
  const desc = vitPreset('vit-tiny-test', 2);
  const weights = randomWeights(desc, 6);
  const g = buildInferenceGraph(desc, weights, { attention: 'plain', dtype: 'float16' });
  assert.equal(g.initializers.get('blocks.0.mlp.fc1.weight')!.dtype, 'float16');
  assert.equal(g.dtype('pixels'), 'float32');
  assert.equal(g.dtype('logits'), 'float32');
  const f16 = buildInferenceModel(desc, weights, { attention: 'plain', dtype: 'float16' });
  // logSeverityLevel 3: the CPU provider cannot constant-fold fp16 Adds and says so at warning level.
  const session = await ort.InferenceSession.create(f16, { logSeverityLevel: 3 });
  const S = desc.imageSize;
  const pixels = Float32Array.from(seededUniform(3 * S * S, 8, 0, 1));
  const out = await session.run({ pixels: new ort.Tensor('float32', pixels, [1, 3, S, S]) });
  assert.equal(out['logits']!.type, 'float32');
  const want = referenceForward(desc, weights, pixels, 1);
  const got = out['logits']!.data as Float32Array;
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 5e-2, `fp16 ${got[i]} vs ${want[i]}`);
});

test('wrong weights or pixels are rejected with INVALID_ARGUMENT naming the problem', () => {
  const desc = vitPreset('vit-tiny-test', 2);
  const weights = randomWeights(desc, 1);
  weights.set('blocks.0.attn.q.weight', new Float32Array(3));
  weights.delete('norm.bias');
  assert.throws(() => buildInferenceModel(desc, weights, { attention: 'plain' }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /blocks\.0\.attn\.q\.weight has 3 values/);
    assert.match(e.message, /norm\.bias missing/);
    return true;
  });
  assert.throws(() => vitPreset('vit-tiny-test', 2, { imageSize: 15 }), /not a multiple of patchSize/);
  assert.throws(() => vitPreset('vit-tiny-test', 0), /numLabels/);
});
