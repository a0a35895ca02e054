import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../src/image/augment';

export const SYNTHETIC_LABELS = ['top', 'middle', 'bottom'];

/**
 * A multi-label task a tiny ViT can learn in seconds: label k is the presence of a bright blob
 * in horizontal band k (top / middle / bottom) of a noisy 32x32 grey image. Bands, not
 * quadrants, so the study's horizontal flip leaves the labels true.
 * Writes PNGs under `root/img/` and `root/manifest.csv` (splits by the given counts).
 */
export async function writeSyntheticDataset(root: string, counts: Record<string, number>, seed = 1): Promise<string> {
  mkdirSync(join(root, 'img'), { recursive: true });
  const rng = seededRandom(seed);
  const size = 32;
  const lines = ['path,split,patient,' + SYNTHETIC_LABELS.join(',')];
  let id = 0;
  for (const [split, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++, id++) {
      const img = new Uint8Array(size * size);
      for (let p = 0; p < img.length; p++) img[p] = 20 + Math.floor(rng() * 40);
      const labels = SYNTHETIC_LABELS.map(() => (rng() < 0.4 ? 1 : 0));
      labels.forEach((on, k) => {
        if (!on) return;
        const cy = Math.floor(k * (size / 3) + 4 + rng() * (size / 3 - 8));
        const cx = Math.floor(5 + rng() * (size - 10));
        for (let y = cy - 4; y <= cy + 4; y++) for (let x = cx - 4; x <= cx + 4; x++) {
          if ((y - cy) ** 2 + (x - cx) ** 2 <= 16) img[y * size + x] = 230 + Math.floor(rng() * 25);
        }
      });
      const file = `img/${split}-${i}.png`;
      await sharp(Buffer.from(img), { raw: { width: size, height: size, channels: 1 } }).png().toFile(join(root, file));
      lines.push(`${file},${split},P${id % 17},${labels.join(',')}`);
    }
  }
  const manifest = join(root, 'manifest.csv');
  writeFileSync(manifest, lines.join('\n') + '\n');
  return manifest;
}
