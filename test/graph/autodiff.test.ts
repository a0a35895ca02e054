import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { gradients } from '../../src/graph/autodiff';
import { Graph } from '../../src/graph/graph';
import * as op from '../../src/graph/ops';
import { serializeModel } from '../../src/graph/serialize';

test('gradients through a symbolic batch: y = sum((x W + b)^2), checked against the closed form', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.input('w', 'float32', [3, 2]);
  const b = g.initializer('b', 'float32', [2], [0.5, -1]);
  const h = op.add(g, op.matMul(g, x, w), b);
  const loss = op.reduceSum(g, op.mul(g, h, h), [0, 1], false);
  const grads = gradients(g, loss, [w, b, h]);
  g.output(grads.get(w)!, 'dw');
  g.output(grads.get(b)!, 'db');
  g.output(grads.get(h)!, 'dh');
  const s = await ort.InferenceSession.create(serializeModel(g));
  const X = [1, 2, 3, -1, 0, 2];
  const W = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6];
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(X), [2, 3]), w: new ort.Tensor('float32', Float32Array.from(W), [3, 2]) });
  // dL/dh = 2h; dL/dW = X^T 2h; dL/db = sum_rows 2h.
  const H = [0, 1].map((r) => [0, 1].map((c) => X[r * 3]! * W[c]! + X[r * 3 + 1]! * W[2 + c]! + X[r * 3 + 2]! * W[4 + c]! + [0.5, -1][c]!));
  const dW: number[] = [];
  for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) dW.push(2 * (X[i]! * H[0]![c]! + X[3 + i]! * H[1]![c]!));
  const close = (got: ArrayLike<number>, want: number[]): void => want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-5, `${got[i]} vs ${v}`));
  close(out['dw']!.data as Float32Array, dW);
  close(out['db']!.data as Float32Array, [0, 1].map((c) => 2 * (H[0]![c]! + H[1]![c]!)));
  close(out['dh']!.data as Float32Array, H.flat().map((v) => 2 * v));
});

test('a custom seed scales the gradient', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2]);
  const y = op.mul(g, x, x);
  const seed = g.constant([3, -1], 'float32', [2]);
  g.output(gradients(g, y, [x], { seed }).get(x)!, 'dx');
  const s = await ort.InferenceSession.create(serializeModel(g));
  const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
  assert.deepEqual(Array.from(out['dx']!.data as Float32Array), [6, -4]);
});
