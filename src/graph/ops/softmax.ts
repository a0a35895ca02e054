import { Graph, attr } from '../graph';
import { normAxis } from '../shape';
import { mul } from './mul';
import { reduceSum } from './reduce-sum';
import { sub } from './sub';
import { GradientRule } from './rule';

export function softmax(g: Graph, x: string, axis = -1): string {
  return g.op('Softmax', [x], g.dtype(x), g.shape(x), { axis: attr.int(axis) });
}

// dx = y * (dy - sum(dy * y, axis))
export const softmaxGrad: GradientRule = ({ g, node, dy }) => {
  const y = node.outputs[0]!;
  const axis = normAxis((node.attributes['axis'] as { value: number } | undefined)?.value ?? -1, g.shape(y).length);
  return [mul(g, y, sub(g, dy[0]!, reduceSum(g, mul(g, dy[0]!, y), [axis], true)))];
};
