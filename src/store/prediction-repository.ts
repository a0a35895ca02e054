import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Db } from './database';
import { writeFileAtomic } from './atomic-file';

/**
 * A model version's scores on one dataset split, kept so that Compare reuses them instead of
 * running the model again. `datasetKey` identifies the split's content (manifest hash + split + labels).
 */
export interface StoredPredictions {
  labels: string[];
  /** Row identifiers in manifest order (row numbers, never file names). */
  rows: number[];
  /** scores[label][row] */
  scores: number[][];
}

export class PredictionRepository {
  constructor(
    private readonly db: Db,
    private readonly dir: string,
  ) {}

  save(modelName: string, version: number, datasetKey: string, p: StoredPredictions): void {
    const file = `${createHash('sha256').update(`${modelName}\0${version}\0${datasetKey}`).digest('hex').slice(0, 32)}.json`;
    writeFileAtomic(join(this.dir, file), JSON.stringify(p));
    this.db
      .prepare(
        `INSERT INTO predictions (model_name, model_version, dataset_key, file, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(model_name, model_version, dataset_key) DO UPDATE SET file = excluded.file, created_at = excluded.created_at`,
      )
      .run(modelName, version, datasetKey, file, new Date().toISOString());
  }

  find(modelName: string, version: number, datasetKey: string): StoredPredictions | null {
    const r = this.db
      .prepare('SELECT file FROM predictions WHERE model_name = ? AND model_version = ? AND dataset_key = ?')
      .get(modelName, version, datasetKey) as { file: string } | undefined;
    if (!r) return null;
    return JSON.parse(readFileSync(join(this.dir, r.file), 'utf8')) as StoredPredictions;
  }
}
