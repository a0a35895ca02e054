import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSafetensors } from '../../../src/model/import/safetensors';
import { readTorchCheckpoint } from '../../../src/model/import/pytorch-checkpoint';
import { mapToCanonical } from '../../../src/model/import/name-mapping';

const root = resolve(__dirname, '../../../../shared/testdata');

function find(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (/\.(safetensors|pth|pt)$/.test(n)) out.push(p);
  }
  return out;
}

const files = find(root);

test('real checkpoints in ../shared/testdata parse and map', { skip: files.length ? false : 'no checkpoints in ../shared/testdata: real-checkpoint parsing skipped' }, () => {
  for (const f of files) {
    const bytes = readFileSync(f);
    const tensors = f.endsWith('.safetensors') ? readSafetensors(bytes).tensors : readTorchCheckpoint(bytes).tensors;
    const m = mapToCanonical(tensors);
    assert.ok(m.geometry.width > 0 && m.geometry.depth > 0, f);
  }
});
