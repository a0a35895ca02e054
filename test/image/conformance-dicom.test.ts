import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeRadiograph, decodeStoredPixels } from '../../src/image/decode';
import { preprocess, resolvePreset } from '../../src/image/preprocess';
import { dcmtk } from './fixtures/encoders';
import { maxAbsDiff } from './fixtures/sample-image';

const SHARED = resolve(__dirname, '../../../shared/testdata');
const DICOM = join(SHARED, 'dicom');
const CXR = join(SHARED, 'cxr');
const skip = existsSync(join(DICOM, 'manifest.json')) ? false : `conformance suite skipped: ${DICOM} not found (real test data lives in ../shared)`;
if (skip) console.log(skip);

const read = (f: string): Buffer => readFileSync(join(DICOM, f));
const hasDcmtk = (() => { try { execFileSync('dcmdjpeg', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();

test('manifest attributes match what the decoder reads', { skip }, async () => {
  const manifest = JSON.parse(readFileSync(join(DICOM, 'manifest.json'), 'utf8')) as { file: string; rows: number; cols: number; transferSyntax: string; photometric: string; bitsStored: number }[];
  for (const m of manifest) {
    const sp = await decodeStoredPixels(read(m.file));
    assert.deepEqual([sp.height, sp.width, sp.header.transferSyntaxUid, sp.header.photometric, sp.header.bitsStored], [m.rows, m.cols, m.transferSyntax, m.photometric, m.bitsStored], m.file);
  }
});

test('RG2 lossless variants are bit-exact against the uncompressed reference', { skip }, async () => {
  const ref = (await decodeStoredPixels(read('reference/RG2_UNC.dcm'))).values;
  for (const f of ['wg04_RG2_J2KR_CRhip.dcm', 'wg04_RG2_JLSL_CRhip.dcm', 'wg04_RG2_JPLL_CRhip.dcm', 'wg04_RG2_RLE_CRhip.dcm']) {
    const d = maxAbsDiff((await decodeStoredPixels(read(f))).values, ref);
    assert.equal(d.max, 0, f);
  }
});

test('RG2 lossy variants stay within stated bounds of the reference', { skip }, async () => {
  const ref = (await decodeStoredPixels(read('reference/RG2_UNC.dcm'))).values;
  // JPEG-LS near-lossless guarantees |error| <= NEAR, read from the stream's SOS.
  const jlsn = read('wg04_RG2_JLSN_CRhip.dcm');
  const sos = jlsn.indexOf(Buffer.from([0xff, 0xda]));
  const near = jlsn[sos + 2 + ((jlsn[sos + 2] << 8) | jlsn[sos + 3]) - 3];
  const dn = maxAbsDiff((await decodeStoredPixels(jlsn)).values, ref);
  console.log(`RG2 JLSN (NEAR=${near}): max diff ${dn.max}, mean ${dn.mean.toFixed(4)}`);
  assert.ok(near > 0 && dn.max <= near);
  // JPEG extended 12-bit lossy (~35:1): bound stated as mean <= 8 and max <= 128 grey levels of 1023.
  const jply = read('wg04_RG2_JPLY_CRhip.dcm');
  const ours = (await decodeStoredPixels(jply)).values;
  const dy = maxAbsDiff(ours, ref);
  console.log(`RG2 JPLY: max diff ${dy.max}, mean ${dy.mean.toFixed(4)}`);
  assert.ok(dy.mean <= 8 && dy.max <= 128);
  if (hasDcmtk) {
    // Against an independent 12-bit decoder (dcmtk/libijg12) the only difference is IDCT rounding.
    const theirs = (await decodeStoredPixels(dcmtk('dcmdjpeg', [], jply))).values;
    const dt = maxAbsDiff(ours, theirs);
    console.log(`RG2 JPLY vs dcmtk dcmdjpeg: max diff ${dt.max}, mean ${dt.mean.toFixed(4)}`);
    assert.ok(dt.max <= 1);
  }
});

test('stored pixels match the reference JSON (fo-dicom chest, pydicom tiny CR)', { skip }, async () => {
  for (const f of ['fodicom_CR-MONO1-10-chest.dcm', 'pydicom_dicomdirtests_CR1_6154_tiny.dcm']) {
    const expected = (JSON.parse(readFileSync(join(DICOM, 'reference', `${f}.pixel_array.json`), 'utf8')) as number[]).flat(3) as number[];
    const sp = await decodeStoredPixels(read(f));
    assert.equal(sp.values.length, expected.length, f);
    assert.equal(maxAbsDiff(sp.values, expected).max, 0, f);
  }
});

test('rescale slope/intercept is applied (pydicom tiny CR: 0.684 / 200, MONOCHROME1)', { skip }, async () => {
  const f = read('pydicom_dicomdirtests_CR1_6154_tiny.dcm');
  const stored = (await decodeStoredPixels(f)).values;
  const img = await decodeRadiograph(f, 'dicom', { voi: 'full-range' });
  const lo = 200, hi = 4095 * 0.684 + 200; // 12-bit unsigned stored range through the rescale
  assert.deepEqual(img.range, { min: lo, max: hi });
  stored.forEach((v, i) => assert.ok(Math.abs(img.data[i] - (lo + hi - (v * 0.684 + 200))) < 1e-2, `pixel ${i}`));
});

test('MONOCHROME1 twin: its model input is the MONOCHROME2 original inverted, exactly', { skip }, async () => {
  // The twin carries the same stored pixels with only (0028,0004) changed, so decoding it must give
  // exactly the MONOCHROME2 image inverted over the 8-bit range, through every preset.
  const mono2 = await decodeRadiograph(read('txv_SIIM_chestCR_JPEGBaseline8.dcm'), 'dicom', { voi: 'full-range' });
  const mono1 = await decodeRadiograph(read('txv_Fake_MONOHR1_chestCR_JPEGBaseline8.dcm'), 'dicom', { voi: 'full-range' });
  const inverted = { ...mono2, data: mono2.data.map((v) => 255 - v) };
  for (const name of ['study-2024', 'imagenet', 'xrv']) {
    const p = resolvePreset(name);
    const d = maxAbsDiff(preprocess(mono1, p), preprocess(inverted, p));
    console.log(`MONOCHROME1 twin (${name}): max diff ${d.max}`);
    assert.equal(d.max, 0, name);
  }
  assert.ok(maxAbsDiff(preprocess(mono1, resolvePreset('study-2024')), preprocess(mono2, resolvePreset('study-2024'))).max > 0.5, 'inversion happened');
});

test('LUT-sequence and tiny JPEG objects decode to finite model input', { skip }, async () => {
  for (const f of ['pydicom_mlut_18_ModalityLUTSeq.dcm', 'pydicom_vlut_04_VOILUTSeq.dcm', 'pylibjpeg_JPEGBaseline_1s_1f_u_08_08.dcm']) {
    for (const name of ['study-2024', 'xrv']) {
      const p = resolvePreset(name);
      const t = preprocess(await decodeRadiograph(read(f), 'auto', { voi: p.voi }), p);
      assert.ok(t.every(Number.isFinite), `${f} ${name}`);
    }
  }
  const vlut = await decodeRadiograph(read('pydicom_vlut_04_VOILUTSeq.dcm'), 'dicom', { voi: 'apply' });
  assert.deepEqual(vlut.range, { min: 0, max: 1 }, 'VOI LUT applied');
});

test('real chest radiograph PNG/JPEGs decode', { skip: existsSync(CXR) ? false : `real CXR images skipped: ${CXR} not found` }, async () => {
  const files = [
    ...readdirSync(join(CXR, 'figure1', 'images')).map((f) => join(CXR, 'figure1', 'images', f)),
    ...readdirSync(join(CXR, 'torchxrayvision-samples')).filter((f) => /\.(png|jpe?g)$/i.test(f)).map((f) => join(CXR, 'torchxrayvision-samples', f)),
  ];
  const formats: Record<string, number> = {};
  const preset = resolvePreset('study-2024');
  for (const f of files) {
    const img = await decodeRadiograph(readFileSync(f), 'auto', { voi: preset.voi });
    formats[img.format] = (formats[img.format] ?? 0) + 1;
    const t = preprocess(img, preset);
    assert.ok(t.every(Number.isFinite), f);
  }
  console.log(`real CXR: ${files.length} images, formats ${JSON.stringify(formats)}`);
  assert.ok(files.length > 0);
});
