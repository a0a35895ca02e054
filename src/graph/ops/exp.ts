import { Graph } from '../graph';
import { unary } from './elementwise';
import { mul } from './mul';
import { GradientRule } from './rule';

export function exp(g: Graph, x: string): string {
  return unary(g, 'Exp', x);
}

export const expGrad: GradientRule = ({ g, node, dy }) => [mul(g, dy[0]!, node.outputs[0]!)];
