import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Graph } from '../../src/graph/graph';
import { checkGradients, seededUniform } from '../../src/graph/gradient-check';
import { serializeModel } from '../../src/graph/serialize';
import { buildVitForward } from '../../src/model/vit-graph';
import { initialWeights } from '../../src/model/initial-weights';
import { parameterShapes, vitPreset } from '../../src/model/vit-description';
import { ADAMW_FEEDS, adamWScalars } from '../../src/training/adamw';
import { appendBceWithLogitsLoss } from '../../src/training/bce-loss';
import { buildTrainingGraph, names, parameterLookup } from '../../src/training/training-graph';
import { initialTrainableValues, trainableSet } from '../../src/training/trainable-parameters';
import type { TrainableScope } from '../../src/training/training-spec';
import { adamWReference } from './adamw-reference';

const desc = vitPreset('vit-tiny-test', 3);
const B = 2;
const posWeight = [2, 0.5, 1];
const pixels = seededUniform(B * 3 * 16 * 16, 11, 0, 1);
const targets = Float64Array.from([1, 0, 1, 0, 1, 0]);

/** Weights with non-trivial LayerScale/bias/token values so every gradient path carries signal. */
function weightsForCheck(): Map<string, Float32Array> {
  const w = initialWeights(desc, 5);
  let seed = 100;
  for (const [name, a] of w) {
    if (name.endsWith('.gamma') || name.endsWith('.bias') || name === 'cls_token') a.set(Float32Array.from(seededUniform(a.length, seed++, -0.5, 0.5)));
    if (name.endsWith('.weight') && !name.includes('norm')) a.set(Float32Array.from(seededUniform(a.length, seed++, -0.3, 0.3)));
  }
  return w;
}

async function gradCheck(scope: TrainableScope) {
  const weights = weightsForCheck();
  const set = trainableSet(desc, scope);
  const values = initialTrainableValues(set, weights, 3);
  // LoRA B starts at zero (so d/dA would be 0): give it values to make the check meaningful.
  for (const [n, v] of values) if (n.endsWith('lora_B')) v.set(Float32Array.from(seededUniform(v.length, 9, -0.2, 0.2)));
  const g = new Graph({ name: 'vit-gradcheck' });
  g.input('pixels', 'float64', [B, 3, 16, 16]);
  g.input('targets', 'float64', [B, 3]);
  const logits = buildVitForward(g, desc, parameterLookup(g, desc, weights, set, 'float64'), 'pixels', { attention: 'plain' });
  const loss = appendBceWithLogitsLoss(g, logits, 'targets', posWeight);
  const feeds: Record<string, { data: Float64Array; dims: number[] }> = {
    pixels: { data: pixels, dims: [B, 3, 16, 16] },
    targets: { data: targets, dims: [B, 3] },
  };
  for (const n of set.names) feeds[n] = { data: Float64Array.from(values.get(n)!), dims: set.shapes.get(n)! };
  const report = await checkGradients(g, loss, set.names, feeds, { samplesPerInput: 3, eps: 1e-3, rtol: 1e-3, atol: 5e-6 });
  return { report, set };
}

test('whole tiny ViT: gradients of every parameter match finite differences', async () => {
  const { report, set } = await gradCheck({ kind: 'full' });
  assert.equal(set.names.length, parameterShapes(desc).size);
  assert.ok(report.checked >= set.names.length * 1);
  assert.deepEqual(report.failures, []);
  // The check is not vacuous: every gradient is non-zero except the key biases, which softmax
  // cancels exactly (adding a constant to every score of a query changes nothing).
  const zero = [...report.analytic].filter(([, a]) => a.every((x) => Math.abs(x) < 1e-12)).map(([n]) => n);
  assert.deepEqual(zero, ['blocks.0.attn.k.bias', 'blocks.1.attn.k.bias']);
});

test('LoRA adapters (q/v) and head: gradients match finite differences', async () => {
  const { report, set } = await gradCheck({ kind: 'lora', rank: 2, alpha: 4 });
  assert.equal(set.names.length, desc.depth * 4 + 2);
  assert.deepEqual(report.failures, []);
});

test('one step of the training graph equals a float64 JS AdamW step on the graph gradients', async () => {
  const weights = weightsForCheck();
  const set = trainableSet(desc, { kind: 'lastBlocks', blocks: 1 });
  const cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  const params = initialTrainableValues(set, weights, 1);
  const common = { desc, weights, trainable: set, batchSize: B, posWeight, optimizer: cfg };
  const gradGraph = await ort.InferenceSession.create(serializeModel(buildTrainingGraph({ ...common, kind: 'accumulate' })));
  const stepGraph = await ort.InferenceSession.create(serializeModel(buildTrainingGraph(common)));
  const px = new ort.Tensor('float32', Float32Array.from(pixels), [B, 3, 16, 16]);
  const tg = new ort.Tensor('float32', Float32Array.from(targets), [B, 3]);
  const gradFeeds: Record<string, ort.Tensor> = { pixels: px, targets: tg };
  const stepFeeds: Record<string, ort.Tensor> = { pixels: px, targets: tg };
  // Non-zero moments as at step 3, so bias correction and both moment updates are exercised.
  const step = 3;
  const mInit = new Map<string, Float32Array>();
  const vInit = new Map<string, Float32Array>();
  let seed = 40;
  for (const n of set.names) {
    const shape = set.shapes.get(n)!;
    const len = params.get(n)!.length;
    mInit.set(n, Float32Array.from(seededUniform(len, seed++, -1e-3, 1e-3)));
    vInit.set(n, Float32Array.from(seededUniform(len, seed++, 0, 1e-5)));
    gradFeeds[n] = stepFeeds[n] = new ort.Tensor('float32', params.get(n)!, shape);
    gradFeeds[names.acc(n)] = new ort.Tensor('float32', new Float32Array(len), shape);
    stepFeeds[names.m(n)] = new ort.Tensor('float32', mInit.get(n)!, shape);
    stepFeeds[names.v(n)] = new ort.Tensor('float32', vInit.get(n)!, shape);
  }
  const lr = 3e-3;
  const s = adamWScalars(cfg, lr, step);
  stepFeeds[ADAMW_FEEDS.decay] = new ort.Tensor('float32', Float32Array.of(s.decay), []);
  stepFeeds[ADAMW_FEEDS.stepSize] = new ort.Tensor('float32', Float32Array.of(s.stepSize), []);
  stepFeeds[ADAMW_FEEDS.bc2Sqrt] = new ort.Tensor('float32', Float32Array.of(s.bc2Sqrt), []);
  const gradOut = await gradGraph.run(gradFeeds);
  const stepOut = await stepGraph.run(stepFeeds);
  assert.equal((gradOut.loss.data as Float32Array)[0], (stepOut.loss.data as Float32Array)[0]);
  let maxErr = 0;
  for (const n of set.names) {
    const p = Float64Array.from(params.get(n)!);
    const m = Float64Array.from(mInit.get(n)!);
    const v = Float64Array.from(vInit.get(n)!);
    adamWReference(p, Float64Array.from(gradOut[names.out(names.acc(n))].data as Float32Array), m, v, { lr, ...cfg, step });
    const got = stepOut[names.out(n)].data as Float32Array;
    for (let i = 0; i < p.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - p[i]) / (1e-3 + Math.abs(p[i])));
    const gm = stepOut[names.out(names.m(n))].data as Float32Array;
    for (let i = 0; i < m.length; i++) assert.ok(Math.abs(gm[i] - m[i]) <= 1e-6 * (1e-3 + Math.abs(m[i])) + 1e-9);
  }
  assert.ok(maxErr < 1e-4, `max relative error ${maxErr}`);
  // Frozen parameters are not graph inputs.
  assert.ok(!stepGraph.inputNames.includes('blocks.0.attn.q.weight'));
  assert.ok(stepGraph.inputNames.includes('blocks.1.attn.q.weight'));
});
