import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { decodeRadiograph } from '../../src/image/decode';
import { encodeJ2k } from './fixtures/encoders';
import { pixelBytes, writeDicom } from './fixtures/dicom-writer';
import { writePng } from './fixtures/png-writer';
import { samplePixels } from './fixtures/sample-image';

const invalid = (re: RegExp) => (e: { code: string; message: string }): boolean => e.code === 'INVALID_ARGUMENT' && re.test(e.message);

test('encoded size over maxEncodedBytes is refused before parsing', async () => {
  const png = writePng(10, 10, 0, 8, new Uint8Array(100));
  await assert.rejects(decodeRadiograph(png, 'png', { voi: 'apply', limits: { maxEncodedBytes: png.length - 1 } }), invalid(/over the limit/));
  await decodeRadiograph(png, 'png', { voi: 'apply', limits: { maxEncodedBytes: png.length } });
});

test('PNG decompression bomb: header dimensions are checked before any pixel is decoded', async () => {
  // IHDR claims 60000 x 60000 (3.6 Gpx) on a tiny file; the IDAT is bogus and must never be reached.
  const png = Buffer.from(writePng(1, 1, 0, 8, [0]));
  png.writeUInt32BE(60000, 16);
  png.writeUInt32BE(60000, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  const t = Date.now();
  await assert.rejects(decodeRadiograph(png, 'png', { voi: 'apply' }), invalid(/over the limit of/));
  assert.ok(Date.now() - t < 5000, 'refused from the header, not by decoding');
});

test('DICOM Rows x Columns over maxPixels is refused before the frame is decoded', async () => {
  const file = writeDicom({ rows: 64, columns: 64, pixelBytes: new Uint8Array(2) });
  await assert.rejects(decodeRadiograph(file, 'dicom', { voi: 'apply', limits: { maxPixels: 64 * 64 - 1 } }), invalid(/over the limit/));
});

test('a codestream larger than the DICOM header says is refused (bomb inside the frame)', async () => {
  const big = samplePixels(256, 256, 12, 2);
  const frame = await encodeJ2k(big, 256, 256, 12);
  const lying = writeDicom({ rows: 32, columns: 32, bitsStored: 12, transferSyntax: '1.2.840.10008.1.2.4.90', fragments: [frame] });
  await assert.rejects(decodeRadiograph(lying, 'dicom', { voi: 'apply' }), invalid(/256x256 but DICOM Rows\/Columns say 32x32/));
  const honestHeader = writeDicom({ rows: 256, columns: 256, bitsStored: 12, transferSyntax: '1.2.840.10008.1.2.4.90', fragments: [frame] });
  await assert.rejects(decodeRadiograph(honestHeader, 'dicom', { voi: 'apply', limits: { maxPixels: 10_000 } }), invalid(/over the limit/));
});

test('truncated native pixel data is INVALID_ARGUMENT, not a short image', async () => {
  const file = writeDicom({ rows: 16, columns: 16, pixelBytes: pixelBytes(new Uint16Array(100), 16) });
  await assert.rejects(decodeRadiograph(file, 'dicom', { voi: 'apply' }), invalid(/needs 512/));
});

test('a deflated data set that inflates past the cap is refused', async () => {
  // 2 MiB of zeros deflate to a few KB; the cap is about 1 MiB at these limits.
  const file = writeDicom({ rows: 1024, columns: 1024, transferSyntax: '1.2.840.10008.1.2.1.99', pixelBytes: new Uint8Array(1024 * 1024 * 2) });
  await assert.rejects(decodeRadiograph(file, 'dicom', { voi: 'apply', limits: { maxEncodedBytes: 8192, maxPixels: 1000 } }), invalid(/inflated within/));
});

test('invalid limits are a programming error (RangeError), not a client error', async () => {
  await assert.rejects(decodeRadiograph(new Uint8Array(4), 'png', { voi: 'apply', limits: { maxPixels: -1 } }), RangeError);
});
