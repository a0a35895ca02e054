import { invalidArgument } from '../errors/cxr-error';
import { decodeDicom, decodeStoredDicom, type StoredPixels } from './dicom/decode-dicom';
import { resolveMediaType } from './media-sniff';
import { decodeRaster } from './raster-decode';
import { resolveLimits, type DecodeLimits, type GreyImage, type MediaType } from './types';

export type { StoredPixels } from './dicom/decode-dicom';

export interface DecodeOptions {
  limits?: Partial<DecodeLimits>;
  /** 'apply': DICOM VOI (window or VOI LUT) is applied; 'full-range': the whole modality output range is kept. */
  voi: 'apply' | 'full-range';
}

/**
 * Bytes a client sent -> grey image after the DICOM pixel pipeline (or PNG/JPEG grey conversion).
 * Every failure caused by the input is a CxrError INVALID_ARGUMENT. The time limit is not enforced
 * here (wasm codecs cannot be interrupted on their own thread): ImagePipeline enforces it.
 */
export async function decodeRadiograph(bytes: Uint8Array, mediaType: MediaType, opts: DecodeOptions): Promise<GreyImage> {
  const limits = resolveLimits(opts.limits);
  checkEncodedSize(bytes, limits);
  const kind = resolveMediaType(bytes, mediaType);
  if (kind === 'dicom') return decodeDicom(bytes, limits, opts.voi);
  return decodeRaster(bytes, kind, limits);
}

/** Stored pixel values of a DICOM's first frame, before any LUT (for conformance checks). */
export async function decodeStoredPixels(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Promise<StoredPixels> {
  const l = resolveLimits(limits);
  checkEncodedSize(bytes, l);
  resolveMediaType(bytes, 'dicom');
  return decodeStoredDicom(bytes, l);
}

function checkEncodedSize(bytes: Uint8Array, limits: DecodeLimits): void {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('image data must be bytes');
  if (bytes.length === 0) throw invalidArgument('image data is empty', [{ field: 'data', description: 'send the encoded image bytes' }]);
  if (bytes.length > limits.maxEncodedBytes) {
    throw invalidArgument(`image is ${bytes.length} bytes, over the limit of ${limits.maxEncodedBytes}`, [
      { field: 'data', description: `at most ${limits.maxEncodedBytes} encoded bytes per image` },
    ]);
  }
}
