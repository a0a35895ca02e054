import { Graph } from '../graph';
import { broadcastShapes } from '../shape';
import { unbroadcast } from '../unbroadcast';
import { GradientRule } from './rule';

/** Variadic Sum; autodiff uses it to accumulate gradients on fan-out. */
export function sum(g: Graph, xs: string[]): string {
  if (xs.length === 1) return xs[0]!;
  const shape = xs.map((x) => g.shape(x)).reduce((a, b) => broadcastShapes(a, b));
  return g.op('Sum', xs, g.dtype(xs[0]!), shape);
}

export const sumGrad: GradientRule = ({ g, node, dy, wants }) => node.inputs.map((x, i) => (wants[i] ? unbroadcast(g, dy[0]!, x) : undefined));
