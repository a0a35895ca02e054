import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRadiograph } from '../../src/image/decode';
import { ImagePipeline } from '../../src/image/image-pipeline';
import { preprocess, resolvePreset } from '../../src/image/preprocess';
import { allFormatFixtures } from './fixtures/all-formats';
import { pixelBytes, writeDicom } from './fixtures/dicom-writer';
import { writePng } from './fixtures/png-writer';

test('worker results equal the in-thread decode + preprocess for every format', async () => {
  const pipe = new ImagePipeline({ workers: 2 });
  try {
    const preset = resolvePreset('study-2024', 32);
    const fixtures = await allFormatFixtures();
    const results = await Promise.all(fixtures.map((f) => pipe.process(f.bytes, 'auto', preset)));
    for (const [i, f] of fixtures.entries()) {
      const r = results[i];
      const local = preprocess(await decodeRadiograph(f.bytes, 'auto', { voi: preset.voi }), preset);
      assert.deepEqual(r.tensor, local, f.name);
      assert.equal(r.width, 48);
      assert.equal(r.height, 40);
      assert.ok(r.format.length > 0 && r.decodeMs >= 0 && r.preprocessMs >= 0);
    }
  } finally {
    await pipe.close();
  }
});

test('bad input is INVALID_ARGUMENT and the pool keeps serving', async () => {
  const pipe = new ImagePipeline({ workers: 1 });
  try {
    await assert.rejects(pipe.process(new Uint8Array([1, 2, 3, 4]), 'auto', resolvePreset('xrv', 16)), (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
    const ok = await pipe.process(writePng(8, 8, 0, 8, new Uint8Array(64).fill(9)), 'png', resolvePreset('xrv', 16));
    assert.equal(ok.tensor.length, 3 * 16 * 16);
  } finally {
    await pipe.close();
  }
});

test('a job over the time bound is DEADLINE_EXCEEDED; its worker is replaced and the next job succeeds', async () => {
  const pipe = new ImagePipeline({ workers: 1, limits: { timeoutMs: 40 } });
  try {
    // 4096 x 4096 16-bit: copying, decoding and resizing 16 Mpx takes far longer than 40 ms.
    const big = writeDicom({ rows: 4096, columns: 4096, pixelBytes: pixelBytes(new Uint16Array(4096 * 4096), 16) });
    await assert.rejects(pipe.process(big, 'dicom', resolvePreset('study-2024')), (e: { code: string }) => e.code === 'DEADLINE_EXCEEDED');
    const ok = await pipe.process(writePng(4, 4, 0, 8, new Uint8Array(16)), 'png', resolvePreset('xrv', 16));
    assert.equal(ok.format, 'png8');
  } finally {
    await pipe.close();
  }
});

test('abort cancels (CANCELLED); close rejects queued and later work (UNAVAILABLE)', async () => {
  const pipe = new ImagePipeline({ workers: 1 });
  const png = writePng(64, 64, 0, 8, new Uint8Array(64 * 64));
  const ac = new AbortController();
  const p = pipe.process(png, 'png', resolvePreset('xrv', 16), ac.signal);
  ac.abort();
  await assert.rejects(p, (e: { code: string }) => e.code === 'CANCELLED');
  const queued = Promise.allSettled([pipe.process(png, 'png', resolvePreset('xrv', 16)), pipe.process(png, 'png', resolvePreset('xrv', 16))]);
  await pipe.close();
  const settled = await queued;
  assert.ok(settled.every((s) => s.status === 'fulfilled' || (s.reason as { code: string }).code === 'UNAVAILABLE'));
  await assert.rejects(pipe.process(png, 'png', resolvePreset('xrv', 16)), (e: { code: string }) => e.code === 'UNAVAILABLE');
});
