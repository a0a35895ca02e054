import { seededRandom } from '../image/augment';

/**
 * Everything random in a run is a pure function of (seed, epoch, index), never of how far a
 * shared generator has advanced. That is what lets a resumed run replay exactly the batches and
 * augmentations an uninterrupted run would have seen.
 */
export function mixSeed(...parts: number[]): number {
  // splitmix-style avalanche over the parts, 32-bit.
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + Math.imul((p / 4294967296) >>> 0, 0x27d4eb2f)) >>> 0;
  }
  return h >>> 0;
}

/** Fisher-Yates permutation of 0..n-1 for one epoch. */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  const rng = seededRandom(mixSeed(seed, epoch, 0x5eed));
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** The generator driving the augmentation of sample `index` in `epoch`. */
export function augmentationRandom(seed: number, epoch: number, index: number): () => number {
  return seededRandom(mixSeed(seed, epoch, index, 0xa06));
}
