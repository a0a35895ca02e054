import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, validateLrSchedule } from '../../src/training/lr-schedule';
import { CxrError } from '../../src/errors/cxr-error';

test('constant schedule returns the base rate at every step', () => {
  for (const s of [0, 1, 1000]) assert.equal(learningRate({ kind: 'constant' }, 1e-5, s), 1e-5);
});

test('cosine with warm-up ramps linearly, peaks, and decays to the floor', () => {
  const sch = { kind: 'cosine' as const, warmupSteps: 10, totalSteps: 110 };
  assert.equal(learningRate(sch, 1, 0), 0);
  assert.equal(learningRate(sch, 1, 5), 0.5);
  assert.equal(learningRate(sch, 1, 10), 1);
  assert.ok(Math.abs(learningRate(sch, 1, 60) - 0.5) < 1e-12);
  assert.ok(Math.abs(learningRate(sch, 1, 110)) < 1e-12);
  assert.ok(Math.abs(learningRate(sch, 1, 500)) < 1e-12);
  assert.ok(Math.abs(learningRate({ ...sch, minRatio: 0.1 }, 2, 110) - 0.2) < 1e-12);
  for (let s = 11; s <= 110; s++) assert.ok(learningRate(sch, 1, s) <= learningRate(sch, 1, s - 1));
});

test('bad schedules are INVALID_ARGUMENT with a field', () => {
  for (const bad of [
    { kind: 'cosine' as const, warmupSteps: -1, totalSteps: 10 },
    { kind: 'cosine' as const, warmupSteps: 20, totalSteps: 10 },
    { kind: 'cosine' as const, warmupSteps: 0, totalSteps: 0 },
    { kind: 'cosine' as const, warmupSteps: 0, totalSteps: 5, minRatio: 2 },
  ]) {
    assert.throws(() => validateLrSchedule(bad), (e: unknown) => e instanceof CxrError && e.code === 'INVALID_ARGUMENT' && e.violations.length === 1);
  }
});
