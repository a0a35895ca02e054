import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/image/augment';
import { ImagePipeline } from '../../src/image/image-pipeline';
import { resolvePreset } from '../../src/image/preprocess';
import { allFormatFixtures } from './fixtures/all-formats';

const MUTATIONS_PER_FIXTURE = 40;

/** Byte flips, random bytes, truncation, duplication, zeroed runs: the damage real transfers do. */
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const b = Uint8Array.from(src);
  const kind = Math.floor(rnd() * 5);
  const at = (): number => Math.floor(rnd() * b.length);
  switch (kind) {
    case 0: for (let i = 0, n = 1 + Math.floor(rnd() * 8); i < n; i++) b[at()] ^= 1 << Math.floor(rnd() * 8); return b;
    case 1: for (let i = 0, n = 1 + Math.floor(rnd() * 32); i < n; i++) b[at()] = Math.floor(rnd() * 256); return b;
    case 2: return b.subarray(0, at());
    case 3: { const s = at(), len = Math.floor(rnd() * 64); return Uint8Array.from([...b.subarray(0, s), ...b.subarray(s, s + len), ...b.subarray(s)]); }
    default: { const s = at(); b.fill(rnd() < 0.5 ? 0 : 0xff, s, s + 1 + Math.floor(rnd() * 16)); return b; }
  }
}

test(`fuzz: ${MUTATIONS_PER_FIXTURE} mutations of every fixture -> success or INVALID_ARGUMENT, process healthy`, async () => {
  const rnd = seededRandom(20240601);
  const preset = resolvePreset('study-2024', 32);
  const fixtures = await allFormatFixtures();
  const pipe = new ImagePipeline({ workers: 2, limits: { timeoutMs: 5000 } });
  const tally: Record<string, number> = {};
  try {
    const jobs: Promise<void>[] = [];
    for (const f of fixtures) {
      for (let i = 0; i < MUTATIONS_PER_FIXTURE; i++) {
        const bytes = mutate(f.bytes, rnd);
        jobs.push(
          pipe.process(bytes, 'auto', preset).then(
            (r) => {
              assert.ok(r.tensor.every(Number.isFinite), `${f.name} #${i}: non-finite model input`);
              tally.ok = (tally.ok ?? 0) + 1;
            },
            (e: { code: string; message: string }) => {
              assert.equal(e.code, 'INVALID_ARGUMENT', `${f.name} #${i}: ${e.code} ${e.message}`);
              tally.invalid = (tally.invalid ?? 0) + 1;
            },
          ),
        );
      }
    }
    await Promise.all(jobs);
    // Still healthy: every original decodes afterwards.
    for (const f of fixtures) assert.equal((await pipe.process(f.bytes, 'auto', preset)).tensor.length, 3 * 32 * 32, f.name);
  } finally {
    await pipe.close();
  }
  console.log(`fuzz: ${JSON.stringify(tally)} over ${fixtures.length} fixtures`);
});
