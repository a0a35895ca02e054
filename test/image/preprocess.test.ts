import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, preprocess, resolvePreset } from '../../src/image/preprocess';
import { resizeBilinear } from '../../src/image/resize';
import type { GreyImage } from '../../src/image/types';

const grey = (w: number, h: number, f: (x: number, y: number) => number, range?: { min: number; max: number }): GreyImage => {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data, format: 'png8', range };
};

test('resolvePreset: known names, size override, unknown name and bad size are INVALID_ARGUMENT', () => {
  assert.deepEqual(Object.keys(PRESETS).sort(), ['imagenet', 'study-2024', 'xrv']);
  assert.equal(resolvePreset('study-2024').size, 224);
  assert.equal(resolvePreset('study-2024', 512).size, 512);
  assert.equal(PRESETS['study-2024'].size, 224, 'override does not mutate the shared preset');
  for (const bad of [() => resolvePreset('nope'), () => resolvePreset('__proto__'), () => resolvePreset('xrv', 3), () => resolvePreset('xrv', 224.5)]) {
    assert.throws(bad, (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
  }
});

test('resize: identity at the same size, constants stay constant, a ramp keeps its sample positions', () => {
  const img = grey(7, 5, (x, y) => x * 10 + y);
  assert.deepEqual(Array.from(resizeBilinear(img.data, 7, 5, 7, 5)), Array.from(img.data));
  const c = resizeBilinear(new Float32Array(40 * 30).fill(3.5), 40, 30, 9, 13);
  assert.ok(c.every((v) => Math.abs(v - 3.5) < 1e-5));
  // Shrinking 32 -> 8 (scale 4): output o samples the input at (o + 0.5) * 4 - 0.5 where its taps are symmetric.
  const ramp = resizeBilinear(Float32Array.from({ length: 32 }, (_, x) => x), 32, 1, 8, 1);
  for (let o = 1; o < 7; o++) assert.ok(Math.abs(ramp[o] - ((o + 0.5) * 4 - 0.5)) < 1e-4, `ramp[${o}] = ${ramp[o]}`);
  // Shrinking averages (antialias): a 1-pixel checkerboard becomes flat grey, not aliased stripes.
  const cb = resizeBilinear(Float32Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) + Math.floor(i / 64)) % 2), 64, 64, 8, 8);
  assert.ok(cb.every((v) => Math.abs(v - 0.5) < 0.05));
});

test('study-2024: min-max, global histogram equalisation (skimage equalize_hist), 3 identical channels', () => {
  // Four levels, a quarter of the pixels each, size 16 = identity resize.
  const img = grey(16, 16, (x) => [10, 20, 30, 40][Math.floor(x / 4)]);
  const out = preprocess(img, resolvePreset('study-2024', 16));
  assert.equal(out.length, 3 * 16 * 16);
  // levels 0, 1/3, 2/3, 1 after min-max; CDF at their bins 0.25, 0.5, 0.75, 1; values are interpolated
  // between bin centres: 1/3 sits 0.8333 of the way from bin 84 (CDF 0.25) to bin 85 (CDF 0.5).
  const expected = [0.25, 0.25 + (256 / 3 - 0.5 - 84) * 0.25, 0.75, 1];
  for (let x = 0; x < 16; x++) assert.ok(Math.abs(out[x] - expected[Math.floor(x / 4)]) < 1e-5, `x=${x}: ${out[x]}`);
  const plane = 256;
  for (let i = 0; i < plane; i++) assert.ok(out[i] === out[plane + i] && out[i] === out[2 * plane + i]);
  assert.equal(resolvePreset('study-2024').voi, 'full-range');
});

test('imagenet: nominal range to [0,1], then per-channel mean/std', () => {
  const img = grey(16, 16, (x, y) => (x * 16 + y) % 256, { min: 0, max: 255 });
  const out = preprocess(img, resolvePreset('imagenet', 16));
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  for (let c = 0; c < 3; c++) for (const i of [0, 17, 255]) {
    const v = img.data[i] / 255;
    assert.ok(Math.abs(out[c * 256 + i] - (v - mean[c]) / std[c]) < 1e-5);
  }
});

test('xrv: nominal range mapped to [-1024, 1024]', () => {
  const img = grey(16, 16, (x) => x * 17, { min: 0, max: 255 });
  const out = preprocess(img, resolvePreset('xrv', 16));
  for (let x = 0; x < 16; x++) assert.ok(Math.abs(out[x] - ((x * 17) / 255) * 2048 + 1024) < 1e-3);
  // Without a nominal range the image's own min and max are used.
  const noRange = preprocess({ ...img, range: undefined, data: img.data.map((v) => v / 2) }, resolvePreset('xrv', 16));
  assert.ok(Math.abs(noRange[0] + 1024) < 1e-3 && Math.abs(noRange[15] - 1024) < 1e-3);
});

test('a flat image gives a defined tensor (no NaN)', () => {
  for (const name of Object.keys(PRESETS)) {
    const out = preprocess(grey(20, 10, () => 5), resolvePreset(name, 16));
    assert.ok(out.every(Number.isFinite), name);
  }
});
