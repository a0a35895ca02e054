import { Graph } from '../graph';
import { unbroadcast } from '../unbroadcast';
import { binary } from './elementwise';
import { GradientRule } from './rule';

export function add(g: Graph, a: string, b: string): string {
  return binary(g, 'Add', a, b);
}

export const addGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  return [wants[0] ? unbroadcast(g, dy[0]!, a) : undefined, wants[1] ? unbroadcast(g, dy[0]!, b) : undefined];
};
