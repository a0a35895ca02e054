import { invalidArgument } from '../../errors/cxr-error';
import type { DicomImageHeader, Lut } from './dicom-header';

/**
 * The grayscale rendering pipeline of PS3.4 N.2 in its standard order:
 *   stored values -> Modality LUT (LUT Sequence, else Rescale Slope/Intercept)
 *   -> VOI (VOI LUT Sequence, else the first Window Center/Width with its VOI LUT Function)
 *   -> polarity (MONOCHROME1, or Presentation LUT Shape INVERSE)
 * and then pixel padding. With voi 'full-range' the VOI step is skipped and the whole modality
 * output range is kept (what the study did before its own min-max scaling).
 *
 * Output values: after a VOI they lie in [0, 1]; otherwise in the modality output range
 * (returned as `range`), so 'higher = brighter' holds either way.
 */
export interface PipelineResult {
  data: Float32Array;
  range: { min: number; max: number };
}

export function applyPixelPipeline(stored: Int32Array, h: DicomImageHeader, voi: 'apply' | 'full-range'): PipelineResult {
  const n = stored.length;
  const data = new Float32Array(n);

  // Modality LUT
  let range: { min: number; max: number };
  const storedMin = h.pixelRepresentation ? -(2 ** (h.bitsStored - 1)) : 0;
  const storedMax = h.pixelRepresentation ? 2 ** (h.bitsStored - 1) - 1 : 2 ** h.bitsStored - 1;
  if (h.modalityLut) {
    const lut = h.modalityLut;
    for (let i = 0; i < n; i++) data[i] = lutLookup(lut, stored[i]);
    range = { min: 0, max: 2 ** lut.bitsPerEntry - 1 };
  } else {
    const { rescaleSlope: m, rescaleIntercept: b } = h;
    for (let i = 0; i < n; i++) data[i] = stored[i] * m + b;
    const a = storedMin * m + b, c = storedMax * m + b;
    range = { min: Math.min(a, c), max: Math.max(a, c) };
  }

  // VOI
  if (voi === 'apply') {
    if (h.voiLut) {
      const lut = h.voiLut;
      const top = 2 ** lut.bitsPerEntry - 1;
      for (let i = 0; i < n; i++) data[i] = lutLookup(lut, Math.round(data[i])) / top;
      range = { min: 0, max: 1 };
    } else if (h.windows.length > 0) {
      applyWindow(data, h.windows[0].center, h.windows[0].width, h.voiLutFunction);
      range = { min: 0, max: 1 };
    }
  }

  // Polarity. For MONOCHROME1 the standard requires Presentation LUT Shape INVERSE, so both
  // name the same single inversion; they are never applied twice.
  if (h.photometric === 'MONOCHROME1' || h.presentationLutShape === 'INVERSE') {
    const s = range.min + range.max;
    for (let i = 0; i < n; i++) data[i] = s - data[i];
  }

  // Pixel padding (identified on stored values): shown as the darkest real pixel, so the
  // padding neither stretches a later min-max nor looks like tissue.
  if (h.pixelPaddingValue !== undefined) {
    const a = h.pixelPaddingValue;
    const b = h.pixelPaddingRangeLimit ?? a;
    const lo = Math.min(a, b), hi = Math.max(a, b);
    let darkest = Infinity;
    for (let i = 0; i < n; i++) if ((stored[i] < lo || stored[i] > hi) && data[i] < darkest) darkest = data[i];
    if (darkest === Infinity) darkest = range.min;
    for (let i = 0; i < n; i++) if (stored[i] >= lo && stored[i] <= hi) data[i] = darkest;
  }
  return { data, range };
}

function lutLookup(lut: Lut, v: number): number {
  const i = v - lut.firstMapped;
  const last = lut.data.length - 1;
  return lut.data[i <= 0 ? 0 : i >= last ? last : i];
}

/** PS3.3 C.11.2.1.2 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1 (SIGMOID); y in [0, 1]. */
export function applyWindow(data: Float32Array, c: number, w: number, fn: string): void {
  const n = data.length;
  switch (fn) {
    case 'LINEAR': {
      if (w < 1) throw invalidArgument(`DICOM Window Width ${w} is below 1 (required for LINEAR)`);
      const lo = c - 0.5 - (w - 1) / 2, hi = c - 0.5 + (w - 1) / 2;
      for (let i = 0; i < n; i++) {
        const x = data[i];
        data[i] = x <= lo ? 0 : x > hi ? 1 : w === 1 ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5;
      }
      return;
    }
    case 'LINEAR_EXACT': {
      if (!(w > 0)) throw invalidArgument(`DICOM Window Width ${w} must be above 0 (LINEAR_EXACT)`);
      const lo = c - w / 2, hi = c + w / 2;
      for (let i = 0; i < n; i++) {
        const x = data[i];
        data[i] = x <= lo ? 0 : x > hi ? 1 : (x - c) / w + 0.5;
      }
      return;
    }
    case 'SIGMOID': {
      if (!(w > 0)) throw invalidArgument(`DICOM Window Width ${w} must be above 0 (SIGMOID)`);
      for (let i = 0; i < n; i++) data[i] = 1 / (1 + Math.exp((-4 * (data[i] - c)) / w));
      return;
    }
    default:
      throw invalidArgument(`DICOM VOI LUT Function ${JSON.stringify(fn)} is not supported`, [{ field: 'data', description: 'LINEAR, LINEAR_EXACT or SIGMOID' }]);
  }
}
