import { invalidArgument } from '../errors/cxr-error';

/**
 * Learning-rate schedules, evaluated on the JS side and fed to the step graph as a scalar, so a
 * schedule change never rebuilds the graph. The study used a constant rate.
 */
export type LrSchedule =
  | { kind: 'constant' }
  /**
   * Linear warm-up from 0, then half a cosine down to `minRatio` x base (default 0). Same curve as
   * transformers' get_cosine_schedule_with_warmup: optimiser step t (0-based) uses t / warmup.
   */
  | { kind: 'cosine'; warmupSteps: number; totalSteps: number; minRatio?: number };

/** Learning rate for optimiser step `step` (0-based). */
export function learningRate(schedule: LrSchedule, baseLr: number, step: number): number {
  if (schedule.kind === 'constant') return baseLr;
  const { warmupSteps, totalSteps } = schedule;
  const minRatio = schedule.minRatio ?? 0;
  if (step < warmupSteps) return (baseLr * step) / Math.max(1, warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return baseLr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Checks a schedule from a request; `field` prefixes the violation paths. */
export function validateLrSchedule(schedule: LrSchedule, field = 'lr_schedule'): void {
  if (schedule.kind === 'constant') return;
  if (schedule.kind !== 'cosine') throw invalidArgument(`unknown learning-rate schedule`, [{ field: `${field}.kind`, description: "must be 'constant' or 'cosine'" }]);
  const bad = (f: string, d: string) => invalidArgument(`invalid cosine schedule: ${f} ${d}`, [{ field: `${field}.${f}`, description: d }]);
  if (!Number.isInteger(schedule.warmupSteps) || schedule.warmupSteps < 0) throw bad('warmup_steps', 'must be an integer >= 0');
  if (!Number.isInteger(schedule.totalSteps) || schedule.totalSteps < 1) throw bad('total_steps', 'must be an integer >= 1');
  if (schedule.warmupSteps > schedule.totalSteps) throw bad('warmup_steps', 'must not exceed total_steps');
  const m = schedule.minRatio ?? 0;
  if (!(m >= 0 && m <= 1)) throw bad('min_ratio', 'must be in [0, 1]');
}
