import { Graph } from '../graph';
import { unbroadcast } from '../unbroadcast';
import { binary } from './elementwise';
import { GradientRule } from './rule';

export function mul(g: Graph, a: string, b: string): string {
  return binary(g, 'Mul', a, b);
}

export const mulGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  return [
    wants[0] ? unbroadcast(g, mul(g, dy[0]!, b), a) : undefined,
    wants[1] ? unbroadcast(g, mul(g, dy[0]!, a), b) : undefined,
  ];
};
