/**
 * Training augmentation of the study: horizontal flip, then rotation by an angle drawn uniformly
 * from [-max, max] degrees (counter-clockwise positive, as torchvision), about the image centre,
 * bilinear, with 0 outside the source (torchvision RandomRotation's default fill).
 */
export interface AugmentOptions {
  flipProbability: number;
  maxRotationDeg: number;
}

export function augment(chw: Float32Array, size: number, rng: () => number, opts: AugmentOptions): Float32Array {
  const plane = size * size;
  const channels = chw.length / plane;
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`tensor of ${chw.length} values is not [C, ${size}, ${size}]`);
  const flip = rng() < opts.flipProbability;
  const angle = ((rng() * 2 - 1) * opts.maxRotationDeg * Math.PI) / 180;
  const cos = Math.cos(angle), sin = Math.sin(angle);
  const centre = (size - 1) / 2; // pixel centres at i + 0.5 about size / 2, as grid_sample with align_corners=false
  const out = new Float32Array(chw.length);
  for (let y = 0; y < size; y++) {
    const dy = y - centre;
    for (let x = 0; x < size; x++) {
      const dx = x - centre;
      // Inverse map (y axis points down): output (dx, dy) samples source R(theta)^T-in-image-coords.
      let sx = cos * dx - sin * dy + centre;
      const sy = sin * dx + cos * dy + centre;
      if (flip) sx = size - 1 - sx;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const fx = sx - x0, fy = sy - y0;
      for (let c = 0; c < channels; c++) {
        const base = c * plane;
        const at = (xx: number, yy: number): number => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : chw[base + yy * size + xx]);
        out[base + y * size + x] =
          (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      }
    }
  }
  return out;
}

export { seededRandom } from '../util/seeded-random';
