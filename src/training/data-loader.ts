import { readFile } from 'node:fs/promises';
import { CxrError, invalidArgument } from '../errors/cxr-error';
import { augment } from '../image/augment';
import { decodeRadiograph } from '../image/decode';
import { preprocess, type PreprocessPreset } from '../image/preprocess';
import { augmentationRandom } from './batch-order';
import type { AugmentationSpec } from './training-spec';

/** One labelled image. `row` is the manifest row, the only thing error messages name. */
export interface Sample {
  row: number;
  imagePath: string;
  targets: Uint8Array;
}

export interface DataLoaderOptions {
  preset: PreprocessPreset;
  /** Budget for keeping preprocessed (un-augmented) tensors in memory across epochs. */
  cacheBytes?: number;
}

/**
 * Decodes and preprocesses images into batch buffers. Preprocessed tensors are cached while
 * they fit the budget, so later epochs pay only for augmentation. File reads and sharp decodes
 * run on libuv threads, so a load started before a (blocking) ORT run overlaps with it.
 */
export class DataLoader {
  private readonly cache = new Map<string, Float32Array>();
  private cachedBytes = 0;
  private readonly budget: number;
  readonly imageValues: number;

  constructor(private readonly opts: DataLoaderOptions) {
    this.budget = opts.cacheBytes ?? 1024 ** 3;
    this.imageValues = 3 * opts.preset.size * opts.preset.size;
  }

  /** Preprocessed CHW tensor of one sample (not augmented). The returned array must not be modified. */
  async image(sample: Sample): Promise<Float32Array> {
    const hit = this.cache.get(sample.imagePath);
    if (hit) return hit;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(sample.imagePath);
    } catch {
      throw new CxrError('FAILED_PRECONDITION', `manifest row ${sample.row}: image file cannot be read`);
    }
    let chw: Float32Array;
    try {
      chw = preprocess(await decodeRadiograph(bytes, 'auto', { voi: this.opts.preset.voi }), this.opts.preset);
    } catch (err) {
      const e = CxrError.from(err);
      throw invalidArgument(`manifest row ${sample.row}: image cannot be decoded: ${e.message}`);
    }
    if (this.cachedBytes + chw.byteLength <= this.budget) {
      this.cache.set(sample.imagePath, chw);
      this.cachedBytes += chw.byteLength;
    }
    return chw;
  }

  /**
   * Fills `pixels` ([n,3,S,S]) and `targets` ([n,C]) with `samples`; rows past the end are zero
   * (padding for the last validation batch). With `augmentation`, sample i of the epoch gets
   * the flips and rotation drawn from (seed, epoch, index).
   */
  async loadBatch(
    samples: readonly Sample[],
    pixels: Float32Array,
    targets: Float32Array,
    augmentation?: { spec: AugmentationSpec; seed: number; epoch: number; indices: ArrayLike<number> },
  ): Promise<void> {
    const per = this.imageValues;
    const c = samples.length ? samples[0].targets.length : 0;
    const images = await Promise.all(samples.map((s) => this.image(s)));
    images.forEach((img, i) => {
      const aug = augmentation && (augmentation.spec.flipProbability > 0 || augmentation.spec.maxRotationDeg > 0)
        ? augment(img, this.opts.preset.size, augmentationRandom(augmentation.seed, augmentation.epoch, augmentation.indices[i]), augmentation.spec)
        : img;
      pixels.set(aug, i * per);
      for (let k = 0; k < c; k++) targets[i * c + k] = samples[i].targets[k];
    });
    pixels.fill(0, samples.length * per);
    targets.fill(0, samples.length * c);
  }
}
