/**
 * Cumulative statistics of one model version in the shape of Triton's ModelStatistics
 * (KServe v2 statistics extension), field for field in camelCase so a front end copies it over.
 * Units as Triton: counts, nanoseconds, lastInference in ms since the epoch.
 * - inferenceCount: images inferred; executionCount: batches run.
 * - inferenceStats: per REQUEST (one predict, or one inferTensor call of any batch); a request's
 *   compute durations are those of the batch(es) that served it, as in Triton.
 * - batchStats: per batch size, one entry per execution.
 */
export interface StatisticDuration {
  count: number;
  ns: number;
}

export interface InferStatistics {
  success: StatisticDuration;
  fail: StatisticDuration;
  queue: StatisticDuration;
  computeInput: StatisticDuration;
  computeInfer: StatisticDuration;
  computeOutput: StatisticDuration;
  cacheHit: StatisticDuration;
  cacheMiss: StatisticDuration;
}

export interface InferBatchStatistics {
  batchSize: number;
  computeInput: StatisticDuration;
  computeInfer: StatisticDuration;
  computeOutput: StatisticDuration;
}

export interface ModelStatistics {
  name: string;
  version: string;
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  inferenceStats: InferStatistics;
  batchStats: InferBatchStatistics[];
}

const zero = (): StatisticDuration => ({ count: 0, ns: 0 });
const add = (d: StatisticDuration, ns: number): void => {
  d.count++;
  d.ns += Math.max(0, Math.round(ns));
};

export class ModelStatisticsRecorder {
  private lastInference = 0;
  private inferenceCount = 0;
  private executionCount = 0;
  private readonly stats: InferStatistics = {
    success: zero(), fail: zero(), queue: zero(), computeInput: zero(), computeInfer: zero(), computeOutput: zero(), cacheHit: zero(), cacheMiss: zero(),
  };
  private readonly batches = new Map<number, InferBatchStatistics>();

  constructor(
    readonly name: string,
    readonly version: number,
  ) {}

  /** One batch executed successfully. */
  recordExecution(batchSize: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount++;
    this.inferenceCount += batchSize;
    this.lastInference = Date.now();
    let b = this.batches.get(batchSize);
    if (!b) this.batches.set(batchSize, (b = { batchSize, computeInput: zero(), computeInfer: zero(), computeOutput: zero() }));
    add(b.computeInput, inputNs);
    add(b.computeInfer, inferNs);
    add(b.computeOutput, outputNs);
  }

  recordSuccess(totalNs: number, queueNs: number, inputNs: number, inferNs: number, outputNs: number): void {
    add(this.stats.success, totalNs);
    add(this.stats.queue, queueNs);
    add(this.stats.computeInput, inputNs);
    add(this.stats.computeInfer, inferNs);
    add(this.stats.computeOutput, outputNs);
  }

  recordFailure(totalNs: number): void {
    add(this.stats.fail, totalNs);
  }

  snapshot(): ModelStatistics {
    const copy = (d: StatisticDuration): StatisticDuration => ({ ...d });
    const s = this.stats;
    return {
      name: this.name,
      version: String(this.version),
      lastInference: this.lastInference,
      inferenceCount: this.inferenceCount,
      executionCount: this.executionCount,
      inferenceStats: {
        success: copy(s.success), fail: copy(s.fail), queue: copy(s.queue), computeInput: copy(s.computeInput),
        computeInfer: copy(s.computeInfer), computeOutput: copy(s.computeOutput), cacheHit: copy(s.cacheHit), cacheMiss: copy(s.cacheMiss),
      },
      batchStats: [...this.batches.values()]
        .sort((a, b) => a.batchSize - b.batchSize)
        .map((b) => ({ batchSize: b.batchSize, computeInput: copy(b.computeInput), computeInfer: copy(b.computeInfer), computeOutput: copy(b.computeOutput) })),
    };
  }
}
