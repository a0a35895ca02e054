import { invalidArgument } from '../errors/cxr-error';

/**
 * A preprocessing preset is data: preprocess() reads these fields and has no per-preset branches.
 * Steps in order: resize (fill, no aspect) -> scale to [0,1] -> optional histogram equalisation
 * -> 3 identical channels -> per-channel (x - mean) / std -> affine map to outputRange.
 */
export interface PreprocessPreset {
  name: string;
  /** Output is [3, size, size]. */
  size: number;
  /** Whether the DICOM VOI (window / VOI LUT) is applied before preprocessing or the full stored range kept. */
  voi: 'apply' | 'full-range';
  /** How grey values become [0,1]: the image's own min and max, or the nominal range the decoder reports. */
  scale: 'min-max' | 'nominal-range';
  equalise: boolean;
  /** Per-channel normalisation after scaling, or none. */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** Where [0,1] lands at the end (after mean/std when those are set, this is [0,1] i.e. identity). */
  outputRange: [number, number];
}

const BASE: Record<string, Omit<PreprocessPreset, 'name'>> = {
  // The study's protocol (DESIGN.md section 2): full stored range, min-max, global HE, no mean/std.
  'study-2024': { size: 224, voi: 'full-range', scale: 'min-max', equalise: true, outputRange: [0, 1] },
  imagenet: { size: 224, voi: 'apply', scale: 'nominal-range', equalise: false, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], outputRange: [0, 1] },
  // torchxrayvision: (x / maxval) * 2048 - 1024.
  xrv: { size: 224, voi: 'apply', scale: 'nominal-range', equalise: false, outputRange: [-1024, 1024] },
};

export const PRESETS: Readonly<Record<string, PreprocessPreset>> = Object.freeze(
  Object.fromEntries(Object.entries(BASE).map(([name, p]) => [name, Object.freeze({ name, ...p })])),
);

export const MIN_SIZE = 16;
export const MAX_SIZE = 4096;

/** Looks a preset up by name, optionally at another size (224, 512, ...). */
export function resolvePreset(name: string, size?: number): PreprocessPreset {
  const p = Object.prototype.hasOwnProperty.call(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p) {
    throw invalidArgument(`unknown preprocessing preset ${JSON.stringify(name)}`, [{ field: 'preset', description: `one of ${Object.keys(PRESETS).join(', ')}` }]);
  }
  if (size === undefined) return { ...p };
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw invalidArgument(`image size ${size} is out of range`, [{ field: 'size', description: `an integer from ${MIN_SIZE} to ${MAX_SIZE}` }]);
  }
  return { ...p, size };
}
