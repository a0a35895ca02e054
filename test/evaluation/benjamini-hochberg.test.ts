import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg } from '../../src/evaluation/benjamini-hochberg';

test('matches the step-up definition (R p.adjust "BH"), computed by hand', () => {
  // m = 5, sorted p: .01 .02 .03 .04 .20 -> .05 .05 .05 .05 .20
  const adj = benjaminiHochberg([0.04, 0.01, 0.2, 0.03, 0.02]);
  const expected = [0.05, 0.05, 0.2, 0.05, 0.05];
  adj.forEach((p, i) => assert.ok(Math.abs((p as number) - expected[i]) < 1e-15, `${i}: ${p}`));
  // monotone step-up: .001 .04 .045 over m=3 -> .003 .045 .045
  const b = benjaminiHochberg([0.045, 0.001, 0.04]) as number[];
  [0.045, 0.003, 0.045].forEach((e, i) => assert.ok(Math.abs(b[i] - e) < 1e-15));
});

test('null P values pass through and do not count; results capped at 1', () => {
  assert.deepEqual(benjaminiHochberg([null, 0.5, null, 0.9]), [null, 0.9, null, 0.9]);
  assert.deepEqual(benjaminiHochberg([1, 1]), [1, 1]);
  assert.deepEqual(benjaminiHochberg([]), []);
});
