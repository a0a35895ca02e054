import { Graph, attr } from '../graph';
import { Dim, normAxis } from '../shape';
import { concat } from './concat';
import { expand } from './expand';
import { shapeOf } from './shape-of';
import { GradientRule } from './rule';

/** Split along `axis` into pieces of the given sizes. */
export function split(g: Graph, x: string, axis: number, sizes: number[]): string[] {
  const s = g.shape(x);
  const ax = normAxis(axis, s.length);
  return g.addNode({
    opType: 'Split',
    inputs: [x, g.ints(sizes)],
    outputs: sizes.map((n) => ({ dtype: g.dtype(x), shape: s.map((d, i): Dim => (i === ax ? n : d)) })),
    attributes: { axis: attr.int(ax) },
  });
}

// Adjoint: concatenate the pieces' gradients; a piece that does not reach the loss contributes zeros.
export const splitGrad: GradientRule = ({ g, node, dy }) => {
  const ax = (node.attributes['axis'] as { value: number }).value;
  const parts = node.outputs.map((o, i) => dy[i] ?? expand(g, g.scalarLike(0, o), shapeOf(g, o), g.shape(o)));
  return [concat(g, parts, ax), undefined];
};
