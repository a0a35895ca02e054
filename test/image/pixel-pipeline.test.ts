import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRadiograph } from '../../src/image/decode';
import { pixelBytes, writeDicom, type DicomSpec } from './fixtures/dicom-writer';

/** A 1-row DICOM of the given stored values, decoded through the whole pipeline. */
async function run(values: number[], spec: Partial<DicomSpec>, voi: 'apply' | 'full-range' = 'apply'): Promise<{ data: number[]; range?: { min: number; max: number } }> {
  const bits = spec.bitsAllocated ?? 16;
  const file = writeDicom({ rows: 1, columns: values.length, bitsStored: 12, ...spec, pixelBytes: pixelBytes(values, bits) });
  const img = await decodeRadiograph(file, 'dicom', { voi });
  return { data: Array.from(img.data), range: img.range };
}

function close(actual: number[], expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} != ${expected[i]}`));
}

test('rescale slope/intercept is applied (modality LUT) and sets the range', async () => {
  const r = await run([0, 100, 200, 4095], { rescaleSlope: 2, rescaleIntercept: -1000 }, 'full-range');
  close(r.data, [-1000, -800, -600, 7190]);
  assert.deepEqual(r.range, { min: -1000, max: 7190 });
});

test('window is applied after rescale, in rescaled units (LINEAR, PS3.3 C.11.2.1.2.1)', async () => {
  // stored 100 -> 200 after rescale; (200 - 199.5) / 100 + 0.5. Windowing stored values would give 0.
  const r = await run([100, 0, 300], { rescaleSlope: 2, rescaleIntercept: 0, windowCenter: [200], windowWidth: [101] });
  close(r.data, [0.505, 0, 1]);
});

test('LINEAR edges, LINEAR_EXACT and SIGMOID follow the standard formulas', async () => {
  // LINEAR c=100 w=51: x <= 74.5 -> 0, x > 124.5 -> 1
  close((await run([74, 75, 100, 124, 125], { windowCenter: [100], windowWidth: [51] })).data, [0, (75 - 99.5) / 50 + 0.5, (100 - 99.5) / 50 + 0.5, (124 - 99.5) / 50 + 0.5, 1]);
  close((await run([75, 100, 110, 126], { windowCenter: [100], windowWidth: [50], voiLutFunction: 'LINEAR_EXACT' })).data, [0, 0.5, 0.7, 1]);
  close((await run([100, 125], { windowCenter: [100], windowWidth: [100], voiLutFunction: 'SIGMOID' })).data, [0.5, 1 / (1 + Math.exp(-1))]);
});

test('multi-valued window: the first centre/width pair is used', async () => {
  close((await run([100], { windowCenter: [100, 500], windowWidth: [51, 2000] })).data, [(100 - 99.5) / 50 + 0.5]);
});

test("voi 'full-range' ignores the window", async () => {
  close((await run([7, 4000], { windowCenter: [100], windowWidth: [10] }, 'full-range')).data, [7, 4000]);
});

test('MONOCHROME1 is inverted within its range (full range and after VOI)', async () => {
  close((await run([0, 1000, 4095], { photometric: 'MONOCHROME1' }, 'full-range')).data, [4095, 3095, 0]);
  close((await run([75, 100], { photometric: 'MONOCHROME1', windowCenter: [100], windowWidth: [50], voiLutFunction: 'LINEAR_EXACT' })).data, [1, 0.5]);
});

test('Presentation LUT Shape INVERSE inverts MONOCHROME2, and never doubles MONOCHROME1 inversion', async () => {
  close((await run([0, 4095], { presentationLutShape: 'INVERSE' }, 'full-range')).data, [4095, 0]);
  close((await run([0, 4095], { photometric: 'MONOCHROME1', presentationLutShape: 'INVERSE' }, 'full-range')).data, [4095, 0]);
});

test('pixel padding value (and range limit) becomes the darkest real pixel', async () => {
  close((await run([0, 500, 900, 0], { pixelPaddingValue: 0 }, 'full-range')).data, [500, 500, 900, 500]);
  close((await run([4095, 10, 4090, 300], { pixelPaddingValue: 4095, pixelPaddingRangeLimit: 4090 }, 'full-range')).data, [10, 10, 10, 300]);
  // MONOCHROME1: padding is identified on stored values, then shown darkest after inversion.
  close((await run([4095, 100, 200], { photometric: 'MONOCHROME1', pixelPaddingValue: 4095 }, 'full-range')).data, [3895, 3995, 3895]);
});

test('Modality LUT Sequence replaces rescale; values outside the LUT clamp to its ends', async () => {
  const r = await run([5, 10, 11, 50], { rescaleSlope: 100, modalityLut: { firstMapped: 10, bits: 16, data: [100, 200, 300] } }, 'full-range');
  close(r.data, [100, 100, 200, 300]);
});

test('VOI LUT Sequence maps modality values to [0, 1] by its bit depth', async () => {
  close((await run([0, 1, 2, 3, 9], { voiLut: { firstMapped: 0, bits: 8, data: [0, 51, 102, 255] } })).data, [0, 0.2, 0.4, 1, 1]);
});

test('an unsupported VOI LUT Function is INVALID_ARGUMENT', async () => {
  await assert.rejects(run([1], { windowCenter: [1], windowWidth: [2], voiLutFunction: 'CUBIC' }), (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
});
