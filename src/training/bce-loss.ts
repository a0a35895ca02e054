import type { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { invalidArgument } from '../errors/cxr-error';

/**
 * Multi-label BCE with logits and per-label pos_weight, as torch.nn.BCEWithLogitsLoss(pos_weight)
 * with reduction 'mean' (over batch and labels):
 *   l = (1 - y) * x + (1 + (pw - 1) * y) * softplus(-x)
 * softplus(-x) = -log(sigmoid(x)) computed without overflow, so extreme logits stay finite.
 * `logits` and `targets` are [batch, C] of the same float type; returns the scalar loss value.
 * Only differentiable ops are used, so autodiff derives d loss / d logits from their rules.
 */
export function appendBceWithLogitsLoss(g: Graph, logits: string, targets: string, posWeight: readonly number[]): string {
  const shape = g.shape(logits);
  const c = shape[shape.length - 1];
  if (shape.length !== 2 || c !== posWeight.length) {
    throw invalidArgument(`BCE loss: logits [${shape.join(',')}] do not match ${posWeight.length} pos_weight values`);
  }
  if (posWeight.some((w) => !(w >= 0) || !Number.isFinite(w))) throw invalidArgument('BCE loss: pos_weight values must be finite and >= 0');
  const dtype = g.dtype(logits);
  const one = g.scalarLike(1, logits);
  // The per-element weight depends on targets only, never on parameters: no gradient flows here.
  const pwMinus1 = g.constant(posWeight.map((w) => w - 1), dtype, [posWeight.length]);
  const weight = op.add(g, one, op.mul(g, pwMinus1, targets));
  const linear = op.mul(g, op.sub(g, one, targets), logits);
  const logTerm = op.mul(g, weight, softplus(g, op.neg(g, logits)));
  return op.reduceMean(g, op.add(g, linear, logTerm), [0, 1], false);
}

/**
 * ORT's CPU Softplus (overflow-safe) has float32 kernels only. Float64 graphs, used for gradient
 * checks, spell it log(1 + exp(x)): exact in float64 for |x| < ~700, where a float32 detour
 * would drown finite differences in rounding noise.
 */
function softplus(g: Graph, x: string): string {
  if (g.dtype(x) === 'float32') return op.softplus(g, x);
  return op.log(g, op.add(g, g.scalarLike(1, x), op.exp(g, x)));
}

/** The same loss in float64 on the JS side (validation loss, tests). Returns the mean. */
export function bceWithLogits(logits: ArrayLike<number>, targets: ArrayLike<number>, posWeight: readonly number[]): number {
  const c = posWeight.length;
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    const y = targets[i];
    const softplusNeg = Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    s += (1 - y) * x + (1 + (posWeight[i % c] - 1) * y) * softplusNeg;
  }
  return s / logits.length;
}
