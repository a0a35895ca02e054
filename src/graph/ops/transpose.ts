import { invalidArgument } from '../../errors/cxr-error';
import { Graph, attr } from '../graph';
import { GradientRule } from './rule';

export function transpose(g: Graph, x: string, perm: number[]): string {
  const s = g.shape(x);
  if (perm.length !== s.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw invalidArgument(`Transpose of '${x}': perm [${perm.join(',')}] is not a permutation of rank ${s.length}`);
  }
  return g.op('Transpose', [x], g.dtype(x), perm.map((p) => s[p]!), { perm: attr.ints(perm) });
}

/** Swaps the last two axes (matrix transpose of a batch of matrices). */
export function transposeLast2(g: Graph, x: string): string {
  const r = g.shape(x).length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(g, x, perm);
}

export const transposeGrad: GradientRule = ({ g, node, dy }) => {
  const perm = (node.attributes['perm'] as { value: number[] }).value;
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [transpose(g, dy[0]!, inv)];
};
