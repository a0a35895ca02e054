import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors/cxr-error';
import { SeededRandom } from './seeded-random';

export const DEFAULT_RESAMPLES = 1000;
/** Names the index stream so a stored plan says how to regenerate it. */
export const BOOTSTRAP_GENERATOR = 'xoshiro128**/splitmix64; index = r mod n, rejecting r >= floor(2^32/n)*n; row-major by resample';

/**
 * The resampled indices of one split, drawn once from a seed. Every model evaluated with the same
 * plan sees the same resamples, which is what makes bootstrap comparisons paired and
 * reproducible: keep the plan (or its seed, n and count) with the predictions.
 */
export interface BootstrapPlan {
  readonly seed: number;
  /** Number of images in the split. */
  readonly n: number;
  readonly resamples: number;
  readonly generator: string;
  /** resamples x n indices, row-major: resample b is indices[b*n .. (b+1)*n). */
  readonly indices: Uint16Array | Uint32Array;
}

export function createBootstrapPlan(n: number, seed: number, resamples: number = DEFAULT_RESAMPLES): BootstrapPlan {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw invalidArgument(`a bootstrap needs at least one image, got n=${n}`, [{ field: 'n', description: 'positive integer' }]);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw invalidArgument(`bootstrap seed must be a non-negative integer, got ${seed}`, [
      { field: 'seed', description: 'non-negative safe integer' },
    ]);
  }
  if (!Number.isSafeInteger(resamples) || resamples < 1 || resamples > 100_000) {
    throw invalidArgument(`bootstrap resamples must be an integer in [1, 100000], got ${resamples}`, [
      { field: 'resamples', description: 'integer in [1, 100000]' },
    ]);
  }
  const total = n * resamples;
  if (total > 2 ** 31 - 1) {
    throw invalidArgument(`bootstrap plan of ${resamples} x ${n} indices is too large; use fewer resamples`, [
      { field: 'resamples', description: `n x resamples must stay below 2^31 (n=${n})` },
    ]);
  }
  // Half the memory (and first-touch time) for any split up to 65536 images.
  const indices = n <= 65536 ? new Uint16Array(total) : new Uint32Array(total);
  const rng = new SeededRandom(seed);
  rng.fillBelow(indices, n);
  return { seed, n, resamples, generator: BOOTSTRAP_GENERATOR, indices };
}

/** Resample b's indices (a view, not a copy). */
export function resampleIndices(plan: BootstrapPlan, b: number): Uint16Array | Uint32Array {
  return plan.indices.subarray(b * plan.n, (b + 1) * plan.n);
}

/** How often each image occurs in resample b, written into `out` (length n). */
export function resampleMultiplicities(plan: BootstrapPlan, b: number, out: Int32Array): Int32Array {
  out.fill(0);
  const idx = plan.indices;
  const end = (b + 1) * plan.n;
  for (let k = b * plan.n; k < end; k++) out[idx[k]]++;
  return out;
}

/** SHA-256 of the indices as little-endian uint32, so a stored report can prove which plan it used. */
export function planFingerprint(plan: BootstrapPlan): string {
  const hash = createHash('sha256');
  const chunk = new Uint32Array(65536);
  for (let start = 0; start < plan.indices.length; start += chunk.length) {
    const end = Math.min(start + chunk.length, plan.indices.length);
    for (let k = start; k < end; k++) chunk[k - start] = plan.indices[k];
    const bytes = new Uint8Array(chunk.buffer, 0, (end - start) * 4);
    hash.update(isLittleEndian ? bytes : swap32(bytes));
  }
  return hash.digest('hex');
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function swap32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}
