import { invalidArgument } from '../errors/cxr-error';
import type { MediaType } from './types';

export type ConcreteMediaType = Exclude<MediaType, 'auto'>;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function looksLikePng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

export function looksLikeJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** DICOM Part 10: 128-byte preamble then "DICM". */
export function looksLikeDicom(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

/**
 * A DICOM data set without the Part 10 wrapper (old PACS exports): little endian, starting in
 * group 0008. Accepted because such files still circulate; the transfer syntax is inferred.
 */
export function looksLikeRawDataset(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x08 && b[1] === 0x00 && b[3] === 0x00;
}

/**
 * Resolves the media type from the magic bytes and checks a declared type against them, so a
 * mislabelled request fails with a clear message instead of reaching the wrong decoder (and so
 * sharp never sees formats we do not serve: SVG, TIFF, WebP, ...).
 */
export function resolveMediaType(bytes: Uint8Array, declared: MediaType): ConcreteMediaType {
  const sniffed: ConcreteMediaType | undefined = looksLikePng(bytes)
    ? 'png'
    : looksLikeJpeg(bytes)
      ? 'jpeg'
      : looksLikeDicom(bytes) || looksLikeRawDataset(bytes)
        ? 'dicom'
        : undefined;
  if (declared === 'auto') {
    if (!sniffed) {
      throw invalidArgument('image is neither PNG, JPEG nor DICOM Part 10 (no known signature in its first bytes)', [
        { field: 'data', description: 'send PNG, JPEG or a DICOM Part 10 file (128-byte preamble + "DICM")' },
      ]);
    }
    return sniffed;
  }
  if (declared !== 'png' && declared !== 'jpeg' && declared !== 'dicom') {
    throw invalidArgument(`unknown media type ${JSON.stringify(String(declared))}`, [
      { field: 'media_type', description: "one of 'dicom', 'png', 'jpeg', 'auto'" },
    ]);
  }
  if (sniffed !== declared) {
    throw invalidArgument(`image declared as ${declared} but its bytes ${sniffed ? `are ${sniffed}` : `are not ${declared}`}`, [
      { field: 'data', description: `bytes do not carry the ${declared} signature` },
    ]);
  }
  return declared;
}
