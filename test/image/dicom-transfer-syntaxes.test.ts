import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRadiograph, decodeStoredPixels } from '../../src/image/decode';
import { SUPPORTED_TRANSFER_SYNTAXES } from '../../src/image/dicom/transfer-syntax';
import { dcmtk, encodeHtj2k, encodeJ2k, encodeJpegLs } from './fixtures/encoders';
import { pixelBytes, writeDicom } from './fixtures/dicom-writer';
import { maxAbsDiff, samplePixels } from './fixtures/sample-image';

// Non-square so a transposed decode cannot pass.
const W = 72, H = 48;
const px12 = samplePixels(W, H, 12, 7);
const px8 = Uint8Array.from(samplePixels(W, H, 8, 7));
const native12 = writeDicom({ rows: H, columns: W, bitsStored: 12, pixelBytes: pixelBytes(px12, 16) });
const native8 = writeDicom({ rows: H, columns: W, bitsAllocated: 8, pixelBytes: px8 });
const encap = (ts: string, frame: Uint8Array, bits = 12): Buffer =>
  writeDicom({ rows: H, columns: W, bitsAllocated: bits > 8 ? 16 : 8, bitsStored: bits, transferSyntax: ts, fragments: [frame] });

interface Case { uid: string; make: () => Promise<Uint8Array> | Uint8Array; source: ArrayLike<number>; bound: number; reference?: () => Uint8Array }
const CASES: Case[] = [
  { uid: '1.2.840.10008.1.2', make: () => dcmtk('dcmconv', ['+ti'], native12), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.1', make: () => native12, source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.1.99', make: () => dcmtk('dcmconv', ['+td'], native12), source: px12, bound: 0 },
  // Lossy JPEG is compared with dcmtk's own decode (libijg): same maths, so within one grey level.
  { uid: '1.2.840.10008.1.2.4.50', make: () => dcmtk('dcmcjpeg', ['+eb', '+sr'], native8), source: px8, bound: 1, reference: () => dcmtk('dcmdjpeg', [], dcmtk('dcmcjpeg', ['+eb', '+sr'], native8)) },
  { uid: '1.2.840.10008.1.2.4.51', make: () => dcmtk('dcmcjpeg', ['+ee', '+sr'], native12), source: px12, bound: 1, reference: () => dcmtk('dcmdjpeg', [], dcmtk('dcmcjpeg', ['+ee', '+sr'], native12)) },
  { uid: '1.2.840.10008.1.2.4.57', make: () => dcmtk('dcmcjpeg', ['+el'], native12), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.4.70', make: () => dcmtk('dcmcjpeg', ['+e1'], native12), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.4.80', make: async () => encap('1.2.840.10008.1.2.4.80', await encodeJpegLs(px12, W, H, 12)), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.4.81', make: async () => encap('1.2.840.10008.1.2.4.81', await encodeJpegLs(px12, W, H, 12, 3)), source: px12, bound: 3 },
  { uid: '1.2.840.10008.1.2.4.90', make: async () => encap('1.2.840.10008.1.2.4.90', await encodeJ2k(px12, W, H, 12)), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.4.91', make: async () => encap('1.2.840.10008.1.2.4.91', await encodeJ2k(px12, W, H, 12, { lossyRatio: 20 })), source: px12, bound: 64 },
  { uid: '1.2.840.10008.1.2.4.201', make: async () => encap('1.2.840.10008.1.2.4.201', await encodeHtj2k(px12, W, H, 12)), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.4.202', make: async () => encap('1.2.840.10008.1.2.4.202', await encodeHtj2k(px12, W, H, 12)), source: px12, bound: 0 },
  { uid: '1.2.840.10008.1.2.4.203', make: async () => encap('1.2.840.10008.1.2.4.203', await encodeHtj2k(px12, W, H, 12, { lossyStep: 0.005 })), source: px12, bound: 64 },
  { uid: '1.2.840.10008.1.2.5', make: () => dcmtk('dcmcrle', [], native12), source: px12, bound: 0 },
];

test('every supported transfer syntax has a fixture here', () => {
  assert.deepEqual(CASES.map((c) => c.uid).sort(), SUPPORTED_TRANSFER_SYNTAXES.map((t) => t.uid).sort());
});

for (const c of CASES) {
  const ts = SUPPORTED_TRANSFER_SYNTAXES.find((t) => t.uid === c.uid)!;
  test(`decodes ${ts.label} (${c.uid}) ${c.bound === 0 ? 'bit-exact' : `within ${c.bound}`}`, async () => {
    const file = await c.make();
    const sp = await decodeStoredPixels(file);
    assert.equal(sp.transferSyntax.uid, c.uid, 'fixture carries the intended transfer syntax');
    assert.equal(sp.width, W);
    assert.equal(sp.height, H);
    const expected = c.reference ? (await decodeStoredPixels(c.reference())).values : c.source;
    const d = maxAbsDiff(sp.values, expected);
    if (c.bound === 0) assert.equal(d.max, 0, 'lossless decode must be bit-exact');
    else {
      assert.ok(d.max <= c.bound, `max diff ${d.max} over bound ${c.bound}`);
      const vsSource = maxAbsDiff(sp.values, c.source);
      assert.ok(vsSource.mean < (2 ** (c.source === px8 ? 8 : 12)) * 0.01, `mean diff to the source ${vsSource.mean} too large`);
    }
    const grey = await decodeRadiograph(file, 'dicom', { voi: 'full-range' });
    assert.equal(grey.format, `dicom-${ts.label}`);
    assert.equal(grey.data.length, W * H);
  });
}

test('unsupported transfer syntax -> INVALID_ARGUMENT naming the UID', async () => {
  const file = writeDicom({ rows: H, columns: W, transferSyntax: '1.2.840.10008.1.2.4.100', pixelBytes: pixelBytes(px12, 16) });
  await assert.rejects(decodeRadiograph(file, 'auto', { voi: 'apply' }), (e: { code: string; message: string }) => {
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /1\.2\.840\.10008\.1\.2\.4\.100/);
    return true;
  });
});

test('a data set without the Part 10 preamble (implicit VR) is decoded', async () => {
  const raw = writeDicom({ rows: H, columns: W, bitsStored: 12, transferSyntax: '1.2.840.10008.1.2', raw: true, pixelBytes: pixelBytes(px12, 16) });
  const sp = await decodeStoredPixels(raw);
  assert.equal(maxAbsDiff(sp.values, px12).max, 0);
  assert.equal((await decodeRadiograph(raw, 'auto', { voi: 'apply' })).format, 'dicom-implicit-le');
});

test('multi-frame: first frame by default, refused when configured', async () => {
  const second = px12.map((v) => 4095 - v);
  const file = writeDicom({ rows: H, columns: W, bitsStored: 12, frames: 2, pixelBytes: pixelBytes([...px12, ...second], 16) });
  assert.equal(maxAbsDiff((await decodeStoredPixels(file)).values, px12).max, 0);
  await assert.rejects(decodeRadiograph(file, 'dicom', { voi: 'apply', limits: { multiFrame: 'reject' } }), /2 frames/);
  const j2kFrames = [await encodeJ2k(px12, W, H, 12), await encodeJ2k(Uint16Array.from(second), W, H, 12)];
  const enc = writeDicom({ rows: H, columns: W, bitsStored: 12, frames: 2, transferSyntax: '1.2.840.10008.1.2.4.90', fragments: j2kFrames });
  assert.equal(maxAbsDiff((await decodeStoredPixels(enc)).values, px12).max, 0);
});

test('signed 16-bit data is sign-extended from Bits Stored', async () => {
  const values = Int16Array.from(px12, (v) => v - 2048);
  const file = writeDicom({ rows: H, columns: W, bitsStored: 12, pixelRepresentation: 1, pixelBytes: pixelBytes(values, 16) });
  assert.equal(maxAbsDiff((await decodeStoredPixels(file)).values, values).max, 0);
  const jls = writeDicom({ rows: H, columns: W, bitsStored: 12, pixelRepresentation: 1, transferSyntax: '1.2.840.10008.1.2.4.80', fragments: [await encodeJpegLs(Uint16Array.from(values, (v) => v & 0xfff), W, H, 12)] });
  assert.equal(maxAbsDiff((await decodeStoredPixels(jls)).values, values).max, 0);
});

test('bits above Bits Stored (overlay bits) are masked off', async () => {
  const dirty = Uint16Array.from(px12, (v) => v | 0x8000);
  const file = writeDicom({ rows: H, columns: W, bitsStored: 12, pixelBytes: pixelBytes(dirty, 16) });
  assert.equal(maxAbsDiff((await decodeStoredPixels(file)).values, px12).max, 0);
});

test('big endian (retired) is refused by UID before its data set is parsed', async () => {
  const file = writeDicom({ rows: H, columns: W, transferSyntax: '1.2.840.10008.1.2.2', pixelBytes: pixelBytes(px12, 16) });
  await assert.rejects(decodeRadiograph(file, 'dicom', { voi: 'apply' }), /transfer syntax 1\.2\.840\.10008\.1\.2\.2 is not supported/);
});
