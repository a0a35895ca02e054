import sharp from 'sharp';
import { invalidArgument } from '../errors/cxr-error';
import type { DecodeLimits, GreyImage } from './types';

/**
 * PNG and JPEG through sharp. sharp's 16-bit traps (see DESIGN.md) are why the colourspace is
 * always named before .raw(): without 'grey16'/'rgb16' libvips converts to 8-bit sRGB and
 * silently scales 16-bit samples by 1/257.
 */
export async function decodeRaster(bytes: Uint8Array, kind: 'png' | 'jpeg', limits: DecodeLimits): Promise<GreyImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (err) {
    throw invalidArgument(`${kind.toUpperCase()} header could not be read: ${messageOf(err)}`, [{ field: 'data', description: 'corrupt or truncated image' }], err);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!(width > 0 && height > 0)) throw invalidArgument(`${kind.toUpperCase()} header has no dimensions`);
  checkPixels(width, height, limits);
  if (meta.format !== kind) throw invalidArgument(`image bytes are ${meta.format}, not ${kind}`);

  const sixteen = meta.depth === 'ushort';
  const colour = !(meta.space === 'b-w' || meta.space === 'grey16') || meta.isPalette === true;
  const space = sixteen ? (colour ? 'rgb16' : 'grey16') : colour ? 'srgb' : 'b-w';
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', sequentialRead: true })
      .timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) })
      .toColourspace(space)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw invalidArgument(`${kind.toUpperCase()} could not be decoded: ${messageOf(err)}`, [{ field: 'data', description: 'corrupt or truncated image' }], err);
  }
  const { channels } = out.info;
  if (out.info.width !== width || out.info.height !== height) throw invalidArgument(`${kind.toUpperCase()} decoded to unexpected dimensions`);
  const samples = sixteen
    ? new Uint16Array(out.data.buffer, out.data.byteOffset, out.data.length >> 1)
    : new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
  return {
    width,
    height,
    data: toGrey(samples, width * height, channels),
    format: kind === 'jpeg' ? 'jpeg' : sixteen ? 'png16' : 'png8',
    range: { min: 0, max: sixteen ? 65535 : 255 },
  };
}

/**
 * Colour -> grey with ITU-R BT.601 luma on the encoded values, as PIL's convert('L') and OpenCV's
 * IMREAD_GRAYSCALE do (radiographs saved as RGB carry R = G = B, where every weighting agrees).
 * Alpha is dropped: radiographs have no meaningful transparency.
 */
export function toGrey(samples: ArrayLike<number>, n: number, channels: number): Float32Array {
  const out = new Float32Array(n);
  if (channels <= 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = samples[j];
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = 0.299 * samples[j] + 0.587 * samples[j + 1] + 0.114 * samples[j + 2];
  }
  return out;
}

export function checkPixels(width: number, height: number, limits: DecodeLimits): void {
  if (width * height > limits.maxPixels) {
    throw invalidArgument(`image is ${width}x${height} = ${width * height} pixels, over the limit of ${limits.maxPixels}`, [
      { field: 'data', description: `at most ${limits.maxPixels} pixels per image` },
    ]);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
