import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { CxrError, invalidArgument } from '../errors/cxr-error';
import { serializeModel } from '../graph/serialize';
import type { PreprocessPreset } from '../image/preprocess';
import type { VitDescription, VitWeights } from '../model/vit-description';
import { ADAMW_FEEDS, adamWScalars, type AdamWConfig } from './adamw';
import { macroAuroc } from './auroc';
import { bceWithLogits } from './bce-loss';
import { epochPermutation } from './batch-order';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint';
import { DataLoader, type Sample } from './data-loader';
import { learningRate, type LrSchedule } from './lr-schedule';
import { initialTrainableValues, mergeTrainedWeights, trainableSet, type TrainableSet } from './trainable-parameters';
import { buildEvalGraph, buildTrainingGraph, names } from './training-graph';
import type { AugmentationSpec, HyperParameters, TrainableScope } from './training-spec';

export interface TrainerConfig {
  desc: VitDescription;
  initWeights: VitWeights;
  posWeight: number[];
  train: Sample[];
  validation: Sample[];
  preset: PreprocessPreset;
  hyper: HyperParameters;
  scope: TrainableScope;
  augmentation: AugmentationSpec | null;
  seed: number;
  /** Holds last.ckpt (resume point) and best.ckpt; a run resumes from last.ckpt when present. */
  checkpointDir: string;
  /** ORT intra-op threads (default: ORT's choice). */
  threads?: number;
  cacheBytes?: number;
}

export interface TrainerProgress {
  type: 'progress';
  phase: 'training' | 'validating';
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  /** Mean training loss over the recent steps. */
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface EpochSummary {
  epoch: number;
  trainLoss: number;
  validationLoss: number;
  validationAuroc: number;
  perLabelAuroc: number[];
  best: boolean;
}

export type TrainerEvent = TrainerProgress | ({ type: 'epoch' } & EpochSummary) | { type: 'checkpoint'; step: number; epoch: number; kind: 'last' | 'best' };

export interface TrainerHooks {
  onEvent?: (e: TrainerEvent) => void;
  /** Polled after every optimiser step; true stops the run after writing last.ckpt. */
  isCancelled?: () => boolean;
}

export interface TrainerResult {
  status: 'completed' | 'early-stopped' | 'cancelled';
  /** Optimiser steps taken in total (across resumes). */
  steps: number;
  /** Canonical weights of the best epoch (LoRA merged), or of the last state when no epoch finished. */
  weights: Map<string, Float32Array>;
  best: { epoch: number; validationLoss: number; validationAuroc: number } | null;
  history: EpochSummary[];
}

interface RunMeta {
  fingerprint: string;
  best: { epoch: number; validationLoss: number; validationAuroc: number; score: number } | null;
  epochsWithoutImprovement: number;
  history: EpochSummary[];
}

type BufferSet = { params: Map<string, ort.Tensor>; m: Map<string, ort.Tensor>; v: Map<string, ort.Tensor>; acc: Map<string, ort.Tensor> };

/**
 * Fine-tunes a ViT on ONNX Runtime with the project's own training-step graph. Blocking ORT
 * runs make this belong in a worker thread (training-worker.ts); it is a plain class so tests
 * can drive it directly.
 */
export class Trainer {
  private readonly set: TrainableSet;
  private readonly batch: number;
  private readonly accumulation: number;
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly schedule: LrSchedule;
  private readonly adamw: AdamWConfig;

  constructor(private readonly cfg: TrainerConfig, private readonly hooks: TrainerHooks = {}) {
    this.set = trainableSet(cfg.desc, cfg.scope);
    this.batch = cfg.hyper.batchSize;
    this.accumulation = cfg.hyper.gradientAccumulation;
    if (cfg.posWeight.length !== cfg.desc.numLabels) throw invalidArgument(`${cfg.posWeight.length} pos_weight values for ${cfg.desc.numLabels} labels`);
    const perStep = this.batch * this.accumulation;
    this.stepsPerEpoch = Math.floor(cfg.train.length / perStep);
    if (this.stepsPerEpoch < 1) {
      throw invalidArgument(`the training split has ${cfg.train.length} images, fewer than one optimiser step needs (batch ${this.batch} x accumulation ${this.accumulation})`, [
        { field: 'hyperparameters.batch_size', description: `batch_size x gradient_accumulation must be <= ${cfg.train.length}` },
      ]);
    }
    if (cfg.validation.length === 0) throw invalidArgument('the validation split is empty', [{ field: 'validation_split', description: 'needs at least one image' }]);
    this.totalSteps = this.stepsPerEpoch * cfg.hyper.epochs;
    this.schedule = cfg.hyper.schedule === 'cosine'
      ? { kind: 'cosine', warmupSteps: cfg.hyper.warmupSteps, totalSteps: this.totalSteps }
      : { kind: 'constant' };
    this.adamw = { beta1: cfg.hyper.beta1, beta2: cfg.hyper.beta2, eps: cfg.hyper.eps, weightDecay: cfg.hyper.weightDecay };
  }

  /** Identifies what a checkpoint belongs to; resuming under different settings would silently diverge. */
  private fingerprint(): string {
    const { hyper, scope, seed, desc } = this.cfg;
    return JSON.stringify({ desc, scope, seed, batch: hyper.batchSize, acc: hyper.gradientAccumulation, names: this.set.names, n: this.cfg.train.length });
  }

  async run(): Promise<TrainerResult> {
    const { cfg } = this;
    mkdirSync(cfg.checkpointDir, { recursive: true });
    const lastPath = join(cfg.checkpointDir, 'last.ckpt');
    const bestPath = join(cfg.checkpointDir, 'best.ckpt');
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(cfg.threads ? { intraOpNumThreads: cfg.threads, interOpNumThreads: 1 } : {}),
    };
    const common = {
      desc: cfg.desc, weights: cfg.initWeights, trainable: this.set, batchSize: this.batch, posWeight: cfg.posWeight,
      optimizer: this.adamw, maxGradNorm: cfg.hyper.maxGradNorm, accumulation: this.accumulation,
    };
    const stepSession = await ort.InferenceSession.create(serializeModel(buildTrainingGraph(common)), sessionOptions);
    const accSession = this.accumulation > 1
      ? await ort.InferenceSession.create(serializeModel(buildTrainingGraph({ ...common, kind: 'accumulate' })), sessionOptions)
      : null;
    const evalSession = await ort.InferenceSession.create(serializeModel(buildEvalGraph(common)), sessionOptions);
    try {
      return await this.loop(stepSession, accSession, evalSession, lastPath, bestPath);
    } finally {
      await stepSession.release();
      await accSession?.release();
      await evalSession.release();
    }
  }

  private async loop(stepSession: ort.InferenceSession, accSession: ort.InferenceSession | null, evalSession: ort.InferenceSession, lastPath: string, bestPath: string): Promise<TrainerResult> {
    const { cfg, set } = this;
    const B = this.batch;
    const C = cfg.desc.numLabels;
    const S = cfg.desc.imageSize;
    const loader = new DataLoader({ preset: cfg.preset, cacheBytes: cfg.cacheBytes });
    if (cfg.preset.size !== S) throw invalidArgument(`preprocessing size ${cfg.preset.size} differs from the model's ${S} px input`);

    // Resume point.
    let step = 0;
    let epoch = 0;
    let batchInEpoch = 0;
    let meta: RunMeta = { fingerprint: this.fingerprint(), best: null, epochsWithoutImprovement: 0, history: [] };
    let ckpt: Checkpoint | null = null;
    if (existsSync(lastPath)) {
      ckpt = readCheckpoint(lastPath);
      const m = ckpt.meta as unknown as RunMeta;
      if (m.fingerprint !== meta.fingerprint) throw new CxrError('FAILED_PRECONDITION', 'the checkpoint in this job directory was written under different settings; refusing to resume from it');
      ({ step, epoch, batchInEpoch } = ckpt);
      meta = m;
    }
    const init = ckpt ? null : initialTrainableValues(set, cfg.initWeights, cfg.seed);

    // Two buffer sets, allocated once: a step reads one and writes the other, then they swap.
    const makeSet = (fill: boolean): BufferSet => {
      const s: BufferSet = { params: new Map(), m: new Map(), v: new Map(), acc: new Map() };
      for (const n of set.names) {
        const shape = set.shapes.get(n)!;
        const len = shape.reduce((a, b) => a * b, 1);
        const t = (d: Float32Array) => new ort.Tensor('float32', d, shape);
        s.params.set(n, t(fill ? Float32Array.from(ckpt ? ckpt.tensors.get(n)!.data : init!.get(n)!) : new Float32Array(len)));
        s.m.set(n, t(fill && ckpt ? Float32Array.from(ckpt.tensors.get(names.m(n))!.data) : new Float32Array(len)));
        s.v.set(n, t(fill && ckpt ? Float32Array.from(ckpt.tensors.get(names.v(n))!.data) : new Float32Array(len)));
        if (this.accumulation > 1) s.acc.set(n, t(new Float32Array(len)));
      }
      return s;
    };
    let cur = makeSet(true);
    let next = makeSet(false);
    const stepFeeds = (a: BufferSet): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = {};
      for (const n of set.names) {
        f[n] = a.params.get(n)!;
        f[names.m(n)] = a.m.get(n)!;
        f[names.v(n)] = a.v.get(n)!;
        if (this.accumulation > 1) f[names.acc(n)] = a.acc.get(n)!;
      }
      return f;
    };
    const stepFetches = (b: BufferSet): Record<string, ort.Tensor | null> => {
      const f: Record<string, ort.Tensor | null> = { [names.loss]: null };
      for (const n of set.names) {
        f[names.out(n)] = b.params.get(n)!;
        f[names.out(names.m(n))] = b.m.get(n)!;
        f[names.out(names.v(n))] = b.v.get(n)!;
      }
      return f;
    };
    // Prebuilt feed/fetch dictionaries for both directions of the swap.
    const plan = new Map<BufferSet, { feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor | null> }>([
      [cur, { feeds: stepFeeds(cur), fetches: stepFetches(next) }],
      [next, { feeds: stepFeeds(next), fetches: stepFetches(cur) }],
    ]);
    const accFeeds = (a: BufferSet, into: BufferSet) => {
      const feeds: Record<string, ort.Tensor> = {};
      const fetches: Record<string, ort.Tensor | null> = { [names.loss]: null };
      for (const n of set.names) {
        feeds[n] = a.params.get(n)!;
        feeds[names.acc(n)] = a.acc.get(n)!;
        fetches[names.out(names.acc(n))] = into.acc.get(n)!;
      }
      return { feeds, fetches };
    };

    const pixelBufs = [new Float32Array(B * 3 * S * S), new Float32Array(B * 3 * S * S)];
    const targetBufs = [new Float32Array(B * C), new Float32Array(B * C)];
    const pixelTensors = pixelBufs.map((p) => new ort.Tensor('float32', p, [B, 3, S, S]));
    const targetTensors = targetBufs.map((t) => new ort.Tensor('float32', t, [B, C]));

    const emit = (e: TrainerEvent) => this.hooks.onEvent?.(e);
    const recent: { loss: number; ms: number }[] = [];
    const checkpointLast = (ep: number, bie: number) => {
      writeCheckpoint(lastPath, this.snapshot(cur, step, ep, bie, meta, true));
      emit({ type: 'checkpoint', step, epoch: ep, kind: 'last' });
    };

    let status: TrainerResult['status'] = 'completed';
    outer: for (; epoch < cfg.hyper.epochs; epoch++, batchInEpoch = 0) {
      const perm = epochPermutation(cfg.seed, epoch, cfg.train.length);
      const microPerEpoch = this.stepsPerEpoch * this.accumulation;
      const load = (mb: number) => {
        const slot = mb % 2;
        const idx = perm.subarray(mb * B, mb * B + B);
        const samples = Array.from(idx, (i) => cfg.train[i]);
        const aug = cfg.augmentation ? { spec: cfg.augmentation, seed: cfg.seed, epoch, indices: idx } : undefined;
        return loader.loadBatch(samples, pixelBufs[slot], targetBufs[slot], aug).then(() => slot);
      };
      let mb = batchInEpoch * this.accumulation;
      let pending: Promise<number> | null = mb < microPerEpoch ? load(mb) : null;
      const epochLosses: number[] = [];
      while (pending) {
        const t0 = performance.now();
        let lossSum = 0;
        for (let a = 0; a < this.accumulation; a++, mb++) {
          const slot = await pending!;
          // Start decoding the next micro-batch before the blocking run: sharp works on libuv threads meanwhile.
          pending = mb + 1 < microPerEpoch ? load(mb + 1) : null;
          const io = { [names.pixels]: pixelTensors[slot], [names.targets]: targetTensors[slot] };
          if (a === 0 && this.accumulation > 1) for (const t of cur.acc.values()) (t.data as Float32Array).fill(0);
          if (a < this.accumulation - 1) {
            const { feeds, fetches } = accFeeds(cur, next);
            const out = await accSession!.run({ ...feeds, ...io }, fetches);
            lossSum += (out[names.loss].data as Float32Array)[0];
            // The running sum lives in `cur.acc` for the next micro-batch.
            for (const n of set.names) (cur.acc.get(n)!.data as Float32Array).set(next.acc.get(n)!.data as Float32Array);
            continue;
          }
          const lr = learningRate(this.schedule, cfg.hyper.learningRate, step);
          const s = adamWScalars(this.adamw, lr, step + 1);
          const { feeds, fetches } = plan.get(cur)!;
          const out = await stepSession.run({
            ...feeds, ...io,
            [ADAMW_FEEDS.decay]: scalar(s.decay), [ADAMW_FEEDS.stepSize]: scalar(s.stepSize), [ADAMW_FEEDS.bc2Sqrt]: scalar(s.bc2Sqrt),
          }, fetches);
          lossSum += (out[names.loss].data as Float32Array)[0];
          [cur, next] = [next, cur];
        }
        step++;
        batchInEpoch++;
        const loss = lossSum / this.accumulation;
        if (!Number.isFinite(loss)) throw new CxrError('ABORTED', `training diverged at step ${step}: loss is ${loss}; lower the learning rate or enable gradient clipping`);
        epochLosses.push(loss);
        recent.push({ loss, ms: performance.now() - t0 });
        if (recent.length > 20) recent.shift();
        const msPerStep = recent.reduce((a, r) => a + r.ms, 0) / recent.length;
        emit({
          type: 'progress', phase: 'training', epoch, totalEpochs: cfg.hyper.epochs, step, totalSteps: this.totalSteps,
          loss: recent.reduce((a, r) => a + r.loss, 0) / recent.length,
          imagesPerSecond: (B * this.accumulation * 1000) / msPerStep,
          etaSeconds: ((this.totalSteps - step) * msPerStep) / 1000,
        });
        const every = cfg.hyper.checkpointEverySteps;
        if (every > 0 && step % every === 0 && batchInEpoch < this.stepsPerEpoch) checkpointLast(epoch, batchInEpoch);
        if (this.hooks.isCancelled?.()) {
          if (pending) await pending.catch(() => undefined);
          checkpointLast(epoch, batchInEpoch);
          status = 'cancelled';
          break outer;
        }
      }

      // Validation at the end of the epoch.
      emit({ type: 'progress', phase: 'validating', epoch, totalEpochs: cfg.hyper.epochs, step, totalSteps: this.totalSteps, loss: mean(epochLosses), imagesPerSecond: 0, etaSeconds: 0 });
      const val = await this.validate(evalSession, loader, cur, pixelBufs[0], targetBufs[0], pixelTensors[0]);
      if (!val) {
        // Cancelled while validating: the epoch's steps are kept; a resume validates it again.
        checkpointLast(epoch, batchInEpoch);
        status = 'cancelled';
        break;
      }
      const score = cfg.hyper.bestMetric === 'validationAuroc' && !Number.isNaN(val.auroc) ? val.auroc : -val.loss;
      const isBest = meta.best === null || score > meta.best.score;
      const summary: EpochSummary = { epoch, trainLoss: mean(epochLosses), validationLoss: val.loss, validationAuroc: val.auroc, perLabelAuroc: val.perLabel, best: isBest };
      meta.history.push(summary);
      if (isBest) {
        meta.best = { epoch, validationLoss: val.loss, validationAuroc: val.auroc, score };
        meta.epochsWithoutImprovement = 0;
        writeCheckpoint(bestPath, this.snapshot(cur, step, epoch + 1, 0, meta, false));
        emit({ type: 'checkpoint', step, epoch, kind: 'best' });
      } else {
        meta.epochsWithoutImprovement++;
      }
      emit({ type: 'epoch', ...summary });
      checkpointLast(epoch + 1, 0);
      const patience = cfg.hyper.earlyStoppingPatience;
      if (patience > 0 && meta.epochsWithoutImprovement >= patience && epoch + 1 < cfg.hyper.epochs) {
        status = 'early-stopped';
        break;
      }
      if (this.hooks.isCancelled?.()) {
        status = 'cancelled';
        break;
      }
    }

    const bestValues = existsSync(bestPath) && meta.best ? readCheckpoint(bestPath).tensors : null;
    const trained = new Map<string, Float32Array>();
    for (const n of set.names) trained.set(n, bestValues ? bestValues.get(n)!.data : (cur.params.get(n)!.data as Float32Array));
    return {
      status,
      steps: step,
      weights: mergeTrainedWeights(set, cfg.initWeights, trained),
      best: meta.best ? { epoch: meta.best.epoch, validationLoss: meta.best.validationLoss, validationAuroc: meta.best.validationAuroc } : null,
      history: meta.history,
    };
  }

  /** Trainable tensors (and with `moments`, AdamW state) of `s` as a checkpoint. */
  private snapshot(s: BufferSet, step: number, epoch: number, batchInEpoch: number, meta: RunMeta, moments: boolean): Checkpoint {
    const tensors: Checkpoint['tensors'] = new Map();
    for (const n of this.set.names) {
      const dims = this.set.shapes.get(n)!;
      tensors.set(n, { dims, data: s.params.get(n)!.data as Float32Array });
      if (moments) {
        tensors.set(names.m(n), { dims, data: s.m.get(n)!.data as Float32Array });
        tensors.set(names.v(n), { dims, data: s.v.get(n)!.data as Float32Array });
      }
    }
    return { step, epoch, batchInEpoch, meta: meta as unknown as Record<string, unknown>, tensors };
  }

  private async validate(session: ort.InferenceSession, loader: DataLoader, s: BufferSet, pixels: Float32Array, targets: Float32Array, pixelTensor: ort.Tensor) {
    const { validation } = this.cfg;
    const C = this.cfg.desc.numLabels;
    const B = this.batch;
    const feeds: Record<string, ort.Tensor> = { [names.pixels]: pixelTensor };
    for (const n of this.set.names) feeds[n] = s.params.get(n)!;
    const logits = new Float32Array(validation.length * C);
    const truth = new Uint8Array(validation.length * C);
    for (let i = 0; i < validation.length; i += B) {
      if (this.hooks.isCancelled?.()) return null;
      const part = validation.slice(i, i + B);
      await loader.loadBatch(part, pixels, targets);
      const out = await session.run(feeds, [names.logits]);
      logits.set((out[names.logits].data as Float32Array).subarray(0, part.length * C), i * C);
      part.forEach((p, j) => truth.set(p.targets, (i + j) * C));
    }
    const scores = logits.map((x) => 1 / (1 + Math.exp(-x)));
    const { perLabel, macro } = macroAuroc(scores, truth, C);
    return { loss: bceWithLogits(logits, truth, this.cfg.posWeight), auroc: macro, perLabel };
  }
}

function scalar(x: number): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.of(x), []);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
