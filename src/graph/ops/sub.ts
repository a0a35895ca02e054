import { Graph } from '../graph';
import { unbroadcast } from '../unbroadcast';
import { binary } from './elementwise';
import { neg } from './neg';
import { GradientRule } from './rule';

export function sub(g: Graph, a: string, b: string): string {
  return binary(g, 'Sub', a, b);
}

export const subGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  return [wants[0] ? unbroadcast(g, dy[0]!, a) : undefined, wants[1] ? unbroadcast(g, neg(g, dy[0]!), b) : undefined];
};
