import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImagePrediction, ImageRequest } from '../runtime/prediction';
import { CxrError } from '../errors/cxr-error';
import type { ManifestRow } from '../dataset/manifest';
import type { StoredPredictions } from '../store/prediction-repository';

/** The batched runtime's entry point (InferenceEngine.predict), or anything of the same shape. */
export type PredictFn = (
  modelName: string,
  version: string | undefined,
  image: ImageRequest,
  opts: { deadline?: number; signal?: AbortSignal },
) => Promise<ImagePrediction>;

export interface PredictSplitArgs {
  predict: PredictFn;
  modelName: string;
  version: number;
  /** Every output of the model, in head order: all are stored so any label subset can reuse them. */
  labels: string[];
  rows: readonly ManifestRow[];
  /** Requests in flight; enough to fill the runtime's batches. */
  concurrency: number;
  signal?: AbortSignal;
  /** Called after each image. */
  onImage?: (done: number) => void;
}

const MAX_BUSY_RETRIES = 50;

/**
 * Scores every row through `predict` with bounded concurrency. The first failure stops new
 * requests and is thrown naming the manifest row: never the file name, which may carry patient
 * identifiers.
 */
export async function predictSplit(a: PredictSplitArgs): Promise<StoredPredictions> {
  const n = a.rows.length;
  const scores = a.labels.map(() => new Array<number>(n).fill(0));
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  a.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let next = 0;
  let done = 0;
  let failure: CxrError | null = null;

  const one = async (i: number): Promise<void> => {
    const row = a.rows[i];
    let data: Buffer;
    try {
      data = await readFile(row.imagePath);
    } catch {
      throw new CxrError('FAILED_PRECONDITION', `manifest row ${row.row}: image file cannot be read`);
    }
    const result = await predictWithRetry(a, data, stop.signal, row.row);
    const byLabel = new Map(result.scores.map((s) => [s.label, s.probability]));
    for (let l = 0; l < a.labels.length; l++) {
      const p = byLabel.get(a.labels[l]);
      if (p === undefined || !Number.isFinite(p)) {
        throw new CxrError('INTERNAL', `manifest row ${row.row}: the model returned no finite score for '${a.labels[l]}'`);
      }
      scores[l][i] = p;
    }
  };

  const lane = async (): Promise<void> => {
    while (failure === null && !stop.signal.aborted && next < n) {
      const i = next++;
      try {
        await one(i);
        done++;
        a.onImage?.(done);
      } catch (err) {
        failure ??= CxrError.from(err);
        stop.abort();
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(a.concurrency, n)) }, lane));
  } finally {
    a.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (a.signal?.aborted) throw new CxrError('CANCELLED', 'evaluation stopped');
  if (failure) throw failure;
  return { labels: [...a.labels], rows: a.rows.map((r) => r.row), scores };
}

async function predictWithRetry(a: PredictSplitArgs, data: Uint8Array, signal: AbortSignal, row: number): Promise<ImagePrediction> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await a.predict(a.modelName, String(a.version), { data, mediaType: 'auto' }, { signal });
    } catch (err) {
      const e = CxrError.from(err);
      if (signal.aborted) throw e;
      // A full queue is back-pressure, not a verdict on this image: wait and try again.
      if (e.code === 'RESOURCE_EXHAUSTED' && attempt < MAX_BUSY_RETRIES) {
        await sleep(Math.min(1000, 20 * (attempt + 1)));
        continue;
      }
      if (e.code === 'INVALID_ARGUMENT') {
        throw new CxrError('INVALID_ARGUMENT', `manifest row ${row}: image cannot be decoded or preprocessed (${e.message})`);
      }
      throw new CxrError(e.code, `manifest row ${row}: prediction failed: ${e.message}`);
    }
  }
}
