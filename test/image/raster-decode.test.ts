import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeRadiograph } from '../../src/image/decode';
import { writePng } from './fixtures/png-writer';
import { maxAbsDiff, samplePixels } from './fixtures/sample-image';

const W = 30, H = 20;
const g16 = samplePixels(W, H, 16, 3);
const g8 = Uint8Array.from(samplePixels(W, H, 8, 3));
const luma = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;
const rgb = (src: ArrayLike<number>, alpha?: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    out.push(src[i], (src[i] * 3) % 256, 255 - src[i]);
    if (alpha !== undefined) out.push(alpha);
  }
  return out;
};

test('16-bit grey PNG keeps every 16-bit value (no 8-bit round trip)', async () => {
  const img = await decodeRadiograph(writePng(W, H, 0, 16, g16), 'png', { voi: 'apply' });
  assert.equal(img.format, 'png16');
  assert.deepEqual([img.width, img.height], [W, H]);
  assert.equal(maxAbsDiff(img.data, g16).max, 0);
  assert.deepEqual(img.range, { min: 0, max: 65535 });
});

test('16-bit RGB PNG -> BT.601 luma of the 16-bit samples', async () => {
  const s: number[] = [];
  g16.forEach((v) => s.push(v, (v * 7) % 65536, 65535 - v));
  const img = await decodeRadiograph(writePng(W, H, 2, 16, s), 'auto', { voi: 'apply' });
  const expected = Array.from(g16, (_, i) => luma(s[3 * i], s[3 * i + 1], s[3 * i + 2]));
  assert.equal(img.format, 'png16');
  assert.ok(maxAbsDiff(img.data, Float32Array.from(expected)).max < 0.02);
});

test('8-bit grey, grey+alpha, RGB, RGBA and palette PNGs', async () => {
  const grey = await decodeRadiograph(writePng(W, H, 0, 8, g8), 'png', { voi: 'apply' });
  assert.equal(grey.format, 'png8');
  assert.equal(maxAbsDiff(grey.data, g8).max, 0);

  const ga: number[] = [];
  g8.forEach((v) => ga.push(v, 128));
  assert.equal(maxAbsDiff((await decodeRadiograph(writePng(W, H, 4, 8, ga), 'png', { voi: 'apply' })).data, g8).max, 0);

  const c = rgb(g8);
  const expected = Float32Array.from(g8, (_, i) => luma(c[3 * i], c[3 * i + 1], c[3 * i + 2]));
  assert.ok(maxAbsDiff((await decodeRadiograph(writePng(W, H, 2, 8, c), 'png', { voi: 'apply' })).data, expected).max < 1e-3);
  const ca = rgb(g8, 200);
  assert.ok(maxAbsDiff((await decodeRadiograph(writePng(W, H, 6, 8, ca), 'png', { voi: 'apply' })).data, expected).max < 1e-3);

  // Palette: index i -> (i, 255 - i, i / 2); 16 entries.
  const palette = Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 16, i * 8]);
  const idx = Array.from(g8, (v) => v >> 4);
  const pal = await decodeRadiograph(writePng(W, H, 3, 8, idx, palette), 'png', { voi: 'apply' });
  const pexp = Float32Array.from(idx, (i) => luma(palette[i][0], palette[i][1], palette[i][2]));
  assert.ok(maxAbsDiff(pal.data, pexp).max < 1e-3);
});

test('JPEG grey and RGB through sharp decode close to their source', async () => {
  const jg = await sharp(Buffer.from(g8), { raw: { width: W, height: H, channels: 1 } }).jpeg({ quality: 95 }).toBuffer();
  const img = await decodeRadiograph(jg, 'jpeg', { voi: 'apply' });
  assert.equal(img.format, 'jpeg');
  assert.ok(maxAbsDiff(img.data, g8).mean < 3);
  const c = Buffer.from(Array.from(g8).flatMap((v) => [v, v, v]));
  const jc = await sharp(c, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
  assert.ok(maxAbsDiff((await decodeRadiograph(jc, 'auto', { voi: 'apply' })).data, g8).mean < 3);
});

test('mislabelled, unknown and truncated inputs are INVALID_ARGUMENT', async () => {
  const png = writePng(W, H, 0, 8, g8);
  const isInvalid = (e: { code: string }): boolean => e.code === 'INVALID_ARGUMENT';
  await assert.rejects(decodeRadiograph(png, 'jpeg', { voi: 'apply' }), isInvalid);
  await assert.rejects(decodeRadiograph(png, 'dicom', { voi: 'apply' }), isInvalid);
  await assert.rejects(decodeRadiograph(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'auto', { voi: 'apply' }), isInvalid);
  await assert.rejects(decodeRadiograph(png.subarray(0, png.length - 30), 'png', { voi: 'apply' }), isInvalid);
  await assert.rejects(decodeRadiograph(new Uint8Array(0), 'auto', { voi: 'apply' }), isInvalid);
  await assert.rejects(decodeRadiograph(png, 'gif' as never, { voi: 'apply' }), isInvalid);
});
