import { Graph } from '../graph';
import { Dim, normAxis } from '../shape';
import { reshapeLike } from './reshape';
import { GradientRule } from './rule';

export function unsqueeze(g: Graph, x: string, axes: number[]): string {
  const inShape = g.shape(x);
  const rank = inShape.length + axes.length;
  const ax = axes.map((a) => normAxis(a, rank));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : inShape[j++]!);
  return g.op('Unsqueeze', [x, g.ints(ax)], g.dtype(x), out);
}

export const unsqueezeGrad: GradientRule = ({ g, node, dy }) => [reshapeLike(g, dy[0]!, node.inputs[0]!)];
