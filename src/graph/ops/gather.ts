import { Graph, attr } from '../graph';
import { normAxis } from '../shape';
import { expand } from './expand';
import { scatterNDAdd } from './scatter-nd';
import { shapeOf } from './shape-of';
import { transpose } from './transpose';
import { unsqueeze } from './unsqueeze';
import { GradientRule } from './rule';

/** Gather along `axis` with int64 `indices` (non-negative where a gradient is needed). */
export function gather(g: Graph, x: string, indices: string, axis = 0): string {
  const s = g.shape(x);
  const a = normAxis(axis, s.length);
  return g.op('Gather', [x, indices], g.dtype(x), [...s.slice(0, a), ...g.shape(indices), ...s.slice(a + 1)], { axis: attr.int(a) });
}

// Adjoint: scatter-add into zeros. ScatterND indexes leading axes, so the gathered axis is moved to
// the front and back again; repeated indices accumulate (reduction 'add').
export const gatherGrad: GradientRule = ({ g, node, dy, wants }) => {
  if (!wants[0]) return [undefined, undefined];
  const [x, indices] = node.inputs as [string, string];
  const a = (node.attributes['axis'] as { value: number } | undefined)?.value ?? 0;
  const r = g.shape(x).length;
  const ri = g.shape(indices).length;
  let d = dy[0]!;
  if (a !== 0) {
    const dr = g.shape(d).length;
    const perm = [...[...Array(ri).keys()].map((i) => i + a), ...[...Array(a).keys()], ...[...Array(dr - a - ri).keys()].map((i) => i + a + ri)];
    d = transpose(g, d, perm);
  }
  const toFront = [a, ...[...Array(r).keys()].filter((i) => i !== a)];
  const xt = a === 0 ? x : transpose(g, x, toFront);
  const zeros = expand(g, g.scalarLike(0, x), shapeOf(g, xt), g.shape(xt));
  let dx = scatterNDAdd(g, zeros, unsqueeze(g, indices, [-1]), d);
  if (a !== 0) {
    const back = new Array<number>(r);
    toFront.forEach((p, i) => (back[p] = i));
    dx = transpose(g, dx, back);
  }
  return [dx, undefined];
};
