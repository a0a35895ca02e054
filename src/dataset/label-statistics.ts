import { invalidArgument } from '../errors/cxr-error';
import type { ManifestRow } from './manifest';

export interface LabelStatistics {
  /** N: number of images. */
  count: number;
  /** P_c: positives per label. */
  positives: number[];
  /** pos_weight_c = (N - P_c) / P_c, the BCE weight that balances each label. */
  posWeight: number[];
}

/**
 * Per-label positive counts and pos_weight over `rows` (the training split). A label with no
 * positive example has no defined pos_weight and cannot be learnt, so it is an error naming it.
 */
export function labelStatistics(rows: readonly Pick<ManifestRow, 'targets'>[], labels: readonly string[]): LabelStatistics {
  const n = rows.length;
  const positives = new Array<number>(labels.length).fill(0);
  for (const r of rows) for (let c = 0; c < labels.length; c++) positives[c] += r.targets[c];
  const missing = labels.filter((_, c) => positives[c] === 0);
  if (missing.length > 0) {
    throw invalidArgument(`label(s) ${missing.map((l) => `'${l}'`).join(', ')} have no positive example in the training split`, missing.map((l) => ({
      field: 'label_columns',
      description: `'${l}' has P=0, so pos_weight=(N-P)/P is undefined; drop the label or add positives`,
    })));
  }
  return { count: n, positives, posWeight: positives.map((p) => (n - p) / p) };
}
