/** Public surface of the evaluation statistics and reports. */
export { auroc, aurocOfRanked, type AurocResult } from './auroc';
export { benjaminiHochberg } from './benjamini-hochberg';
export {
  createBootstrapPlan, planFingerprint, resampleIndices, resampleMultiplicities,
  BOOTSTRAP_GENERATOR, DEFAULT_RESAMPLES, type BootstrapPlan,
} from './bootstrap-plan';
export { summariseBootstrap, percentile, type BootstrapSummary } from './bootstrap-summary';
export { confusionMetrics, type ConfusionCounts, type ConfusionMetrics } from './confusion-metrics';
export { delongInfluence, delongInterval, delongTest, type DelongInterval, type DelongTest } from './delong';
export {
  compareModels, evaluatePredictions,
  type ComparisonInput, type ComparisonResult, type EvaluationInput, type EvaluationResult, type ModelPredictions, type PlanInfo,
} from './evaluator';
export { formatTable } from './format-table';
export { renderHtmlReport } from './html-report';
export type * from './label-stats';
export type { ComparisonEntry, LabelComparison, ModelComparison } from './model-comparison';
export { rankLabel, type RankedLabel, type Scores, type Truth } from './ranked-label';
export { buildReport, REPORT_KIND, REPORT_VERSION, type BuildReportOptions, type Report, type ReportLabel, type ReportModel } from './report';
export { downsampleRoc, rocCurve, type RocCurve, type RocPoint } from './roc-curve';
export { SeededRandom } from './seeded-random';
export type { UndefinedReason, UndefinedStatistic } from './undefined-statistic';
export { operatingPoint, youdenPoint, type OperatingPoint } from './youden';
