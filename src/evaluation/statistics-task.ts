import { compareModels } from './evaluator';
import { buildReport, type Report } from './report';
import { renderHtmlReport } from './html-report';

/** One report's worth of statistics: what the statistics worker receives. */
export interface StatisticsTask {
  labels: string[];
  /** Per label, one 0/1 per image. */
  truth: Uint8Array[];
  /** Per model, per label, one score per image; the first model is "A" in every pair. */
  models: { name: string; scores: Float64Array[] }[];
  seed: number;
  resamples: number;
  level: number;
  /** Free text naming the split in the report (never image identifiers). */
  split: string;
}

export interface StatisticsOutcome {
  report: Report;
  html: string;
}

/**
 * AUROC, bootstrap, DeLong and paired tests, the JSON report and its HTML page. The plan is drawn
 * from the seed and the split size, so every job on the same split resamples the same images.
 */
export async function runStatistics(task: StatisticsTask, onProgress?: (done: number, total: number) => void): Promise<StatisticsOutcome> {
  const result = compareModels({
    labels: task.labels,
    truth: task.truth,
    models: task.models,
    seed: task.seed,
    resamples: task.resamples,
    level: task.level,
    onProgress,
  });
  const report = buildReport(result, { split: task.split });
  return { report, html: await renderHtmlReport(report) };
}
