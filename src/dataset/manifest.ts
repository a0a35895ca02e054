import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { invalidArgument } from '../errors/cxr-error';
import { DataRoot } from './data-root';
import { binaryLabel, DEFAULT_LABEL_CONVENTION, type LabelConvention } from './label-convention';

/** How to read a dataset manifest: one row per image, one column per finding, a split column. */
export interface ManifestOptions {
  /** Directory image paths are relative to; nothing outside it is ever read. */
  dataRoot: string | DataRoot;
  /** Column holding the image path. Default 'path'. */
  pathColumn?: string;
  /** Column holding the split name (train/val/test...). Default 'split'. */
  splitColumn?: string;
  /** Optional column grouping images by patient (used for patient-level splitting/bootstrap). */
  patientColumn?: string;
  /** Label columns in output order. Default: every column except path, split and patient. */
  labelColumns?: string[];
  /** How raw cells become 0/1. Defaults: uncertain -> negative, blank -> negative, >= 1 positive. */
  labels?: Partial<LabelConvention>;
  /** Resolve every image through the file system (existence + symlink check). Default true. */
  verifyFiles?: boolean;
}

export interface ManifestRow {
  /** 1-based data row number (the header is not counted); what error messages cite. */
  row: number;
  /** Absolute path of the image inside the data root. */
  imagePath: string;
  split: string;
  /** Opaque patient key when a patient column was named; never log it. */
  patientId?: string;
  /** One 0/1 target per label, in `Manifest.labels` order. */
  targets: Uint8Array;
}

export interface Manifest {
  labels: string[];
  rows: ManifestRow[];
  /** Row count per split name. */
  splitCounts: Record<string, number>;
}

/** Reads and validates a manifest file. The manifest itself may live anywhere the caller allows. */
export function loadManifestFile(manifestPath: string, options: ManifestOptions): Manifest {
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch {
    throw invalidArgument('manifest file cannot be read', [{ field: 'manifest', description: 'must be a readable CSV file' }]);
  }
  return parseManifest(text, options);
}

/**
 * Parses and validates manifest text. Every problem is an INVALID_ARGUMENT naming the row and
 * column, so a job is rejected before it starts rather than failing hours in.
 */
export function parseManifest(text: string, options: ManifestOptions): Manifest {
  const root = options.dataRoot instanceof DataRoot ? options.dataRoot : new DataRoot(options.dataRoot);
  const convention: LabelConvention = { ...DEFAULT_LABEL_CONVENTION, ...options.labels };
  if (!Number.isFinite(convention.positiveAtOrAbove) || convention.positiveAtOrAbove <= 0) {
    throw invalidArgument('positive threshold must be a number > 0', [
      { field: 'labels.positive_at_or_above', description: 'graded labels >= this value count as positive' },
    ]);
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: false });
  } catch (err) {
    // csv-parse messages quote the offending field; keep only the position.
    const line = (err as { lines?: number }).lines;
    throw invalidArgument(`manifest is not valid CSV${line ? ` (near line ${line})` : ''}`, [
      { field: 'manifest', description: 'must be RFC 4180 CSV with a header row and the same number of fields on every row' },
    ]);
  }
  if (records.length === 0) throw invalidArgument('manifest is empty', [{ field: 'manifest', description: 'needs a header row and at least one image row' }]);
  const header = records[0].map((h) => h.trim());
  const column = (name: string, field: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw invalidArgument(`manifest has no column '${name}'`, [{ field, description: `header columns are: ${header.join(', ')}` }]);
    return i;
  };
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw invalidArgument(`manifest header repeats column '${dup}'`, [{ field: 'manifest', description: 'column names must be unique' }]);
  const pathCol = column(options.pathColumn ?? 'path', 'path_column');
  const splitCol = column(options.splitColumn ?? 'split', 'split_column');
  const patientCol = options.patientColumn === undefined ? -1 : column(options.patientColumn, 'patient_column');
  const reserved = new Set([pathCol, splitCol, patientCol]);
  const labelNames = options.labelColumns ?? header.filter((_, i) => !reserved.has(i));
  if (labelNames.length === 0) throw invalidArgument('manifest has no label columns', [{ field: 'label_columns', description: 'name at least one label column' }]);
  if (new Set(labelNames).size !== labelNames.length) throw invalidArgument('label columns repeat a name', [{ field: 'label_columns', description: 'each label once' }]);
  const labelCols = labelNames.map((name) => {
    const i = column(name, 'label_columns');
    if (reserved.has(i)) throw invalidArgument(`label column '${name}' is also the path, split or patient column`, [{ field: 'label_columns', description: 'must be distinct from path/split/patient columns' }]);
    return i;
  });
  const verify = options.verifyFiles ?? true;
  const rows: ManifestRow[] = [];
  const splitCounts: Record<string, number> = {};
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const where = `manifest row ${r}`;
    const imagePath = root.resolve(rec[pathCol], where, verify);
    const split = rec[splitCol].trim();
    if (split === '') throw invalidArgument(`${where}: split is blank`);
    const targets = new Uint8Array(labelCols.length);
    for (let c = 0; c < labelCols.length; c++) {
      targets[c] = binaryLabel(rec[labelCols[c]], convention, `${where}, column '${labelNames[c]}'`);
    }
    const row: ManifestRow = { row: r, imagePath, split, targets };
    if (patientCol >= 0) row.patientId = rec[patientCol].trim();
    rows.push(row);
    splitCounts[split] = (splitCounts[split] ?? 0) + 1;
  }
  if (rows.length === 0) throw invalidArgument('manifest has a header but no image rows', [{ field: 'manifest', description: 'needs at least one image row' }]);
  return { labels: labelNames, rows, splitCounts };
}

/** Rows of one split, in manifest order. Throws when the split is empty (a misspelt name). */
export function splitRows(manifest: Manifest, split: string, field = 'split'): ManifestRow[] {
  const rows = manifest.rows.filter((r) => r.split === split);
  if (rows.length === 0) {
    throw invalidArgument(`manifest has no rows in split '${split}'`, [
      { field, description: `splits present: ${Object.keys(manifest.splitCounts).join(', ')}` },
    ]);
  }
  return rows;
}

