import * as dicomParser from 'dicom-parser';
import { CxrError, invalidArgument } from '../../errors/cxr-error';
import { checkPixels, messageOf, toGrey } from '../raster-decode';
import type { DecodeLimits, GreyImage } from '../types';
import { endsWithEoi, readJ2kHeader, readJpegHeader, type CodestreamHeader } from './codestream-header';
import { parseDicomHeader, unsupportedTransferSyntax, type DicomImageHeader } from './dicom-header';
import { decodeJpegDct } from './jpeg-dct-decoder';
import { applyPixelPipeline } from './pixel-pipeline';
import { decodeRle } from './rle';
import { transferSyntaxFor, type TransferSyntax } from './transfer-syntax';
import { decodeWithWasm } from './wasm-codecs';
import { Decoder as LosslessJpegDecoder } from 'jpeg-lossless-decoder-js';

/** Stored pixel values of the first frame, before any LUT: what conformance tests compare. */
export interface StoredPixels {
  width: number;
  height: number;
  samplesPerPixel: number;
  /** Mono: one stored value per pixel (masked to Bits Stored, sign-extended when signed). Colour: interleaved samples. */
  values: Int32Array;
  header: DicomImageHeader;
  transferSyntax: TransferSyntax;
}

const MONO = new Set(['MONOCHROME1', 'MONOCHROME2']);
const COLOUR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT']);

export async function decodeDicom(bytes: Uint8Array, limits: DecodeLimits, voi: 'apply' | 'full-range'): Promise<GreyImage> {
  const sp = await decodeStoredDicom(bytes, limits);
  const h = sp.header;
  const format = `dicom-${sp.transferSyntax.label}`;
  if (sp.samplesPerPixel === 1) {
    const { data, range } = applyPixelPipeline(sp.values, h, voi);
    return { width: sp.width, height: sp.height, data, format, range };
  }
  // Colour radiographs (secondary captures): Y is luma already; RGB goes through BT.601.
  const yIsFirst = h.photometric.startsWith('YBR_FULL') && sp.transferSyntax.codec !== 'jpeg-8bit';
  const n = sp.width * sp.height;
  let data: Float32Array;
  if (yIsFirst) {
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = sp.values[3 * i];
  } else {
    data = toGrey(sp.values, n, 3);
  }
  return { width: sp.width, height: sp.height, data, format, range: { min: 0, max: 2 ** h.bitsStored - 1 } };
}

export async function decodeStoredDicom(bytes: Uint8Array, limits: DecodeLimits): Promise<StoredPixels> {
  const inflateCap = Math.max(limits.maxEncodedBytes, limits.maxPixels * 4) + (1 << 20);
  const { dataSet, header: h, pixelData } = parseDicomHeader(bytes, inflateCap);
  const ts = transferSyntaxFor(h.transferSyntaxUid);
  if (!ts) throw unsupportedTransferSyntax(h.transferSyntaxUid);
  validateHeader(h, limits);

  const frame = ts.encapsulated ? encapsulatedFirstFrame(dataSet, pixelData, h) : undefined;
  let values: Int32Array;
  try {
    values = await decodeFrame(ts, h, dataSet, pixelData, frame, limits);
  } catch (err) {
    if (err instanceof CxrError) throw err;
    // Codec errors are C++ exception pointers or wasm traps: say which codec, not the number.
    throw invalidArgument(`DICOM ${ts.label} frame could not be decoded${err instanceof Error ? `: ${err.message}` : ''}`, [{ field: 'data', description: 'corrupt compressed pixel data' }], err);
  }
  return { width: h.columns, height: h.rows, samplesPerPixel: h.samplesPerPixel, values, header: h, transferSyntax: ts };
}

function validateHeader(h: DicomImageHeader, limits: DecodeLimits): void {
  if (!(h.rows > 0 && h.columns > 0)) throw invalidArgument('DICOM Rows/Columns are missing or zero');
  checkPixels(h.columns, h.rows, limits);
  if (h.bitsAllocated !== 8 && h.bitsAllocated !== 16 && h.bitsAllocated !== 32) throw invalidArgument(`DICOM Bits Allocated ${h.bitsAllocated} is not supported (8, 16 or 32)`);
  if (!(h.bitsStored >= 1 && h.bitsStored <= h.bitsAllocated)) throw invalidArgument(`DICOM Bits Stored ${h.bitsStored} is invalid for Bits Allocated ${h.bitsAllocated}`);
  if (!(h.highBit >= h.bitsStored - 1 && h.highBit < h.bitsAllocated)) throw invalidArgument(`DICOM High Bit ${h.highBit} is invalid`);
  if (h.samplesPerPixel === 1) {
    if (!MONO.has(h.photometric)) throw invalidArgument(`DICOM Photometric Interpretation ${h.photometric} is not supported for one sample per pixel`);
  } else if (h.samplesPerPixel === 3) {
    if (!COLOUR.has(h.photometric)) throw invalidArgument(`DICOM Photometric Interpretation ${h.photometric} is not supported`);
  } else {
    throw invalidArgument(`DICOM Samples per Pixel ${h.samplesPerPixel} is not supported (1 or 3)`);
  }
  if (h.numberOfFrames > 1 && limits.multiFrame === 'reject') {
    throw invalidArgument(`DICOM object has ${h.numberOfFrames} frames; this service is configured to accept single-frame images only`, [{ field: 'data', description: 'send one frame per image' }]);
  }
}

function encapsulatedFirstFrame(ds: dicomParser.DataSet, el: dicomParser.Element, h: DicomImageHeader): Uint8Array {
  const fragments = el.fragments;
  if (!fragments || fragments.length === 0) throw invalidArgument('DICOM encapsulated Pixel Data has no fragments');
  try {
    if (h.numberOfFrames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
    if (el.basicOffsetTable && el.basicOffsetTable.length > 0) return dicomParser.readEncapsulatedImageFrame(ds, el, 0);
    if (fragments.length === h.numberOfFrames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, 1);
    const bot = dicomParser.createJPEGBasicOffsetTable(ds, el);
    return dicomParser.readEncapsulatedImageFrame(ds, el, 0, bot);
  } catch (err) {
    throw invalidArgument(`DICOM encapsulated Pixel Data is corrupt: ${messageOf(err)}`, [{ field: 'data', description: 'fragments or offset table out of range' }], err);
  }
}

/** The codestream must describe the image the DICOM header promises; anything else is refused before decoding. */
function checkCodestream(cs: CodestreamHeader, h: DicomImageHeader, limits: DecodeLimits): void {
  checkPixels(cs.width, cs.height, limits);
  if (cs.width !== h.columns || cs.height !== h.rows) {
    throw invalidArgument(`compressed frame is ${cs.width}x${cs.height} but DICOM Rows/Columns say ${h.columns}x${h.rows}`);
  }
  if (cs.components !== h.samplesPerPixel) throw invalidArgument(`compressed frame has ${cs.components} components, DICOM says ${h.samplesPerPixel}`);
}

async function decodeFrame(ts: TransferSyntax, h: DicomImageHeader, ds: dicomParser.DataSet, el: dicomParser.Element, frame: Uint8Array | undefined, limits: DecodeLimits): Promise<Int32Array> {
  const pixels = h.rows * h.columns;
  const spp = h.samplesPerPixel;
  const signed = h.pixelRepresentation === 1;
  switch (ts.codec) {
    case 'native': {
      const bytesPer = h.bitsAllocated / 8;
      const len = pixels * spp * bytesPer;
      if (el.length < len || el.dataOffset + len > ds.byteArray.length) {
        throw invalidArgument(`DICOM Pixel Data holds ${Math.min(el.length, ds.byteArray.length - el.dataOffset)} bytes, the first frame needs ${len}`, [{ field: 'data', description: 'truncated pixel data' }]);
      }
      const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + len);
      const shift = h.highBit + 1 - h.bitsStored;
      const v = readLittleEndian(raw, bytesPer, pixels * spp, shift);
      const planar = spp === 3 && h.planarConfiguration === 1 ? interleave(v, pixels) : v;
      return mask(planar, h.bitsStored, signed);
    }
    case 'rle': {
      const raw = decodeRle(frame!, h.rows, h.columns, spp, h.bitsAllocated);
      return mask(readLittleEndian(raw, h.bitsAllocated / 8, pixels * spp, 0), h.bitsStored, signed);
    }
    case 'jpeg-8bit':
    case 'jpeg-dct': {
      const cs = readJpegHeader(frame!);
      checkCodestream(cs, h, limits);
      if (cs.sof === 0xc3 || cs.sof === 0xf7) throw invalidArgument('JPEG frame is lossless/JPEG-LS but the transfer syntax says DCT');
      if (cs.precision === 8) {
        const d = await decodeWithWasm('jpeg-8bit', frame!);
        if (d.info.width !== h.columns || d.info.height !== h.rows) throw invalidArgument('JPEG frame decoded to unexpected dimensions');
        const n = pixels * d.info.componentCount;
        if (d.bytes.length < n) throw invalidArgument('JPEG frame decoded to too few samples');
        if (spp === 1 && d.info.componentCount !== 1) throw invalidArgument('JPEG frame has colour components but DICOM says one sample per pixel');
        return fit(Int32Array.from(d.bytes.subarray(0, n)), h.bitsStored, signed, signed ? 'mask' : 'clamp');
      }
      const d = decodeJpegDct(frame!);
      if (spp !== 1) throw invalidArgument('12-bit colour JPEG is not supported');
      return fit(Int32Array.from(d.data), h.bitsStored, signed, signed ? 'mask' : 'clamp');
    }
    case 'jpeg-lossless': {
      const cs = readJpegHeader(frame!);
      checkCodestream(cs, h, limits);
      if (cs.sof !== 0xc3) throw invalidArgument('JPEG Lossless frame does not carry a lossless (SOF3) frame header');
      const bytesPer = cs.precision > 8 ? 2 : 1;
      const dec = new LosslessJpegDecoder();
      // A fresh ArrayBuffer holding only this frame: the decoder reads .buffer from offset 0, and
      // Buffer#slice would share the whole file's memory.
      const copy = new Uint8Array(frame!.length);
      copy.set(frame!);
      const out = dec.decode(copy.buffer, 0, copy.length, bytesPer) as ArrayLike<number>;
      if (!out || out.length < pixels * spp) throw invalidArgument('JPEG Lossless frame decoded to too few samples');
      const arr = new Int32Array(pixels * spp);
      for (let i = 0; i < arr.length; i++) arr[i] = out[i];
      return mask(arr, h.bitsStored, signed);
    }
    case 'jpeg-ls': {
      const cs = readJpegHeader(frame!);
      checkCodestream(cs, h, limits);
      if (cs.sof !== 0xf7) throw invalidArgument('JPEG-LS frame has no JPEG-LS frame header (SOF55)');
      if (!endsWithEoi(frame!)) throw invalidArgument('JPEG-LS frame is truncated (no EOI marker at its end)', [{ field: 'data', description: 'incomplete compressed pixel data' }]);
      const d = await decodeWithWasm('jpeg-ls', frame!);
      return fit(samplesOf(d.bytes, d.info.bitsPerSample, false, pixels * spp), h.bitsStored, signed, signed ? 'mask' : 'clamp');
    }
    case 'j2k':
    case 'htj2k': {
      const cs = readJ2kHeader(frame!);
      checkCodestream(cs, h, limits);
      const d = await decodeWithWasm(ts.codec, frame!);
      if (d.info.width !== h.columns || d.info.height !== h.rows) throw invalidArgument('JPEG 2000 frame decoded to unexpected dimensions');
      const codecSigned = d.info.isSigned === true;
      return fit(samplesOf(d.bytes, d.info.bitsPerSample, codecSigned, pixels * spp), h.bitsStored, signed, signed && !codecSigned ? 'mask' : 'clamp');
    }
  }
}

function samplesOf(bytes: Uint8Array, bitsPerSample: number, isSigned: boolean, count: number): Int32Array {
  const per = bitsPerSample > 8 ? 2 : 1;
  if (bytes.length < count * per) throw invalidArgument(`decoded frame holds ${Math.floor(bytes.length / per)} samples, expected ${count}`);
  const out = new Int32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (per === 2) for (let i = 0; i < count; i++) out[i] = isSigned ? dv.getInt16(2 * i, true) : dv.getUint16(2 * i, true);
  else for (let i = 0; i < count; i++) out[i] = isSigned ? (bytes[i] << 24) >> 24 : bytes[i];
  return out;
}

function readLittleEndian(raw: Uint8Array, bytesPer: number, count: number, shift: number): Int32Array {
  const out = new Int32Array(count);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytesPer === 1) for (let i = 0; i < count; i++) out[i] = raw[i] >> shift;
  else if (bytesPer === 2) for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, true) >> shift;
  else for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, true) >>> shift;
  return out;
}

/**
 * 'mask' keeps the Bits Stored low bits (anything above is overlay or garbage) and sign-extends
 * signed data: right for bit patterns (native, RLE, lossless JPEG). 'clamp' is for values a lossy
 * codec produced: its ringing can overshoot the stored range, and masking would wrap a bright
 * overshoot to black.
 */
function fit(v: Int32Array, bitsStored: number, signed: boolean, mode: 'mask' | 'clamp'): Int32Array {
  if (mode === 'clamp') {
    const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
    const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
    for (let i = 0; i < v.length; i++) v[i] = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
    return v;
  }
  return mask(v, bitsStored, signed);
}

function mask(v: Int32Array, bitsStored: number, signed: boolean): Int32Array {
  if (bitsStored >= 32) return v;
  const m = bitsStored === 31 ? 0x7fffffff : (1 << bitsStored) - 1;
  const sign = 1 << (bitsStored - 1);
  for (let i = 0; i < v.length; i++) {
    let x = v[i] & m;
    if (signed && x & sign) x -= m + 1;
    v[i] = x;
  }
  return v;
}

function interleave(planar: Int32Array, pixels: number): Int32Array {
  const out = new Int32Array(planar.length);
  for (let i = 0; i < pixels; i++) {
    out[3 * i] = planar[i];
    out[3 * i + 1] = planar[pixels + i];
    out[3 * i + 2] = planar[2 * pixels + i];
  }
  return out;
}
