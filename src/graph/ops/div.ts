import { Graph } from '../graph';
import { unbroadcast } from '../unbroadcast';
import { binary } from './elementwise';
import { mul } from './mul';
import { neg } from './neg';
import { GradientRule } from './rule';

export function div(g: Graph, a: string, b: string): string {
  return binary(g, 'Div', a, b);
}

// d(a/b)/db = -(a/b)/b, reusing the forward output instead of squaring b.
export const divGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  return [
    wants[0] ? unbroadcast(g, div(g, dy[0]!, b), a) : undefined,
    wants[1] ? unbroadcast(g, neg(g, div(g, mul(g, dy[0]!, y), b)), b) : undefined,
  ];
};
