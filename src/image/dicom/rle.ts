import { invalidArgument } from '../../errors/cxr-error';

/**
 * DICOM RLE (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, one PackBits segment
 * per byte plane, most significant byte first. Output is little-endian interleaved samples.
 * The output buffer is sized from Rows/Columns, never from the stream, so a crafted segment can
 * write nothing beyond it.
 */
export function decodeRle(frame: Uint8Array, rows: number, columns: number, samplesPerPixel: number, bitsAllocated: number): Uint8Array {
  const bytesPerSample = bitsAllocated / 8;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1 || bytesPerSample > 4) throw invalidArgument(`RLE with Bits Allocated ${bitsAllocated} is not supported`);
  if (frame.length < 64) throw invalidArgument('RLE frame is shorter than its 64-byte header');
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = dv.getUint32(0, true);
  const expected = bytesPerSample * samplesPerPixel;
  if (segments !== expected) throw invalidArgument(`RLE frame has ${segments} segments, expected ${expected}`);
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = dv.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? dv.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > frame.length || end > frame.length || end < start) throw invalidArgument('RLE segment offsets are out of range');
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segments are MSB first
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (p < end && written < pixels) {
      const n = (frame[p++] << 24) >> 24; // signed header byte
      if (n >= 0) {
        const count = Math.min(n + 1, pixels - written, end - p);
        for (let i = 0; i < count; i++, o += stride) out[o] = frame[p + i];
        p += n + 1;
        written += count;
      } else if (n !== -128) {
        if (p >= end) break;
        const v = frame[p++];
        const count = Math.min(1 - n, pixels - written);
        for (let i = 0; i < count; i++, o += stride) out[o] = v;
        written += count;
      }
    }
    if (written < pixels) throw invalidArgument(`RLE segment ${s + 1} ends after ${written} of ${pixels} pixels`);
  }
  return out;
}
