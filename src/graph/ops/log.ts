import { Graph } from '../graph';
import { div } from './div';
import { unary } from './elementwise';
import { GradientRule } from './rule';

export function log(g: Graph, x: string): string {
  return unary(g, 'Log', x);
}

export const logGrad: GradientRule = ({ g, node, dy }) => [div(g, dy[0]!, node.inputs[0]!)];
