import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc } from '../../src/evaluation/auroc';
import { CxrError } from '../../src/errors/cxr-error';
import { bruteAuroc, syntheticLabel } from './fixtures';

const value = (s: ArrayLike<number>, t: ArrayLike<number>) => {
  const r = auroc(Array.from(s), Array.from(t));
  assert.ok(r.defined, 'expected a defined AUROC');
  return r.value;
};

test('hand-computed cases, ties counted half', () => {
  // 3 of 4 pairs ordered
  assert.equal(value([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // positive 0.5 ties negative 0.5 (half), beats 0.2: (0.5 + 1 + 1 + 1) / 4
  assert.equal(value([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1]), 3.5 / 4);
  // all scores equal
  assert.equal(value([3, 3, 3, 3, 3], [1, 0, 1, 0, 0]), 0.5);
  assert.equal(value([1, 0], [1, 0]), 1);
  assert.equal(value([1, 0], [0, 1]), 0);
});

test('agrees with O(PxN) pair counting on generated data with and without ties', () => {
  for (const levels of [0, 7, 50]) {
    const { scores, truth } = syntheticLabel(400, 0.3, 1, 11 + levels, levels);
    assert.equal(value(scores, truth), bruteAuroc(scores, truth));
  }
});

test('invariances: monotone transform, image order, flipping classes and score sign', () => {
  const { scores, truth } = syntheticLabel(300, 0.25, 0.8, 5, 20);
  const a = value(scores, truth);
  assert.equal(value(scores.map((s) => Math.exp(3 * s) - 7), truth), a);
  const perm = Array.from(scores.keys()).reverse();
  assert.equal(value(perm.map((i) => scores[i]), perm.map((i) => truth[i])), a);
  assert.ok(Math.abs(value(scores, truth.map((t) => 1 - t)) - (1 - a)) < 1e-15);
  assert.ok(Math.abs(value(scores.map((s) => -s), truth) - (1 - a)) < 1e-15);
});

test('near-ties in the last ulp stay distinct', () => {
  const x = 0.6535494669979387;
  const next = x + Number.EPSILON / 2;
  assert.notEqual(x, next);
  assert.equal(value([x, next], [0, 1]), 1);
  assert.equal(value(new Float32Array([0.1, 0.1]), [0, 1]), 0.5);
});

test('one class only is undefined with a reason, not NaN', () => {
  const r = auroc([0.2, 0.7], [0, 0]);
  assert.deepEqual([r.defined, !r.defined && r.reason], [false, 'no-positives']);
  const q = auroc([0.2, 0.7], [1, 1]);
  assert.deepEqual([q.defined, !q.defined && q.reason], [false, 'no-negatives']);
});

test('bad input is rejected with INVALID_ARGUMENT', () => {
  const bad = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof CxrError && e.code === 'INVALID_ARGUMENT' && re.test(e.message));
  bad(() => auroc([0.1, NaN], [0, 1]), /NaN/);
  bad(() => auroc([0.1, 0.2], [0, 2]), /0 or 1/);
  bad(() => auroc([0.1, 0.2, 0.3], [0, 1]), /3 scores/);
  bad(() => auroc([], []), /empty/);
});
