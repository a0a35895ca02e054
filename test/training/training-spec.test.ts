import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeTrainingSpec, STUDY_HYPERPARAMETERS } from '../../src/training/training-spec';
import { CxrError } from '../../src/errors/cxr-error';

test('defaults follow the study', () => {
  const s = normalizeTrainingSpec({ initModelName: 'dinov2', outputModelName: 'out', dataset: { manifestPath: 'm.csv' } });
  assert.deepEqual(s.hyper, STUDY_HYPERPARAMETERS);
  assert.deepEqual(s.scope, { kind: 'full' });
  assert.deepEqual(s.augmentation, { flipProbability: 0.5, maxRotationDeg: 7 });
  assert.equal(s.trainSplit, 'train');
  assert.equal(s.validationSplit, 'val');
});

test('every bad field is reported at once with its request path', () => {
  try {
    normalizeTrainingSpec({
      outputModelName: 'out',
      dataset: {},
      hyper: { batchSize: 0, learningRate: -1, gradientAccumulation: 1.5 },
      scope: { kind: 'lora', rank: 0, alpha: 16 },
      augmentation: { flipProbability: 2, maxRotationDeg: 7 },
      trainSplit: 'x',
      validationSplit: 'x',
    });
    assert.fail('expected INVALID_ARGUMENT');
  } catch (e) {
    assert.ok(e instanceof CxrError && e.code === 'INVALID_ARGUMENT');
    assert.deepEqual(e.violations.map((x) => x.field).sort(), [
      'augmentation.flip_probability', 'dataset.manifest_path', 'hyperparameters.batch_size', 'hyperparameters.gradient_accumulation',
      'hyperparameters.learning_rate', 'init_model_name', 'scope.lora_rank', 'validation_split',
    ]);
  }
});
