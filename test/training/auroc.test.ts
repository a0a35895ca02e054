import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, macroAuroc } from '../../src/training/auroc';

/** O(P*N) definition: P(score_pos > score_neg) + 0.5 P(tie). */
function pairwise(s: number[], t: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) {
    if (t[i] === 1 && t[j] === 0) {
      den++;
      num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / den;
}

test('auroc equals the pairwise definition, ties included', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + trial * 3;
    const s = Array.from({ length: n }, () => Math.round(rnd() * 6) / 6);
    const t = Array.from({ length: n }, (_, i) => (i < 2 ? i : rnd() < 0.4 ? 1 : 0));
    assert.ok(Math.abs(auroc(s, t) - pairwise(s, t)) < 1e-12);
  }
  assert.equal(auroc([0.1, 0.2, 0.9], [0, 0, 1]), 1);
  assert.equal(auroc([0.9, 0.2, 0.1], [0, 0, 1]), 0);
  assert.ok(Number.isNaN(auroc([0.1, 0.2], [1, 1])));
});

test('macroAuroc averages labels where AUROC is defined', () => {
  // 3 rows x 2 labels; label 1 has only positives.
  const r = macroAuroc(new Float32Array([0.1, 0.5, 0.9, 0.5, 0.2, 0.5]), new Uint8Array([0, 1, 1, 1, 0, 1]), 2);
  assert.equal(r.perLabel[0], 1);
  assert.ok(Number.isNaN(r.perLabel[1]));
  assert.equal(r.macro, 1);
});
