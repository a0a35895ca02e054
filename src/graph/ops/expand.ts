import { Graph } from '../graph';
import { Shape, broadcastShapes } from '../shape';
import { unbroadcast } from '../unbroadcast';
import { GradientRule } from './rule';

/**
 * Expand `x` to the runtime shape held by the int64 value `shape`; `outShape` is its IR shape
 * (symbolic dims allowed, e.g. ['batch', 1, D] for a CLS token).
 */
export function expand(g: Graph, x: string, shape: string, outShape: Shape): string {
  return g.op('Expand', [x, shape], g.dtype(x), broadcastShapes(g.shape(x), outShape));
}

export const expandGrad: GradientRule = ({ g, node, dy }) => [unbroadcast(g, dy[0]!, node.inputs[0]!)];
