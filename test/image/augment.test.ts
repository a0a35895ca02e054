import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augment, seededRandom } from '../../src/image/augment';

const seq = (...v: number[]): (() => number) => { let i = 0; return () => v[i++ % v.length]; };
const S = 5;
const oneHot = (x: number, y: number): Float32Array => { const t = new Float32Array(3 * S * S); for (let c = 0; c < 3; c++) t[c * S * S + y * S + x] = 1; return t; };

test('flip only (p=1, no rotation) mirrors each row exactly, all channels', () => {
  const t = Float32Array.from({ length: 3 * S * S }, (_, i) => i);
  const out = augment(t, S, seq(0, 0.5), { flipProbability: 1, maxRotationDeg: 0 });
  for (let c = 0; c < 3; c++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    assert.equal(out[c * 25 + y * S + x], t[c * 25 + y * S + S - 1 - x]);
  }
  assert.deepEqual(augment(t, S, seq(0.99, 0.5), { flipProbability: 0.5, maxRotationDeg: 10 }), t, 'no flip, angle 0 -> identity');
});

test('positive angles rotate counter-clockwise (torchvision convention)', () => {
  // rng: 0.99 -> no flip; 1.0 -> angle +max = +90 degrees. The pixel at 3 o'clock moves to 12 o'clock.
  const out = augment(oneHot(4, 2), S, seq(0.99, 1), { flipProbability: 0.5, maxRotationDeg: 90 });
  assert.ok(Math.abs(out[0 * S + 2] - 1) < 1e-6, `top centre ${out[2]}`);
  assert.ok(Math.abs(out.slice(0, 25).reduce((a, b) => a + b, 0) - 1) < 1e-6);
});

test('outside the source is filled with 0 and the centre is kept', () => {
  const ones = new Float32Array(3 * 9 * 9).fill(1);
  const out = augment(ones, 9, seq(0.99, 1), { flipProbability: 0.5, maxRotationDeg: 45 });
  assert.equal(out[0], 0, 'corner');
  assert.ok(Math.abs(out[4 * 9 + 4] - 1) < 1e-6, 'centre');
});

test('seededRandom is reproducible, in [0, 1), and seeds differ', () => {
  const a = seededRandom(42), b = seededRandom(42), c = seededRandom(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
});
