import { gradients } from '../graph/autodiff';
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { invalidArgument } from '../errors/cxr-error';
import { buildVitForward, type ParamLookup } from '../model/vit-graph';
import { parameterShapes, type VitDescription, type VitWeights } from '../model/vit-description';
import { appendAdamWUpdate, appendGlobalNormClip, type AdamWConfig } from './adamw';
import { appendBceWithLogitsLoss } from './bce-loss';
import { loraNames, type TrainableSet } from './trainable-parameters';

/**
 * Feed and fetch names of the step graphs. Trainable tensors keep their own names as feeds;
 * what comes back is prefixed, so a run feeds buffer set A and fetches into set B, then swaps.
 */
export const names = Object.freeze({
  pixels: 'pixels',
  targets: 'targets',
  loss: 'loss',
  logits: 'logits',
  m: (n: string) => `adam.m/${n}`,
  v: (n: string) => `adam.v/${n}`,
  acc: (n: string) => `grad_acc/${n}`,
  out: (feed: string) => `new/${feed}`,
});

export interface TrainingGraphOptions {
  desc: VitDescription;
  /** Values of the frozen tensors (all canonical weights may be given; trainable ones are ignored). */
  weights: VitWeights;
  trainable: TrainableSet;
  batchSize: number;
  posWeight: readonly number[];
  optimizer: AdamWConfig;
  /** Global gradient-norm clip; 0 or absent = off. */
  maxGradNorm?: number;
  /** Micro-batches per optimiser step (default 1). */
  accumulation?: number;
  /**
   * 'step' (default): forward + loss + backward + AdamW, one optimiser step per run; with
   * accumulation > 1 it also reads the gradient sum of the previous micro-batches.
   * 'accumulate': forward + loss + backward only, returning grad_acc + this batch's gradient.
   */
  kind?: 'step' | 'accumulate';
}

/**
 * One ONNX graph for a training step. Frozen weights are initializers (ORT keeps them in the
 * session and they never cross the JS boundary); trainable tensors, their AdamW moments and the
 * step scalars (adamw.*) are inputs; the updated tensors and `loss` are outputs.
 */
export function buildTrainingGraph(o: TrainingGraphOptions): Graph {
  const kind = o.kind ?? 'step';
  const k = o.accumulation ?? 1;
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('gradient accumulation must be an integer >= 1');
  const g = new Graph({ name: `vit-train-${kind}` });
  const S = o.desc.imageSize;
  const pixels = g.input(names.pixels, 'float32', [o.batchSize, 3, S, S]);
  const targets = g.input(names.targets, 'float32', [o.batchSize, o.desc.numLabels]);
  const lookup = parameterLookup(g, o.desc, o.weights, o.trainable);
  const logits = buildVitForward(g, o.desc, lookup, pixels, { attention: 'plain' });
  const loss = appendBceWithLogitsLoss(g, logits, targets, o.posWeight);
  const grads = gradients(g, loss, o.trainable.names);
  g.output(loss, names.loss);
  const withAcc = kind === 'accumulate' || k > 1;
  let total = o.trainable.names.map((n) => {
    const gr = grads.get(n)!;
    if (!withAcc) return gr;
    const acc = g.input(names.acc(n), 'float32', o.trainable.shapes.get(n)!);
    return op.add(g, acc, gr);
  });
  if (kind === 'accumulate') {
    o.trainable.names.forEach((n, i) => g.output(total[i], names.out(names.acc(n))));
    return g;
  }
  // torch convention: each micro-batch loss is divided by k, i.e. the step uses the mean gradient.
  if (k > 1) total = total.map((t) => op.mul(g, t, g.scalarLike(1 / k, t)));
  if (o.maxGradNorm && o.maxGradNorm > 0) total = appendGlobalNormClip(g, total, o.maxGradNorm).grads;
  o.trainable.names.forEach((n, i) => {
    const shape = o.trainable.shapes.get(n)!;
    const m = g.input(names.m(n), 'float32', shape);
    const v = g.input(names.v(n), 'float32', shape);
    const upd = appendAdamWUpdate(g, o.optimizer, n, total[i], m, v);
    g.output(upd.param, names.out(n));
    g.output(upd.m, names.out(names.m(n)));
    g.output(upd.v, names.out(names.v(n)));
  });
  return g;
}

/** Forward only, same parameter wiring: trainable tensors fed, frozen ones initializers; output `logits`. */
export function buildEvalGraph(o: Pick<TrainingGraphOptions, 'desc' | 'weights' | 'trainable' | 'batchSize'>): Graph {
  const g = new Graph({ name: 'vit-eval' });
  const S = o.desc.imageSize;
  const pixels = g.input(names.pixels, 'float32', [o.batchSize, 3, S, S]);
  const logits = buildVitForward(g, o.desc, parameterLookup(g, o.desc, o.weights, o.trainable), pixels, { attention: 'plain' });
  g.output(logits, names.logits);
  return g;
}

/**
 * Declares trainable tensors as inputs and frozen ones as initializers (lazily, in the order
 * the forward pass asks for them); LoRA targets become W + (alpha/r) * B @ A. `dtype` float64
 * is for gradient checks.
 */
export function parameterLookup(g: Graph, desc: VitDescription, weights: VitWeights, set: TrainableSet, dtype: 'float32' | 'float64' = 'float32'): ParamLookup {
  const shapes = parameterShapes(desc);
  const trainable = new Set(set.names);
  for (const n of set.names) g.input(n, dtype, set.shapes.get(n)!);
  const loraTargets = new Set(set.lora?.targets ?? []);
  const resolved = new Map<string, string>();
  const frozen = (name: string): string => {
    const w = weights.get(name);
    const shape = shapes.get(name);
    if (!w || !shape) throw invalidArgument(`weights lack '${name}'`);
    return dtype === 'float32'
      ? g.initializer(name, 'float32', shape, new Uint8Array(w.buffer, w.byteOffset, w.byteLength))
      : g.initializer(name, dtype, shape, w);
  };
  return (name) => {
    let v = resolved.get(name);
    if (v !== undefined) return v;
    if (trainable.has(name)) v = name;
    else if (loraTargets.has(name)) {
      const { a, b } = loraNames(name);
      const delta = op.matMul(g, b, a);
      v = op.add(g, frozen(name), op.mul(g, delta, g.scalarLike(set.lora!.scale, delta)));
    } else v = frozen(name);
    resolved.set(name, v);
    return v;
  };
}
