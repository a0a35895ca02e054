import { Graph } from '../graph';
import { div } from './div';
import { unary } from './elementwise';
import { mul } from './mul';
import { GradientRule } from './rule';

export function sqrt(g: Graph, x: string): string {
  return unary(g, 'Sqrt', x);
}

// d sqrt(x) = 0.5 / sqrt(x): the forward output is reused.
export const sqrtGrad: GradientRule = ({ g, node, dy }) => [div(g, mul(g, dy[0]!, g.scalarLike(0.5, dy[0]!)), node.outputs[0]!)];
