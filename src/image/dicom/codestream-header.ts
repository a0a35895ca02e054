import { invalidArgument } from '../../errors/cxr-error';

/** What a compressed frame says about itself, read before any decoder allocates for it. */
export interface CodestreamHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** JPEG SOF marker (0xC0..0xCF, 0xF7 for JPEG-LS); undefined for JPEG 2000. */
  sof?: number;
}

/**
 * Scans JPEG / JPEG-LS markers up to the first SOF. Reading the frame header ourselves lets the
 * decompression-bomb check run on the dimensions the codec would actually allocate for, which a
 * hostile file can set independently of the DICOM Rows/Columns.
 */
export function readJpegHeader(b: Uint8Array): CodestreamHeader {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) throw invalidArgument('JPEG frame does not start with SOI');
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) throw invalidArgument('JPEG frame has a corrupt marker sequence');
    const m = b[p + 1];
    if (m === 0xff) { p++; continue; } // fill byte
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { p += 2; continue; }
    const len = (b[p + 2] << 8) | b[p + 3];
    if (len < 2) throw invalidArgument('JPEG frame has a corrupt segment length');
    const isSof = (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7;
    if (isSof) {
      if (p + 10 > b.length) break;
      return {
        sof: m,
        precision: b[p + 4],
        height: (b[p + 5] << 8) | b[p + 6],
        width: (b[p + 7] << 8) | b[p + 8],
        components: b[p + 9],
      };
    }
    p += 2 + len;
  }
  throw invalidArgument('JPEG frame has no frame header (SOF)');
}

/** JPEG 2000 / HTJ2K: SIZ marker right after SOC (raw codestream; a JP2 wrapper is searched for SOC). */
export function readJ2kHeader(b: Uint8Array): CodestreamHeader {
  let p = 0;
  if (!(b[0] === 0xff && b[1] === 0x4f)) {
    p = -1;
    for (let i = 0; i + 3 < Math.min(b.length, 1 << 16); i++) {
      if (b[i] === 0xff && b[i + 1] === 0x4f && b[i + 2] === 0xff && b[i + 3] === 0x51) { p = i; break; }
    }
    if (p < 0) throw invalidArgument('JPEG 2000 frame has no codestream (SOC/SIZ markers)');
  }
  if (p + 42 > b.length || b[p + 2] !== 0xff || b[p + 3] !== 0x51) throw invalidArgument('JPEG 2000 frame has no SIZ marker after SOC');
  const u32 = (o: number): number => ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  const s = p + 4; // at Lsiz
  const xsiz = u32(s + 4), ysiz = u32(s + 8), xo = u32(s + 12), yo = u32(s + 16);
  const csiz = (b[s + 36] << 8) | b[s + 37];
  const ssiz = b[s + 38];
  if (xsiz <= xo || ysiz <= yo || csiz < 1) throw invalidArgument('JPEG 2000 frame has an invalid SIZ marker');
  return { width: xsiz - xo, height: ysiz - yo, components: csiz, precision: (ssiz & 0x7f) + 1 };
}

/**
 * True when the stream ends in EOI (FFD9), allowing the padding DICOM writers add to odd-length
 * fragments. CharLS (wasm) can spin forever on a corrupt JPEG-LS stream that also lacks its EOI
 * (found by the fuzz test), so JPEG-LS frames must be complete before CharLS sees them.
 */
export function endsWithEoi(b: Uint8Array): boolean {
  // Writers pad odd fragments with 0x00 or 0xFF; allow a little of either after the EOI.
  for (let end = b.length; end >= 2 && b.length - end < 16; end--) {
    if (b[end - 2] === 0xff && b[end - 1] === 0xd9) return true;
    if (b[end - 1] !== 0x00 && b[end - 1] !== 0xff) return false;
  }
  return false;
}
