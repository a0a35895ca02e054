import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInferenceModel } from '../../src/model/vit-graph';
import { tempStore, tinyDescription, engine, imageTensor, tensorBytes, LABELS } from './runtime-fixtures';
import { randomWeights } from '../model/vit-fixtures';

test('on CPU a version with an fp16 graph is served from its fp32 graph', async () => {
  const { store, cleanup } = tempStore();
  const desc = tinyDescription();
  const w = randomWeights(desc, 2);
  const staging = store.createStagingDir('fp16');
  writeFileSync(join(staging, 'model.onnx'), buildInferenceModel(desc, w, { attention: 'plain' }));
  // An fp16 "graph" ONNX Runtime cannot load: serving it would fail the request.
  writeFileSync(join(staging, 'model.fp16.onnx'), new Uint8Array([1, 2, 3]));
  store.models.registerVersion({
    modelName: 'm', stagingDir: staging,
    spec: {
      labels: LABELS, preprocessing: 'study-2024', imageSize: desc.imageSize, architecture: desc as unknown as Record<string, unknown>,
      architectureSummary: 'tiny', operatingPoints: [], usableAsInit: false, files: { graph: 'model.onnx', graphFp16: 'model.fp16.onnx' },
      provenance: { initKind: 'random', source: 'test', sha256: '', checkpointFormat: 'none', posEmbedInterpolation: 'none', headKept: true },
    },
  });
  const e = engine(store, { executionProvider: 'cpu', workers: 1 });
  try {
    const r = await e.predict('m', undefined, { data: tensorBytes(imageTensor(1)), mediaType: 'tensor' });
    assert.equal(r.scores.length, LABELS.length);
    assert.equal(e.executionProviderOf('m', 1), 'cpu');
  } finally {
    await e.close();
    cleanup();
  }
});
