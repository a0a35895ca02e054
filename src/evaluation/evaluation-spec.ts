import { CxrError, invalidArgument, type FieldViolation } from '../errors/cxr-error';
import { DEFAULT_RESAMPLES } from './bootstrap-plan';

/** A model as a request names it; an empty version means the serving version at request time. */
export interface ModelSelector {
  name: string;
  version?: string | number;
}

/** Where the labelled images are: a manifest under the dataset root and one of its splits. */
export interface DatasetSpec {
  /** Relative to the dataset root. */
  manifestPath: string;
  /** Empty: every row. */
  split?: string;
  pathColumn?: string;
  splitColumn?: string;
  /** Empty: the model's labels that are manifest columns (for Compare: those of every model). */
  labelColumns?: string[];
  conventions?: { uncertainAsPositive?: boolean; gradedPositiveThreshold?: number };
}

export interface StatisticsSpec {
  /** Default 1000. */
  resamples?: number;
  /** Default 0. */
  seed?: number;
  /** Default 0.95. */
  confidence?: number;
}

export interface EvaluateRequestSpec {
  model: ModelSelector;
  dataset: DatasetSpec;
  statistics?: StatisticsSpec;
  storeOperatingPoints?: boolean;
}

export interface CompareRequestSpec {
  /** The first is the reference ("A") of every paired P value. */
  models: ModelSelector[];
  dataset: DatasetSpec;
  statistics?: StatisticsSpec;
}

/**
 * What a job stores: versions pinned to numbers (a resumed job evaluates exactly what was asked
 * even if the serving version moved), labels resolved, defaults filled in.
 */
export interface EvaluationJobSpec {
  models: { name: string; version: number }[];
  dataset: Required<Omit<DatasetSpec, 'conventions'>> & { conventions: { uncertainAsPositive: boolean; gradedPositiveThreshold: number } };
  statistics: Required<StatisticsSpec>;
  storeOperatingPoints: boolean;
}

/** Statistics defaults and range checks, as field violations. */
export function normalizeStatistics(s: StatisticsSpec | undefined, field = 'statistics'): Required<StatisticsSpec> {
  const resamples = s?.resamples || DEFAULT_RESAMPLES;
  const seed = s?.seed ?? 0;
  const confidence = s?.confidence || 0.95;
  const v: FieldViolation[] = [];
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > 100_000) {
    v.push({ field: `${field}.resamples`, description: 'an integer from 1 to 100000 (0: the default, 1000)' });
  }
  if (!Number.isSafeInteger(seed) || seed < 0) v.push({ field: `${field}.seed`, description: 'a non-negative integer below 2^53' });
  if (!(confidence > 0 && confidence < 1)) v.push({ field: `${field}.confidence`, description: 'a level in (0, 1), e.g. 0.95 (0: the default)' });
  if (v.length) throw invalidArgument('statistics options are out of range', v);
  return { resamples, seed, confidence };
}

export function normalizeDataset(d: DatasetSpec | undefined, field = 'dataset'): EvaluationJobSpec['dataset'] {
  if (!d || typeof d.manifestPath !== 'string' || d.manifestPath.trim() === '') {
    throw invalidArgument('a dataset manifest is required', [{ field: `${field}.manifest_path`, description: 'manifest CSV path relative to the dataset root' }]);
  }
  const threshold = d.conventions?.gradedPositiveThreshold ?? 0;
  if (!Number.isInteger(threshold) || threshold < 0) {
    throw invalidArgument('graded positive threshold must be a non-negative integer', [
      { field: `${field}.conventions.graded_positive_threshold`, description: '0: binary labels; e.g. 3 for UKA-CXR grades 0-4' },
    ]);
  }
  const labels = d.labelColumns ?? [];
  if (new Set(labels).size !== labels.length) {
    throw invalidArgument('label columns repeat a name', [{ field: `${field}.label_columns`, description: 'each label once' }]);
  }
  return {
    manifestPath: d.manifestPath,
    split: d.split ?? '',
    pathColumn: d.pathColumn || 'path',
    splitColumn: d.splitColumn || 'split',
    labelColumns: [...labels],
    conventions: { uncertainAsPositive: d.conventions?.uncertainAsPositive ?? false, gradedPositiveThreshold: threshold },
  };
}

/** Re-labels an error's field violations under `prefix` (e.g. manifest errors under `dataset.`), adding one when it has none. */
export function underField(err: unknown, prefix: string, fallbackField: string): CxrError {
  const e = CxrError.from(err);
  if (e.code !== 'INVALID_ARGUMENT') return e;
  const violations = e.violations.length
    ? e.violations.map((v) => ({ field: v.field.startsWith(prefix) ? v.field : `${prefix}${v.field}`, description: v.description }))
    : [{ field: fallbackField, description: e.message }];
  return new CxrError('INVALID_ARGUMENT', e.message, { violations });
}
