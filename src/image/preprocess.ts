import { invalidArgument } from '../errors/cxr-error';
import { equaliseHistogram } from './histogram-equalise';
import type { PreprocessPreset } from './presets';
import { resizeBilinear } from './resize';
import type { GreyImage } from './types';

export { PRESETS, resolvePreset, type PreprocessPreset } from './presets';

/** Grey image -> model input, CHW float32 [3, size, size], driven entirely by the preset's data. */
export function preprocess(img: GreyImage, preset: PreprocessPreset): Float32Array {
  const s = preset.size;
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height) {
    throw invalidArgument(`grey image is inconsistent: ${img.width}x${img.height} with ${img.data.length} values`);
  }
  const resized = resizeBilinear(img.data, img.width, img.height, s, s);

  let lo: number, hi: number;
  if (preset.scale === 'nominal-range' && img.range && img.range.max > img.range.min) {
    lo = img.range.min; hi = img.range.max;
  } else {
    lo = Infinity; hi = -Infinity;
    for (let i = 0; i < resized.length; i++) { const v = resized[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  const span = hi - lo;
  let unit: Float32Array = new Float32Array(resized.length);
  if (span > 0 && Number.isFinite(span)) for (let i = 0; i < unit.length; i++) unit[i] = (resized[i] - lo) / span;
  if (preset.equalise) unit = equaliseHistogram(unit);

  const [a, b] = preset.outputRange;
  const plane = s * s;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = preset.mean ? preset.mean[c] : 0;
    const std = preset.std ? preset.std[c] : 1;
    const off = c * plane;
    for (let i = 0; i < plane; i++) out[off + i] = a + (b - a) * ((unit[i] - mean) / std);
  }
  return out;
}
