import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { CxrError } from '../../src/errors/cxr-error';
import { createLogger } from '../../src/observability/logger';
import { validateThreadBudget } from '../../src/runtime/execution-provider';
import { engine, imageTensor, registerTiny, tempStore, tensorBytes } from './runtime-fixtures';

const ortBin = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', 'x64');
const hasCuda = existsSync(join(ortBin, 'libonnxruntime_providers_cuda.so'));

test('workers x intra-op threads may not exceed the cores', () => {
  assert.doesNotThrow(() => validateThreadBudget({ workers: 2, intraOpThreads: 1, cores: 2 }));
  assert.throws(
    () => validateThreadBudget({ workers: 2, intraOpThreads: 2, cores: 2 }),
    (e: CxrError) => e.code === 'INVALID_ARGUMENT' && /exceeds the 2 cores/.test(e.message),
  );
  assert.throws(() => validateThreadBudget({ workers: 0, intraOpThreads: 1, cores: 2 }), (e: CxrError) => e.code === 'INVALID_ARGUMENT');
  const t = tempStore();
  try {
    assert.throws(() => engine(t.store, { workers: 3, cores: 2 }), /exceeds/);
  } finally {
    t.cleanup();
  }
});

test('auto without a CUDA provider serves on CPU, says so (warn log + event) and reports the provider in use; cuda alone fails the load', { skip: hasCuda ? 'CUDA provider library present: fallback not testable here' : false }, async () => {
  const { store, cleanup } = tempStore();
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _e, cb) => { lines.push(String(chunk)); cb(); } });
  registerTiny(store, 'gpu');
  const auto = engine(store, { executionProvider: 'auto', workers: 1, logger: createLogger({ level: 'info', destination: sink }) });
  const fallbacks: string[] = [];
  auto.events.on('provider-fallback', (f) => fallbacks.push(f.model));
  try {
    const r = await auto.predict('gpu', undefined, { data: tensorBytes(imageTensor(1)), mediaType: 'tensor' });
    assert.equal(r.modelVersion, 1);
    assert.equal(auto.executionProviderOf('gpu', 1), 'cpu');
    assert.deepEqual(fallbacks, ['gpu']);
    // An installed CUDA provider that fails to load logs at error; none installed at all is a warning.
    const said = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).find((l) => /CUDA/.test(l.msg));
    assert.equal(said?.level, 'warn');
  } finally {
    await auto.close();
  }
  const cuda = engine(store, { executionProvider: 'cuda', workers: 1 });
  try {
    await assert.rejects(cuda.models.load('gpu', 1), (e: CxrError) => e.code === 'FAILED_PRECONDITION' && /failed to load/.test(e.message));
  } finally {
    await cuda.close();
    cleanup();
  }
});
