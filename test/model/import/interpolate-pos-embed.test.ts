import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolatePosEmbed, resampleGrid, PosEmbedConvention } from '../../../src/model/import/interpolate-pos-embed';
import { seededUniform } from '../../../src/model/import/head-init';
import { reference } from './bicubic-reference';

function randomGrid(G: number, D: number, seed: number): Float32Array {
  const u = seededUniform(seed);
  return Float32Array.from({ length: G * G * D }, () => 2 * u() - 1);
}

test('every convention matches the independent 2-D reference (down- and upsampling)', () => {
  const cases: [PosEmbedConvention, number, number][] = [
    ['dinov2-hub', 37, 16], ['hf', 37, 16], ['timm', 37, 16],
    ['dinov2-hub', 4, 6], ['hf', 4, 6], ['timm', 4, 6],
    ['hf', 8, 5], ['timm', 7, 5], ['dinov2-hub', 7, 5],
  ];
  for (const [conv, G, g] of cases) {
    const D = 3;
    const grid = randomGrid(G, D, G * 100 + g);
    const got = resampleGrid(grid, G, g, D, conv);
    const want = reference(Float64Array.from(grid), G, g, D, conv);
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
    assert.ok(max < 2e-6, `${conv} ${G}->${g}: max abs diff ${max}`);
  }
});

test('the conventions really differ (hub scale factor vs exact size vs antialias) on the DINOv2 37->16 case', () => {
  const grid = randomGrid(37, 2, 5);
  const hub = resampleGrid(grid, 37, 16, 2, 'dinov2-hub');
  const hf = resampleGrid(grid, 37, 16, 2, 'hf');
  const timm = resampleGrid(grid, 37, 16, 2, 'timm');
  const diff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  assert.ok(diff(hub, hf) > 1e-3, `hub vs hf ${diff(hub, hf)}`);
  assert.ok(diff(hf, timm) > 1e-3, `hf vs timm ${diff(hf, timm)}`);
});

test('constant fields stay constant; the CLS position is copied; same grid is a no-op', () => {
  for (const conv of ['dinov2-hub', 'hf', 'timm'] as const) {
    const out = resampleGrid(new Float32Array(6 * 6 * 2).fill(0.75), 6, 4, 2, conv);
    for (const v of out) assert.ok(Math.abs(v - 0.75) < 1e-6, `${conv} ${v}`);
  }
  const D = 2;
  const pos = { shape: [1, 1 + 36, D], data: Float32Array.from({ length: 37 * D }, (_, i) => i), sourceDtype: 'F32' };
  const r = interpolatePosEmbed(pos, 4, 'hf');
  assert.deepEqual(r.shape, [1, 17, D]);
  assert.deepEqual([...r.data.subarray(0, D)], [0, 1]);
  assert.equal(interpolatePosEmbed(pos, 6, 'hf'), pos);
  assert.throws(() => interpolatePosEmbed({ shape: [1, 11, D], data: new Float32Array(22), sourceDtype: 'F32' }, 4, 'hf'), /not a square grid/);
});
