import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { gradients } from '../../src/graph/autodiff';
import { Graph } from '../../src/graph/graph';
import * as op from '../../src/graph/ops';
import { irVersionFor, saveModel, serializeModel } from '../../src/graph/serialize';

function linearGraph(opset = 17): Graph {
  const g = new Graph({ opset });
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('w', 'float32', [3, 600], Float32Array.from({ length: 1800 }, (_, i) => (i % 7) - 3));
  g.output(op.reduceMean(g, op.matMul(g, x, w), [1], false), 'y');
  return g;
}

test('serialised graph runs in onnxruntime with a symbolic batch dim', async () => {
  const s = await ort.InferenceSession.create(serializeModel(linearGraph()));
  const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 0, 0, 0, 1, 2]), [2, 3]) });
  // Row means of w: row0 mean over (i%7)-3 for i<600, computed independently here.
  const rowMean = (r: number): number => {
    let t = 0;
    for (let j = 0; j < 600; j++) t += ((r * 600 + j) % 7) - 3;
    return t / 600;
  };
  const y = out['y']!.data as Float32Array;
  assert.ok(Math.abs(y[0]! - rowMean(0)) < 1e-5);
  assert.ok(Math.abs(y[1]! - (rowMean(1) + 2 * rowMean(2))) < 1e-5);
  assert.deepEqual(out['y']!.dims, [2]);
});

test('opset 18 and 23 graphs load (IR version follows the opset)', async () => {
  assert.equal(irVersionFor(17), 8);
  assert.equal(irVersionFor(23), 11);
  for (const opset of [18, 23]) {
    const s = await ort.InferenceSession.create(serializeModel(linearGraph(opset)));
    assert.deepEqual(s.outputNames, ['y']);
  }
  assert.throws(() => new Graph({ opset: 12 }), /opset 12/);
});

test('external data: weights go to a .data file the runtime resolves by path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-ext-'));
  try {
    const g = linearGraph();
    const paths = saveModel(g, join(dir, 'm.onnx'), { externalData: true });
    assert.equal(paths.length, 2);
    assert.ok(statSync(paths[1]!).size >= 1800 * 4);
    assert.ok(statSync(paths[0]!).size < 1000, 'weights must not be inline');
    const s = await ort.InferenceSession.create(paths[0]!);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([0, 1, 0]), [1, 3]) });
    const inline = await ort.InferenceSession.create(serializeModel(g));
    const ref = await inline.run({ x: new ort.Tensor('float32', new Float32Array([0, 1, 0]), [1, 3]) });
    assert.deepEqual(out['y']!.data, ref['y']!.data);
    assert.deepEqual(readdirSync(dir).sort(), ['m.onnx', 'm.onnx.data']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('com.microsoft ops add their opset import', async () => {
  const g = new Graph();
  const q = g.input('q', 'float32', [1, 4, 8]);
  g.output(op.multiHeadAttention(g, q, q, q, '', 2), 'y');
  assert.equal(g.domains.get('com.microsoft'), 1);
  const s = await ort.InferenceSession.create(serializeModel(g));
  const out = await s.run({ q: new ort.Tensor('float32', new Float32Array(32).fill(0.5), [1, 4, 8]) });
  assert.deepEqual(out['y']!.dims, [1, 4, 8]);
});

test('bad graphs are rejected with a clear INVALID_ARGUMENT', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3]);
  assert.throws(() => op.matMul(g, x, x), /inner dims differ/);
  assert.throws(() => op.add(g, x, g.input('z', 'float32', [4])), /do not broadcast/);
  assert.throws(() => g.input('x', 'float32', [1]), /defined twice/);
  assert.throws(() => g.initializer('w', 'float32', [2], new Float32Array(3)), /do not fit/);
  assert.throws(() => serializeModel(new Graph()), /no outputs/);
  assert.throws(() => op.attention(g, x, x, x, 1), /opset 23/);
});

test('autodiff refuses non-differentiable ops on the path and gives zeros off the path', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 4, 8]);
  const unused = g.input('u', 'float32', [3]);
  const y = op.multiHeadAttention(g, x, x, x, '', 2);
  assert.throws(() => gradients(g, op.reduceSum(g, y, [0, 1, 2]), [x]), /no gradient rule for com.microsoft:MultiHeadAttention/);
  const g2 = new Graph();
  const a = g2.input('a', 'float32', [3]);
  const b = g2.input('b', 'float32', [3]);
  const grads = gradients(g2, op.reduceSum(g2, op.mul(g2, a, a), [0]), [a, b]);
  g2.output(grads.get(b)!, 'gb');
  const s = await ort.InferenceSession.create(serializeModel(g2));
  const out = await s.run({ a: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]), b: new ort.Tensor('float32', new Float32Array(3), [3]) });
  assert.deepEqual(Array.from(out['gb']!.data as Float32Array), [0, 0, 0]);
  void unused;
});
