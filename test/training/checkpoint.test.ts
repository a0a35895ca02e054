import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from '../../src/training/checkpoint';
import { CxrError } from '../../src/errors/cxr-error';

test('checkpoint round-trips tensors and state and leaves no temp files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-ckpt-'));
  try {
    const path = join(dir, 'last.ckpt');
    const a = new Float32Array([1, -2.5, 3e-8]);
    const b = new Float32Array(7).map((_, i) => i / 3);
    writeCheckpoint(path, { step: 12, epoch: 2, batchInEpoch: 3, meta: { best: 0.5 }, tensors: new Map([['head.weight', { dims: [1, 3], data: a }], ['adam.m/head.weight', { dims: [7], data: b }]]) });
    writeCheckpoint(path, { step: 13, epoch: 2, batchInEpoch: 4, meta: { best: 0.25 }, tensors: new Map([['head.weight', { dims: [1, 3], data: a }], ['adam.m/head.weight', { dims: [7], data: b }]]) });
    const c = readCheckpoint(path);
    assert.equal(c.step, 13);
    assert.equal(c.batchInEpoch, 4);
    assert.deepEqual(c.meta, { best: 0.25 });
    assert.deepEqual([...c.tensors.keys()], ['head.weight', 'adam.m/head.weight']);
    assert.deepEqual(c.tensors.get('head.weight')!.data, a);
    assert.deepEqual(c.tensors.get('adam.m/head.weight')!.data, b);
    assert.deepEqual(c.tensors.get('head.weight')!.dims, [1, 3]);
    assert.deepEqual(readdirSync(dir), ['last.ckpt']);
    writeFileSync(join(dir, 'bad.ckpt'), 'CXRCKPT1garbage');
    assert.throws(() => readCheckpoint(join(dir, 'bad.ckpt')), (e: unknown) => e instanceof CxrError && e.code === 'DATA_LOSS');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
