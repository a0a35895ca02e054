import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { CxrError, failedPrecondition, invalidArgument } from '../errors/cxr-error';
import { DataRoot } from '../dataset/data-root';
import { parseManifest, splitRows, type ManifestRow } from '../dataset/manifest';
import { validateModelName, type ModelVersionRecord } from '../store/model-repository';
import type { Store } from '../store/store';
import { normalizeDataset, normalizeStatistics, underField, type DatasetSpec, type EvaluationJobSpec, type ModelSelector, type StatisticsSpec } from './evaluation-spec';

/** Everything a job needs, checked: the models, the split's rows and the labels to score. */
export interface EvaluationPlan {
  spec: EvaluationJobSpec;
  models: ModelVersionRecord[];
  /** Labels evaluated, in report order; every model outputs each of them. */
  labels: string[];
  /** Rows of the split in manifest order; `targets` follow `labels`. */
  rows: ManifestRow[];
  /**
   * Identifies the split's content (manifest bytes, split and columns). Predictions are stored
   * under it with every output of the model, so any later label subset reuses them.
   */
  datasetKey: string;
}

export interface PlanRequest {
  models: ModelSelector[];
  dataset: DatasetSpec | EvaluationJobSpec['dataset'];
  statistics?: StatisticsSpec;
  storeOperatingPoints?: boolean;
}

/**
 * Validates a request against the store and the dataset root, or throws (INVALID_ARGUMENT with
 * field violations, NOT_FOUND for an unknown model) before anything is stored. Runs again when a
 * job starts, so a resumed job re-reads its manifest.
 */
export function planEvaluation(store: Store, datasetRoot: string, req: PlanRequest, modelsField = 'models'): EvaluationPlan {
  const statistics = normalizeStatistics(req.statistics);
  const dataset = normalizeDataset(req.dataset);
  const models = resolveModels(store, req.models, modelsField);

  const root = new DataRoot(datasetRoot);
  let manifestFile: string;
  try {
    manifestFile = root.resolve(dataset.manifestPath, 'dataset.manifest_path');
  } catch (err) {
    throw underField(err, 'dataset.', 'dataset.manifest_path');
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(manifestFile);
  } catch {
    throw invalidArgument('manifest file cannot be read', [{ field: 'dataset.manifest_path', description: 'a readable CSV file under the dataset root' }]);
  }
  const text = bytes.toString('utf8');
  const header = readHeader(text);
  const labels = chooseLabels(models, header, dataset);

  let rows: ManifestRow[];
  try {
    const manifest = parseManifest(text, {
      dataRoot: root,
      pathColumn: dataset.pathColumn,
      splitColumn: dataset.splitColumn,
      labelColumns: labels,
      labels: {
        uncertain: dataset.conventions.uncertainAsPositive ? 'positive' : 'negative',
        positiveAtOrAbove: dataset.conventions.gradedPositiveThreshold > 0 ? dataset.conventions.gradedPositiveThreshold : 1,
      },
    });
    rows = dataset.split === '' ? manifest.rows : splitRows(manifest, dataset.split);
  } catch (err) {
    throw underField(err, 'dataset.', 'dataset.manifest_path');
  }

  const datasetKey = createHash('sha256')
    .update(JSON.stringify({
      manifestSha256: createHash('sha256').update(bytes).digest('hex'),
      split: dataset.split,
      pathColumn: dataset.pathColumn,
      splitColumn: dataset.splitColumn,
    }))
    .digest('hex');

  return {
    spec: {
      models: models.map((m) => ({ name: m.modelName, version: m.version })),
      dataset: { ...dataset, labelColumns: dataset.labelColumns },
      statistics,
      storeOperatingPoints: req.storeOperatingPoints ?? false,
    },
    models,
    labels,
    rows,
    datasetKey,
  };
}

/** How a model appears in reports and tables: unique even when two versions of one model are compared. */
export function modelDisplayName(m: { modelName: string; version: number }): string {
  return `${m.modelName}@${m.version}`;
}

function resolveModels(store: Store, selectors: ModelSelector[], field: string): ModelVersionRecord[] {
  if (selectors.length === 0) throw invalidArgument('no model named', [{ field, description: 'name the model to evaluate' }]);
  const out = selectors.map((s, i) => {
    const f = selectors.length === 1 && field === 'model' ? 'model' : `${field}[${i}]`;
    if (!s || typeof s.name !== 'string' || s.name === '') throw invalidArgument('model name is required', [{ field: `${f}.name`, description: 'a registered model name' }]);
    try {
      validateModelName(s.name, `${f}.name`);
    } catch (err) {
      throw underField(err, '', `${f}.name`);
    }
    let v: ModelVersionRecord;
    try {
      v = store.models.resolve(s.name, s.version === undefined || s.version === '' ? undefined : s.version);
    } catch (err) {
      const e = CxrError.from(err);
      if (e.code === 'INVALID_ARGUMENT') throw invalidArgument(e.message, [{ field: `${f}.version`, description: 'a version number, or empty for the serving version' }]);
      throw e;
    }
    if (v.state !== 'READY') throw failedPrecondition(`model ${v.modelName} version ${v.version} is ${v.state}, not READY`);
    return v;
  });
  const names = out.map(modelDisplayName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw invalidArgument(`model ${dup} is named twice`, [{ field, description: 'each model version once' }]);
  return out;
}

function readHeader(text: string): string[] {
  try {
    const records = parse(text, { bom: true, to_line: 1, skip_empty_lines: true }) as string[][];
    if (records.length === 0) throw new Error('empty');
    return records[0].map((h) => h.trim());
  } catch {
    throw invalidArgument('manifest has no readable CSV header', [{ field: 'dataset.manifest_path', description: 'a CSV file whose first line names its columns' }]);
  }
}

function chooseLabels(models: ModelVersionRecord[], header: string[], d: EvaluationJobSpec['dataset']): string[] {
  const outputsOfAll = (label: string) => models.every((m) => m.labels.includes(label));
  if (d.labelColumns.length > 0) {
    const violations = d.labelColumns.flatMap((label, i) => {
      const lacking = models.filter((m) => !m.labels.includes(label)).map(modelDisplayName);
      return lacking.length ? [{ field: `dataset.label_columns[${i}]`, description: `'${label}' is not an output of ${lacking.join(', ')}` }] : [];
    });
    if (violations.length) throw invalidArgument(`label(s) not predicted by the model: ${violations.map((v) => v.description).join('; ')}`, violations);
    return [...d.labelColumns];
  }
  const reserved = new Set([d.pathColumn, d.splitColumn]);
  const labels = models[0].labels.filter((l) => outputsOfAll(l) && header.includes(l) && !reserved.has(l));
  if (labels.length === 0) {
    throw invalidArgument('no label of the model is a manifest column', [
      { field: 'dataset.label_columns', description: `model labels: ${models[0].labels.join(', ')}; name the columns to use or rename them` },
    ]);
  }
  return labels;
}
