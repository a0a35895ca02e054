import { Feed, GradCheckOptions, GradCheckReport, checkGradients, seededUniform } from '../graph/gradient-check';
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { VitDescription, parameterShapes } from './vit-description';
import { buildVitForward } from './vit-graph';

export interface VitGradCheckOptions extends GradCheckOptions {
  batch?: number;
  seed?: number;
  /**
   * Builds the scalar loss from logits [B,C] (e.g. the training BCE). Default: a fixed random
   * weighting of the logits summed, which makes every logit matter differently.
   */
  loss?: (g: Graph, logits: string) => string;
  /** Parameters to check (default: all). */
  only?: (name: string) => boolean;
}

/**
 * Whole-model gradient check: a float64 graph with every parameter as a graph input, plain
 * attention, the given weights and seeded pixels; compares autodiff gradients of the loss with
 * central differences for sampled elements of each checked parameter.
 */
export async function checkVitGradients(desc: VitDescription, weights: ReadonlyMap<string, ArrayLike<number>>, opts: VitGradCheckOptions = {}): Promise<GradCheckReport> {
  const batch = opts.batch ?? 2;
  const seed = opts.seed ?? 1;
  const g = new Graph({ name: 'vit-gradcheck', opset: 18 });
  const S = desc.imageSize;
  const feeds: Record<string, Feed> = {};
  const pixels = g.input('pixels', 'float64', [batch, 3, S, S]);
  feeds[pixels] = { data: seededUniform(batch * 3 * S * S, seed, 0, 1), dims: [batch, 3, S, S] };
  const shapes = parameterShapes(desc);
  for (const [name, shape] of shapes) {
    g.input(name, 'float64', shape);
    feeds[name] = { data: Float64Array.from(weights.get(name)!), dims: shape };
  }
  const logits = buildVitForward(g, desc, (n) => n, pixels, { attention: 'plain' });
  const loss = opts.loss
    ? opts.loss(g, logits)
    : op.reduceSum(g, op.mul(g, logits, g.constant(seededUniform(batch * desc.numLabels, seed + 7), 'float64', [batch, desc.numLabels])), [0, 1], false);
  const wrt = [...shapes.keys()].filter(opts.only ?? (() => true));
  return checkGradients(g, loss, wrt, feeds, { samplesPerInput: 4, ...opts });
}
