import { invalidArgument } from '../../errors/cxr-error';
import { Graph, attr } from '../graph';
import { normAxis } from '../shape';
import { mul } from './mul';
import { reduceAxes, reducedShape, unreduce } from './reduce-sum';
import { GradientRule } from './rule';

/** ReduceMean; axes are an attribute before opset 18 and an input from 18 on. */
export function reduceMean(g: Graph, x: string, axes: number[], keepdims = true): string {
  const rank = g.shape(x).length;
  const ax = axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
  const out = reducedShape(g.shape(x), ax, keepdims);
  const k = attr.int(keepdims ? 1 : 0);
  return g.opset >= 18
    ? g.op('ReduceMean', [x, g.ints(ax)], g.dtype(x), out, { keepdims: k })
    : g.op('ReduceMean', [x], g.dtype(x), out, { axes: attr.ints(ax), keepdims: k });
}

export const reduceMeanGrad: GradientRule = ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const axes = reduceAxes(g, node);
  let count = 1;
  for (const a of axes) {
    const d = g.shape(x)[a]!;
    if (typeof d !== 'number') throw invalidArgument(`ReduceMean gradient needs a static size on axis ${a} of '${x}'`);
    count *= d;
  }
  const keep = (node.attributes['keepdims'] as { value: number } | undefined)?.value ?? 1;
  const scaled = mul(g, dy[0]!, g.scalarLike(1 / count, dy[0]!));
  return [unreduce(g, scaled, x, axes, keep === 1)];
};
