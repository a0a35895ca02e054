import { Graph } from '../graph';
import { unary } from './elementwise';
import { mul } from './mul';
import { sigmoid } from './sigmoid';
import { GradientRule } from './rule';

/** log(1 + exp(x)); log-sigmoid(x) = -softplus(-x), the stable piece of BCE-with-logits. */
export function softplus(g: Graph, x: string): string {
  return unary(g, 'Softplus', x);
}

export const softplusGrad: GradientRule = ({ g, node, dy }) => [mul(g, dy[0]!, sigmoid(g, node.inputs[0]!))];
