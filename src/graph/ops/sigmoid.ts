import { Graph } from '../graph';
import { unary } from './elementwise';
import { mul } from './mul';
import { sub } from './sub';
import { GradientRule } from './rule';

export function sigmoid(g: Graph, x: string): string {
  return unary(g, 'Sigmoid', x);
}

export const sigmoidGrad: GradientRule = ({ g, node, dy }) => {
  const y = node.outputs[0]!;
  return [mul(g, dy[0]!, mul(g, y, sub(g, g.scalarLike(1, y), y)))];
};
