import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Graph } from '../../src/graph/graph';
import { serializeModel } from '../../src/graph/serialize';
import { ADAMW_FEEDS, adamWScalars, appendAdamWUpdate, appendGlobalNormClip } from '../../src/training/adamw';
import { adamWReference } from './adamw-reference';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2 * scale);
}

test('three AdamW steps in the graph match the float64 torch-semantics reference (preallocated fetches)', async () => {
  const cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };
  const n = 37;
  const g = new Graph({ name: 'adamw' });
  for (const x of ['p', 'g', 'm', 'v']) g.input(x, 'float32', [n]);
  const out = appendAdamWUpdate(g, cfg, 'p', 'g', 'm', 'v');
  g.output(out.param, 'p_out');
  g.output(out.m, 'm_out');
  g.output(out.v, 'v_out');
  const session = await ort.InferenceSession.create(serializeModel(g));
  let p: Float32Array = rand(n, 1);
  let m: Float32Array = new Float32Array(n);
  let v: Float32Array = new Float32Array(n);
  const rp = Float64Array.from(p), rm = new Float64Array(n), rv = new Float64Array(n);
  // Double buffers: feeding and fetching the same memory in one run is not safe.
  let pOut: Float32Array = new Float32Array(n), mOut: Float32Array = new Float32Array(n), vOut: Float32Array = new Float32Array(n);
  for (let step = 1; step <= 3; step++) {
    const grad = rand(n, 10 + step, step === 2 ? 1e-4 : 3); // include tiny gradients, where eps matters
    const lr = 1e-3 * step;
    const s = adamWScalars(cfg, lr, step);
    const scalar = (x: number) => new ort.Tensor('float32', new Float32Array([x]), []);
    const fetches = { p_out: new ort.Tensor('float32', pOut, [n]), m_out: new ort.Tensor('float32', mOut, [n]), v_out: new ort.Tensor('float32', vOut, [n]) };
    const res = await session.run({
      p: new ort.Tensor('float32', p, [n]), g: new ort.Tensor('float32', grad, [n]), m: new ort.Tensor('float32', m, [n]), v: new ort.Tensor('float32', v, [n]),
      [ADAMW_FEEDS.decay]: scalar(s.decay), [ADAMW_FEEDS.stepSize]: scalar(s.stepSize), [ADAMW_FEEDS.bc2Sqrt]: scalar(s.bc2Sqrt),
    }, fetches);
    // onnxruntime-node writes into the preallocated buffer (and also returns a copy).
    assert.deepEqual(res.p_out.data, pOut);
    adamWReference(rp, Float64Array.from(grad), rm, rv, { lr, ...cfg, step });
    [p, pOut] = [pOut, p];
    [m, mOut] = [mOut, m];
    [v, vOut] = [vOut, v];
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(p[i] - rp[i]) <= 1e-6 * Math.max(1, Math.abs(rp[i])), `step ${step} p[${i}] ${p[i]} vs ${rp[i]}`);
      assert.ok(Math.abs(m[i] - rm[i]) <= 1e-6 * Math.max(1e-3, Math.abs(rm[i])));
      assert.ok(Math.abs(v[i] - rv[i]) <= 1e-5 * Math.max(1e-6, Math.abs(rv[i])));
    }
  }
  await session.release();
});

test('global-norm clipping scales all gradients together as clip_grad_norm_', async () => {
  const g = new Graph({ name: 'clip' });
  g.input('a', 'float32', [3]);
  g.input('b', 'float32', [2]);
  const c = appendGlobalNormClip(g, ['a', 'b'], 1);
  g.output(c.grads[0], 'a_out');
  g.output(c.grads[1], 'b_out');
  g.output(c.norm, 'norm');
  const session = await ort.InferenceSession.create(serializeModel(g));
  const run = async (a: number[], b: number[]) => session.run({ a: new ort.Tensor('float32', Float32Array.from(a), [3]), b: new ort.Tensor('float32', Float32Array.from(b), [2]) });
  const big = await run([3, 0, 0], [0, 4]);
  assert.ok(Math.abs((big.norm.data as Float32Array)[0] - 5) < 1e-6);
  assert.ok(Math.abs((big.a_out.data as Float32Array)[0] - 0.6) < 1e-6);
  assert.ok(Math.abs((big.b_out.data as Float32Array)[1] - 0.8) < 1e-6);
  const small = await run([0.3, 0, 0], [0, 0.4]);
  assert.deepEqual([...(small.a_out.data as Float32Array)], [...Float32Array.from([0.3, 0, 0])]);
  await session.release();
});
