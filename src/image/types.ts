/**
 * Shared vocabulary of the image concern: what a client says it sent, the limits every decode
 * runs under, and the grey image that decoding hands to preprocessing.
 */

/** What the client says the bytes are; 'auto' sniffs the magic bytes (PNG, JPEG, DICOM Part 10). */
export type MediaType = 'dicom' | 'png' | 'jpeg' | 'auto';

export interface DecodeLimits {
  /** Largest encoded input accepted, checked before anything is parsed. */
  maxEncodedBytes: number;
  /** Largest rows x columns accepted, checked from the header BEFORE pixels are decoded (decompression bombs). */
  maxPixels: number;
  /** Wall-clock bound on one decode + preprocess; enforced by ImagePipeline (a worker past it is terminated). */
  timeoutMs: number;
  /** Multi-frame DICOM: decode the first frame, or refuse the object. */
  multiFrame: 'first' | 'reject';
}

/** 64 MiB covers an uncompressed 16-bit 4k x 4k radiograph with room to spare; 50 Mpx is ~7k x 7k. */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxEncodedBytes: 64 * 1024 * 1024,
  maxPixels: 50_000_000,
  timeoutMs: 10_000,
  multiFrame: 'first',
});

export interface GreyImage {
  width: number;
  height: number;
  /** Row-major grey after the pixel pipeline, higher = brighter. */
  data: Float32Array;
  /** Low-cardinality label ('png8', 'png16', 'jpeg', 'dicom-j2k', ...): safe as a metric label. */
  format: string;
  /**
   * Nominal value range the data lives in (e.g. [0,255] for 8-bit PNG, [0,1] after a DICOM VOI,
   * the modality-LUT output range of the stored bits otherwise). Presets that scale by a fixed
   * range (imagenet, xrv) use it; absent, they fall back to the data's own min and max.
   */
  range?: { min: number; max: number };
}

/** Merges caller overrides over the defaults and rejects nonsense, so every decode sees whole limits. */
export function resolveLimits(partial: Partial<DecodeLimits> | undefined): DecodeLimits {
  const l: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...(partial ?? {}) };
  for (const k of ['maxEncodedBytes', 'maxPixels', 'timeoutMs'] as const) {
    if (!Number.isFinite(l[k]) || l[k] <= 0) throw new RangeError(`decode limit ${k} must be a positive number, got ${l[k]}`);
  }
  if (l.multiFrame !== 'first' && l.multiFrame !== 'reject') throw new RangeError(`decode limit multiFrame must be 'first' or 'reject'`);
  return l;
}
