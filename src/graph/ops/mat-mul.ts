import { invalidArgument } from '../../errors/cxr-error';
import { Graph } from '../graph';
import { broadcastShapes, shapeToString } from '../shape';
import { unbroadcast } from '../unbroadcast';
import { reshape } from './reshape';
import { transposeLast2 } from './transpose';
import { GradientRule } from './rule';

/** Batched matrix product [...,m,k] x [...,k,n]; both operands rank >= 2. */
export function matMul(g: Graph, a: string, b: string): string {
  const sa = g.shape(a);
  const sb = g.shape(b);
  if (sa.length < 2 || sb.length < 2) throw invalidArgument('MatMul operands must have rank >= 2');
  const k1 = sa[sa.length - 1];
  const k2 = sb[sb.length - 2];
  if (k1 !== k2) throw invalidArgument(`MatMul: inner dims differ, ${shapeToString(sa)} x ${shapeToString(sb)}`);
  const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
  return g.op('MatMul', [a, b], g.dtype(a), [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!]);
}

export const matMulGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  const d = dy[0]!;
  const da = wants[0] ? unbroadcast(g, matMul(g, d, transposeLast2(g, b)), a) : undefined;
  let db: string | undefined;
  if (wants[1]) {
    const ra = g.shape(a).length;
    const sb = g.shape(b);
    if (sb.length === 2 && ra > 2) {
      // A weight shared over a batch: fold the batch into rows, one GEMM instead of a batched one + ReduceSum.
      const k = sb[0]!;
      const n = sb[1]!;
      db = matMul(g, transposeLast2(g, reshape(g, a, [-1, k])), reshape(g, d, [-1, n]));
    } else {
      db = unbroadcast(g, matMul(g, transposeLast2(g, a), d), b);
    }
  }
  return [da, db];
};
