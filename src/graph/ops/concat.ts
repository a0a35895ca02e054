import { invalidArgument } from '../../errors/cxr-error';
import { Graph, attr } from '../graph';
import { Dim, normAxis } from '../shape';
import { split } from './split';
import { GradientRule } from './rule';

export function concat(g: Graph, xs: string[], axis: number): string {
  const s0 = g.shape(xs[0]!);
  const ax = normAxis(axis, s0.length);
  let total: Dim = 0;
  for (const x of xs) {
    const d = g.shape(x)[ax]!;
    total = typeof d === 'number' && typeof total === 'number' ? total + d : `${total}+${d}`;
  }
  return g.op('Concat', xs, g.dtype(xs[0]!), s0.map((d, i) => (i === ax ? total : d)), { axis: attr.int(ax) });
}

export const concatGrad: GradientRule = ({ g, node, dy }) => {
  const ax = (node.attributes['axis'] as { value: number }).value;
  const sizes = node.inputs.map((x) => {
    const d = g.shape(x)[ax]!;
    if (typeof d !== 'number') throw invalidArgument(`Concat gradient needs static sizes on axis ${ax}`);
    return d;
  });
  return split(g, dy[0]!, ax, sizes);
};
