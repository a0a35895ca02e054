import assert from 'node:assert/strict';
import { CxrError } from '../../src/errors/cxr-error';

/** `fn` throws a CxrError INVALID_ARGUMENT whose message matches `pattern`; returns it. */
export function rejectsInvalid(fn: () => unknown, pattern: RegExp): CxrError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CxrError, `expected CxrError, got ${String(err)}`);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected INVALID_ARGUMENT matching ${pattern}, but nothing was thrown`);
}
