import { Graph } from '../graph';
import { unary } from './elementwise';
import { GradientRule } from './rule';

export function neg(g: Graph, x: string): string {
  return unary(g, 'Neg', x);
}

export const negGrad: GradientRule = ({ g, dy }) => [neg(g, dy[0]!)];
