import { resampleMultiplicities, type BootstrapPlan } from './bootstrap-plan';
import type { RankedLabel } from './ranked-label';
import { weightedAuroc } from './weighted-auroc';

/**
 * AUROC of every (model, label) in every resample of the plan, plus each model's macro mean.
 * `ranked[model][label]` is null for labels left out (undefined in the split).
 * A resample with no positive or no negative for a label gives NaN there (truth is shared, so
 * for every model alike); the mean of a resample is NaN when any included label is NaN in it, so
 * the mean is always over the same labels. Callers count NaN entries as skipped resamples.
 * Multiplicities are computed once per resample and shared by all labels and models.
 */
export interface BootstrapAurocs {
  /** [model][label] -> one AUROC per resample (null for left-out labels). */
  perLabel: (Float64Array | null)[][];
  /** [model] -> macro-mean AUROC per resample over the included labels. */
  mean: Float64Array[];
}

export function bootstrapAurocs(
  plan: BootstrapPlan,
  ranked: (RankedLabel | null)[][],
  onProgress?: (done: number, total: number) => void,
): BootstrapAurocs {
  const B = plan.resamples;
  const models = ranked.length;
  const labelCount = models > 0 ? ranked[0].length : 0;
  const included: number[] = [];
  for (let l = 0; l < labelCount; l++) if (ranked[0][l]) included.push(l);
  const perLabel = ranked.map((row) => row.map((r) => (r ? new Float64Array(B) : null)));
  const mean = ranked.map(() => new Float64Array(B));
  const multiplicity = new Int32Array(plan.n);
  const progressEvery = Math.max(1, Math.floor(B / 100));
  for (let b = 0; b < B; b++) {
    resampleMultiplicities(plan, b, multiplicity);
    for (let k = 0; k < models; k++) {
      let sum = 0;
      for (const l of included) {
        const a = weightedAuroc(ranked[k][l] as RankedLabel, multiplicity);
        (perLabel[k][l] as Float64Array)[b] = a;
        sum += a;
      }
      mean[k][b] = included.length > 0 ? sum / included.length : NaN;
    }
    if (onProgress && ((b + 1) % progressEvery === 0 || b + 1 === B)) onProgress(b + 1, B);
  }
  return { perLabel, mean };
}
