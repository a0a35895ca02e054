import type { BootstrapSummary } from './bootstrap-summary';
import type { DelongInterval } from './delong';
import type { RocCurve } from './roc-curve';
import type { UndefinedReason, UndefinedStatistic } from './undefined-statistic';
import type { OperatingPoint } from './youden';

/** The shapes Evaluate and Compare return for one model. */
export interface LabelCounts {
  label: string;
  n: number;
  positives: number;
  negatives: number;
}

export type DefinedBootstrap = { defined: true } & BootstrapSummary;
export type DefinedDelong = { defined: true } & DelongInterval;

export interface DefinedLabelStats extends LabelCounts {
  defined: true;
  auroc: number;
  bootstrap: DefinedBootstrap | UndefinedStatistic;
  delong: DefinedDelong | UndefinedStatistic;
  youden: OperatingPoint;
  roc: RocCurve;
}

/** A label with no positives or no negatives in the split: no AUROC, left out of the mean. */
export interface UndefinedLabelStats extends LabelCounts {
  defined: false;
  reason: UndefinedReason;
  detail: string;
}

export type LabelStats = DefinedLabelStats | UndefinedLabelStats;

export interface ExcludedLabel {
  label: string;
  reason: UndefinedReason;
  detail: string;
}

export interface DefinedMeanAuroc {
  defined: true;
  /** Macro mean of the included labels' AUROCs. */
  auroc: number;
  labelsIncluded: string[];
  labelsExcluded: ExcludedLabel[];
  bootstrap: DefinedBootstrap | UndefinedStatistic;
  delong: DefinedDelong | UndefinedStatistic;
}

export type MeanAuroc = DefinedMeanAuroc | (UndefinedStatistic & { labelsIncluded: string[]; labelsExcluded: ExcludedLabel[] });

export interface ModelEvaluation {
  labels: LabelStats[];
  mean: MeanAuroc;
}
