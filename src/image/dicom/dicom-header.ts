import { inflateRawSync } from 'node:zlib';
import * as dicomParser from 'dicom-parser';
import { CxrError, invalidArgument } from '../../errors/cxr-error';
import { messageOf } from '../raster-decode';
import { looksLikeDicom } from '../media-sniff';
import { transferSyntaxFor } from './transfer-syntax';

export function unsupportedTransferSyntax(uid: string): CxrError {
  return invalidArgument(`DICOM transfer syntax ${uid || '(missing)'} is not supported`, [
    { field: 'data', description: 'supported: uncompressed/deflated little endian, JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000, HTJ2K, RLE' },
  ]);
}

/**
 * The image-related attributes of a DICOM data set, and nothing else: patient and study tags are
 * never read here, so they cannot leak into errors, logs or traces from this module.
 */
export interface DicomImageHeader {
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  planarConfiguration: number;
  numberOfFrames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  modalityLut?: Lut;
  windows: { center: number; width: number }[];
  voiLutFunction: string;
  voiLut?: Lut;
  presentationLutShape?: string;
  pixelPaddingValue?: number;
  pixelPaddingRangeLimit?: number;
}

/** A DICOM LUT (PS3.3 C.11.1): entries map stored/modality values from firstMapped onwards. */
export interface Lut {
  firstMapped: number;
  bitsPerEntry: number;
  data: Int32Array;
}

export interface ParsedDicom {
  dataSet: dicomParser.DataSet;
  header: DicomImageHeader;
  pixelData: dicomParser.Element;
}

// Implicit VR carries no VR: tell the parser which tags are sequences so their items get parsed.
const IMPLICIT_VRS: Record<string, string> = { x00283000: 'SQ', x00283010: 'SQ', x00282110: 'CS' };

export function parseDicomHeader(bytes: Uint8Array, maxInflatedBytes: number): ParsedDicom {
  let dataSet: dicomParser.DataSet;
  const part10 = looksLikeDicom(bytes);
  // No Part 10 meta header: implicit VR unless the first element carries a VR (two capitals).
  const rawTs = part10 ? undefined : isUpper(bytes[4]) && isUpper(bytes[5]) ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2';
  try {
    if (part10) {
      // Refuse an unsupported transfer syntax from the meta header alone: parsing a big-endian
      // data set would only produce a confusing parser error.
      const uid = (dicomParser.readPart10Header(bytes).string('x00020010') ?? '').replace(/\0/g, '').trim();
      if (!transferSyntaxFor(uid)) throw unsupportedTransferSyntax(uid);
    }
    dataSet = dicomParser.parseDicom(bytes, {
      TransferSyntaxUID: rawTs,
      vrCallback: (tag: string) => IMPLICIT_VRS[tag],
      inflater: (arr: Uint8Array, position: number) => inflateBounded(arr, position, maxInflatedBytes),
    } as dicomParser.ParseDicomOptions);
  } catch (err) {
    // dicom-parser wraps failures as { exception, dataSet } and sometimes throws bare strings.
    const inner = typeof err === 'object' && err !== null && 'exception' in err ? (err as { exception: unknown }).exception : err;
    if (inner instanceof CxrError) throw inner;
    throw invalidArgument(`DICOM data set could not be parsed: ${messageOf(inner)}`, [{ field: 'data', description: 'corrupt or truncated DICOM Part 10 file' }], err);
  }
  const pixelData = dataSet.elements.x7fe00010 ?? dataSet.elements.x7fe00008 ?? dataSet.elements.x7fe00009;
  if (!pixelData) throw invalidArgument('DICOM object has no Pixel Data (7FE0,0010): not an image', [{ field: 'data', description: 'send an image object' }]);
  if (pixelData.tag !== 'x7fe00010') throw invalidArgument('DICOM float/double Pixel Data is not supported', [{ field: 'data', description: 'integer Pixel Data (7FE0,0010) only' }]);

  const ts = rawTs ?? (dataSet.string('x00020010') ?? '').replace(/\0/g, '').trim();
  const rows = dataSet.uint16('x00280010') ?? 0;
  const columns = dataSet.uint16('x00280011') ?? 0;
  const bitsAllocated = dataSet.uint16('x00280100') ?? 0;
  const bitsStored = dataSet.uint16('x00280101') ?? bitsAllocated;
  const pixelRepresentation = (dataSet.uint16('x00280103') ?? 0) === 1 ? 1 : 0;
  const signedOrNot = (tag: string): number | undefined => {
    const el = dataSet.elements[tag];
    if (!el || el.length < 2) return undefined;
    // US or SS per Pixel Representation (VR may be absent in implicit VR).
    return pixelRepresentation === 1 ? dataSet.int16(tag) : dataSet.uint16(tag);
  };
  const header: DicomImageHeader = {
    transferSyntaxUid: ts,
    rows,
    columns,
    samplesPerPixel: dataSet.uint16('x00280002') ?? 1,
    photometric: (dataSet.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase(),
    bitsAllocated,
    bitsStored,
    highBit: dataSet.uint16('x00280102') ?? bitsStored - 1,
    pixelRepresentation,
    planarConfiguration: dataSet.uint16('x00280006') ?? 0,
    numberOfFrames: parseInt(dataSet.string('x00280008') ?? '1', 10) || 1,
    rescaleSlope: numberOr(dataSet.floatString('x00281053'), 1),
    rescaleIntercept: numberOr(dataSet.floatString('x00281052'), 0),
    modalityLut: readLut(dataSet.elements.x00283000, pixelRepresentation),
    windows: readWindows(dataSet),
    voiLutFunction: (dataSet.string('x00281056') ?? 'LINEAR').trim().toUpperCase() || 'LINEAR',
    voiLut: readLut(dataSet.elements.x00283010, 0),
    presentationLutShape: dataSet.string('x20500020')?.trim().toUpperCase() || undefined,
    pixelPaddingValue: signedOrNot('x00280120'),
    pixelPaddingRangeLimit: signedOrNot('x00280121'),
  };
  if (header.rescaleSlope === 0) header.rescaleSlope = 1; // a zero slope would erase the image; treat as absent
  return { dataSet, header, pixelData };
}

function isUpper(c: number | undefined): boolean {
  return c !== undefined && c >= 0x41 && c <= 0x5a;
}

function numberOr(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) ? v : fallback;
}

/** Window Center/Width are multi-valued: the first pair is the default view (PS3.3 C.11.2.1.2). */
function readWindows(ds: dicomParser.DataSet): { center: number; width: number }[] {
  const c = ds.floatString('x00281050', 0);
  const w = ds.floatString('x00281051', 0);
  if (c === undefined || w === undefined || !Number.isFinite(c) || !Number.isFinite(w)) return [];
  return [{ center: c, width: w }];
}

function readLut(seq: dicomParser.Element | undefined, pixelRepresentation: 0 | 1): Lut | undefined {
  const item = seq?.items?.[0]?.dataSet;
  if (!item) return undefined;
  const desc = item.elements.x00283002;
  const dataEl = item.elements.x00283006;
  if (!desc || desc.length < 6 || !dataEl) throw invalidArgument('DICOM LUT sequence item lacks LUT Descriptor or LUT Data');
  const entries = item.uint16('x00283002', 0) || 65536;
  // The first-mapped value follows the pixel representation of the values it maps (PS3.3 C.11.1.1).
  const firstMapped = pixelRepresentation === 1 ? (item.int16('x00283002', 1) ?? 0) : (item.uint16('x00283002', 1) ?? 0);
  const bitsPerEntry = item.uint16('x00283002', 2) ?? 16;
  const data = new Int32Array(entries);
  const bytes = item.byteArray;
  const wordsAvailable = Math.floor(dataEl.length / 2);
  if (bitsPerEntry <= 8 && wordsAvailable * 2 >= entries && wordsAvailable < entries) {
    // 8-bit entries packed two per word (allowed for LUT Data with OW).
    for (let i = 0; i < entries; i++) data[i] = bytes[dataEl.dataOffset + i];
  } else {
    if (wordsAvailable < entries) throw invalidArgument(`DICOM LUT Data holds ${wordsAvailable} entries, descriptor says ${entries}`);
    for (let i = 0; i < entries; i++) data[i] = bytes[dataEl.dataOffset + 2 * i] | (bytes[dataEl.dataOffset + 2 * i + 1] << 8);
  }
  return { firstMapped, bitsPerEntry: Math.min(Math.max(bitsPerEntry, 1), 16), data };
}

/** Deflated transfer syntax: inflate with an output cap so a small file cannot expand without bound. */
function inflateBounded(arr: Uint8Array, position: number, maxBytes: number): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(arr.subarray(position), { maxOutputLength: maxBytes });
  } catch (err) {
    throw invalidArgument(`deflated DICOM data set could not be inflated within ${maxBytes} bytes: ${messageOf(err)}`, [{ field: 'data', description: 'corrupt deflate stream or decompression bomb' }], err);
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(arr.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}
