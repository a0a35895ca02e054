import { invalidArgument } from '../../errors/cxr-error';
import { Graph } from '../graph';
import { broadcastShapes } from '../shape';

/** Shared forward builder of broadcasting binary ops (Add, Sub, Mul, Div, Pow). */
export function binary(g: Graph, opType: string, a: string, b: string): string {
  const da = g.dtype(a);
  if (opType !== 'Pow' && da !== g.dtype(b)) {
    throw invalidArgument(`${opType}: element types differ (${da} vs ${g.dtype(b)})`);
  }
  return g.op(opType, [a, b], da, broadcastShapes(g.shape(a), g.shape(b)));
}

/** Shared forward builder of shape-preserving unary ops. */
export function unary(g: Graph, opType: string, x: string, attributes?: Parameters<Graph['op']>[4]): string {
  return g.op(opType, [x], g.dtype(x), g.shape(x), attributes);
}
