import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/load-config';
import { SETTINGS } from '../../src/config/settings';
import { tempDir } from '../helpers/service';

test('defaults, then file, then environment', () => {
  const d = tempDir();
  const file = join(d.path, 'cxr.yaml');
  writeFileSync(file, 'grpc:\n  port: 6000\nbatching.maxBatchSize: 4\n');
  const c = loadConfig({ env: { CXR_MAX_BATCH_SIZE: '16' }, file });
  assert.equal(c['grpc.port'], 6000);
  assert.equal(c['batching.maxBatchSize'], 16);
  assert.equal(c['log.level'], 'info');
  d.cleanup();
});

test('bad values name the key and where they came from', () => {
  assert.throws(() => loadConfig({ env: { CXR_GRPC_PORT: '70000' } }), (e: Error) => e instanceof ConfigError && /CXR_GRPC_PORT \(grpc\.port\).*<= 65535/.test(e.message));
  assert.throws(() => loadConfig({ env: { CXR_EXECUTION_PROVIDER: 'tpu' } }), /runtime\.executionProvider.*auto, cpu, cuda/);
  assert.throws(() => loadConfig({ env: { CXR_METRICS_ENABLED: 'maybe' } }), /CXR_METRICS_ENABLED/);
  const d = tempDir();
  const file = join(d.path, 'bad.yaml');
  writeFileSync(file, 'grpc:\n  prot: 1\n');
  assert.throws(() => loadConfig({ env: {}, file }), /unknown key "grpc\.prot"/);
  d.cleanup();
});

test('the README documents every setting', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  for (const s of SETTINGS) assert.ok(readme.includes(`\`${s.env}\``), `README lacks ${s.env}`);
});
