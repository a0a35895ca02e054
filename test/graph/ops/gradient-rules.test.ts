// One finite-difference check per differentiable op (and per interesting broadcast/axis form),
// in float64 so the comparison is tight. The last test makes sure no rule in the table goes untested.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../../src/graph/graph';
import { checkGradients, Feed, seededUniform } from '../../../src/graph/gradient-check';
import * as op from '../../../src/graph/ops';
import { gradientRules } from '../../../src/graph/ops';
import { numel } from '../../../src/graph/shape';

interface Case {
  name: string;
  /** The ONNX ops whose rules this case exercises. */
  covers: string[];
  inputs: { shape: number[]; lo?: number; hi?: number }[];
  build: (g: Graph, xs: string[]) => string;
  eps?: number;
  rtol?: number;
}

const cases: Case[] = [
  { name: 'Add broadcast', covers: ['Add'], inputs: [{ shape: [2, 3, 4] }, { shape: [1, 3, 1] }], build: (g, [a, b]) => op.add(g, a!, b!) },
  { name: 'Add rank broadcast', covers: ['Add'], inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], build: (g, [a, b]) => op.add(g, a!, b!) },
  { name: 'Sub broadcast', covers: ['Sub'], inputs: [{ shape: [2, 3] }, { shape: [2, 1] }], build: (g, [a, b]) => op.sub(g, a!, b!) },
  { name: 'Mul broadcast', covers: ['Mul'], inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], build: (g, [a, b]) => op.mul(g, a!, b!) },
  { name: 'Div broadcast', covers: ['Div'], inputs: [{ shape: [2, 3] }, { shape: [3], lo: 0.5, hi: 2 }], build: (g, [a, b]) => op.div(g, a!, b!) },
  { name: 'Neg', covers: ['Neg'], inputs: [{ shape: [5] }], build: (g, [x]) => op.neg(g, x!) },
  { name: 'Sqrt', covers: ['Sqrt'], inputs: [{ shape: [5], lo: 0.5, hi: 2 }], build: (g, [x]) => op.sqrt(g, x!) },
  { name: 'Pow both inputs', covers: ['Pow'], inputs: [{ shape: [2, 3], lo: 0.5, hi: 2 }, { shape: [], lo: 1.5, hi: 3 }], build: (g, [x, p]) => op.pow(g, x!, p!) },
  { name: 'Exp', covers: ['Exp'], inputs: [{ shape: [5] }], build: (g, [x]) => op.exp(g, x!) },
  { name: 'Log', covers: ['Log'], inputs: [{ shape: [5], lo: 0.5, hi: 2 }], build: (g, [x]) => op.log(g, x!) },
  // float64 Erf runs as float32 inside (no ORT double kernel): looser tolerance.
  { name: 'Erf', covers: ['Erf', 'Cast'], inputs: [{ shape: [6], lo: -2, hi: 2 }], build: (g, [x]) => op.erf(g, x!), eps: 1e-3, rtol: 1e-3 },
  { name: 'Sigmoid', covers: ['Sigmoid'], inputs: [{ shape: [6], lo: -3, hi: 3 }], build: (g, [x]) => op.sigmoid(g, x!) },
  { name: 'Softplus', covers: ['Softplus'], inputs: [{ shape: [6], lo: -3, hi: 3 }], build: (g, [x]) => op.softplus(g, x!) },
  { name: 'Softmax last axis', covers: ['Softmax'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.softmax(g, x!, -1) },
  { name: 'Softmax axis 1', covers: ['Softmax'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.softmax(g, x!, 1) },
  { name: 'LayerNormalization', covers: ['LayerNormalization'], inputs: [{ shape: [2, 3, 5] }, { shape: [5] }, { shape: [5] }], build: (g, [x, s, b]) => op.layerNorm(g, x!, s!, b!, 1e-5) },
  { name: 'LayerNormalization axis 1', covers: ['LayerNormalization'], inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], build: (g, [x, s, b]) => op.layerNorm(g, x!, s!, b!, 1e-6, 1) },
  { name: 'MatMul shared weight', covers: ['MatMul'], inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (g, [a, b]) => op.matMul(g, a!, b!) },
  { name: 'MatMul batched', covers: ['MatMul'], inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }], build: (g, [a, b]) => op.matMul(g, a!, b!) },
  { name: 'MatMul broadcast A', covers: ['MatMul'], inputs: [{ shape: [3, 4] }, { shape: [2, 4, 5] }], build: (g, [a, b]) => op.matMul(g, a!, b!) },
  { name: 'Reshape', covers: ['Reshape'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.reshape(g, x!, [6, -1]) },
  { name: 'Transpose', covers: ['Transpose'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.transpose(g, x!, [2, 0, 1]) },
  { name: 'Concat', covers: ['Concat'], inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }, { shape: [2, 2, 3] }], build: (g, xs) => op.concat(g, xs, 1) },
  { name: 'Split, one piece unused', covers: ['Split'], inputs: [{ shape: [2, 7] }], build: (g, [x]) => { const [a, , c] = op.split(g, x!, 1, [2, 3, 2]); return op.concat(g, [c!, a!, c!], 1); } },
  { name: 'Slice', covers: ['Slice'], inputs: [{ shape: [3, 6] }], build: (g, [x]) => op.slice(g, x!, [1, -4], [3, 100], [0, 1]) },
  { name: 'Gather axis 1, repeated indices', covers: ['Gather'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.gather(g, x!, g.constant([0, 2, 0], 'int64', [3]), 1) },
  { name: 'Gather scalar index', covers: ['Gather'], inputs: [{ shape: [3, 4] }], build: (g, [x]) => op.gather(g, x!, g.constant([1], 'int64', []), 0) },
  { name: 'ReduceMean keepdims', covers: ['ReduceMean'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.reduceMean(g, x!, [1], true) },
  { name: 'ReduceMean drop dims', covers: ['ReduceMean'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.reduceMean(g, x!, [0, 2], false) },
  { name: 'ReduceSum drop dims', covers: ['ReduceSum'], inputs: [{ shape: [2, 3, 4] }], build: (g, [x]) => op.reduceSum(g, x!, [-1], false) },
  { name: 'Expand', covers: ['Expand'], inputs: [{ shape: [1, 3, 1] }], build: (g, [x]) => op.expand(g, x!, g.ints([2, 3, 4]), [2, 3, 4]) },
  { name: 'Unsqueeze', covers: ['Unsqueeze'], inputs: [{ shape: [2, 3] }], build: (g, [x]) => op.unsqueeze(g, x!, [0, 2]) },
  { name: 'Identity', covers: ['Identity'], inputs: [{ shape: [4] }], build: (g, [x]) => op.identity(g, x!) },
  { name: 'Cast float32 round trip', covers: ['Cast'], inputs: [{ shape: [4] }], build: (g, [x]) => op.cast(g, op.mul(g, op.cast(g, x!, 'float32'), g.constant([3], 'float32', [])), 'float64'), eps: 1e-2, rtol: 1e-5 },
  { name: 'Sum', covers: ['Sum'], inputs: [{ shape: [2, 3] }, { shape: [3] }], build: (g, [a, b]) => op.sum(g, [a!, b!, a!]) },
  { name: 'fan-out accumulates', covers: ['Mul', 'Add'], inputs: [{ shape: [5] }], build: (g, [x]) => op.add(g, op.mul(g, x!, x!), op.mul(g, x!, op.exp(g, x!))) },
];

for (const [k, c] of cases.entries()) {
  test(`gradient of ${c.name} matches finite differences`, async () => {
    const g = new Graph({ opset: 18 });
    const feeds: Record<string, Feed> = {};
    const xs = c.inputs.map((inp, i) => {
      const name = g.input(`x${i}`, 'float64', inp.shape);
      feeds[name] = { data: seededUniform(numel(inp.shape), 1000 * k + i, inp.lo ?? -1, inp.hi ?? 1), dims: inp.shape };
      return name;
    });
    const y = c.build(g, xs);
    // A random weighting makes every output element matter differently (a plain sum would hide some bugs).
    const ys = g.shape(y) as number[];
    const w = g.constant(seededUniform(numel(ys), 77 + k, -1, 1), 'float64', ys);
    const loss = op.reduceSum(g, op.mul(g, y, w), [...ys.keys()], false);
    const r = await checkGradients(g, ys.length ? loss : op.mul(g, y, w), xs, feeds, { eps: c.eps, rtol: c.rtol });
    assert.ok(r.checked > 0);
    assert.deepEqual(r.failures, [], `max abs error ${r.maxAbsError}`);
  });
}

test('every rule in the gradient table has a finite-difference case', () => {
  const covered = new Set(cases.flatMap((c) => c.covers));
  const missing = Object.keys(gradientRules).filter((k) => !covered.has(k));
  assert.deepEqual(missing, []);
});
