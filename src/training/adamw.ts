import type { Graph } from '../graph/graph';
import { invalidArgument } from '../errors/cxr-error';

/**
 * AdamW with torch.optim.AdamW semantics (decoupled weight decay, bias correction):
 *   p <- p * (1 - lr*wd)
 *   m <- b1*m + (1-b1)*g ;  v <- b2*v + (1-b2)*g^2
 *   p <- p - (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
 * The step-dependent scalars are computed here on the JS side and fed to the graph, so the
 * graph never raises to a power and the schedule can change without a rebuild.
 */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay; the study used 0 (torch's default is 0.01). */
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });

/** Names of the scalar feeds the update reads. */
export const ADAMW_FEEDS = Object.freeze({ decay: 'adamw.decay', stepSize: 'adamw.step_size', bc2Sqrt: 'adamw.bc2_sqrt' });

export interface AdamWScalars {
  /** 1 - lr * weight_decay */
  decay: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  bc2Sqrt: number;
}

/** Scalars for optimiser step `t` (1-based, as torch counts) at learning rate `lr`. */
export function adamWScalars(cfg: AdamWConfig, lr: number, t: number): AdamWScalars {
  return { decay: 1 - lr * cfg.weightDecay, stepSize: lr / (1 - cfg.beta1 ** t), bc2Sqrt: Math.sqrt(1 - cfg.beta2 ** t) };
}

export function validateAdamW(cfg: AdamWConfig, field = 'optimizer'): void {
  const bad = (f: string, d: string) => invalidArgument(`invalid optimizer setting ${f}: ${d}`, [{ field: `${field}.${f}`, description: d }]);
  if (!(cfg.beta1 >= 0 && cfg.beta1 < 1)) throw bad('beta1', 'must be in [0, 1)');
  if (!(cfg.beta2 >= 0 && cfg.beta2 < 1)) throw bad('beta2', 'must be in [0, 1)');
  if (!(cfg.eps > 0)) throw bad('eps', 'must be > 0');
  if (!(cfg.weightDecay >= 0)) throw bad('weight_decay', 'must be >= 0');
}

/** Declares the three scalar inputs (float32, shape []) once per graph and returns their names. */
export function addAdamWInputs(g: Graph): typeof ADAMW_FEEDS {
  for (const n of Object.values(ADAMW_FEEDS)) if (!g.has(n)) g.input(n, 'float32', []);
  return ADAMW_FEEDS;
}

/**
 * Appends one parameter's AdamW update in plain ONNX ops; returns the new (param, m, v) values.
 * These nodes are never differentiated, so they need no gradient rules.
 */
export function appendAdamWUpdate(g: Graph, cfg: AdamWConfig, param: string, grad: string, m: string, v: string): { param: string; m: string; v: string } {
  const feeds = addAdamWInputs(g);
  const shape = g.shape(param);
  const f = (name: string, ins: string[]) => g.op(name, ins, 'float32', shape);
  const c = (x: number) => g.constant([x], 'float32', []);
  const m2 = f('Add', [f('Mul', [m, c(cfg.beta1)]), f('Mul', [grad, c(1 - cfg.beta1)])]);
  const v2 = f('Add', [f('Mul', [v, c(cfg.beta2)]), f('Mul', [f('Mul', [grad, grad]), c(1 - cfg.beta2)])]);
  const decayed = cfg.weightDecay === 0 ? param : f('Mul', [param, feeds.decay]);
  const denom = f('Add', [f('Div', [f('Sqrt', [v2]), feeds.bc2Sqrt]), c(cfg.eps)]);
  const p2 = f('Sub', [decayed, f('Mul', [f('Div', [m2, denom]), feeds.stepSize])]);
  return { param: p2, m: m2, v: v2 };
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient by min(1, maxNorm / (||g||_2 + 1e-6)),
 * the norm taken over all gradients together. Returns the scaled gradients and the norm value.
 */
export function appendGlobalNormClip(g: Graph, grads: string[], maxNorm: number): { grads: string[]; norm: string } {
  const squares = grads.map((gr) => g.op('ReduceSumSquare', [gr], 'float32', [], { keepdims: { kind: 'int', value: 0 } }));
  const total = squares.length === 1 ? squares[0] : g.op('Sum', squares, 'float32', []);
  const norm = g.op('Sqrt', [total], 'float32', []);
  const coef = g.op('Min', [g.op('Div', [g.constant([maxNorm], 'float32', []), g.op('Add', [norm, g.constant([1e-6], 'float32', [])], 'float32', [])], 'float32', []), g.constant([1], 'float32', [])], 'float32', []);
  return { grads: grads.map((gr) => g.op('Mul', [gr, coef], 'float32', g.shape(gr))), norm };
}
