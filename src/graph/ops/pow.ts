import { Graph } from '../graph';
import { unbroadcast } from '../unbroadcast';
import { binary } from './elementwise';
import { log } from './log';
import { mul } from './mul';
import { sub } from './sub';
import { GradientRule } from './rule';

/** x ** p (p broadcasts; usually a scalar constant). */
export function pow(g: Graph, x: string, p: string): string {
  return binary(g, 'Pow', x, p);
}

export const powGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [x, p] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  let dx: string | undefined;
  if (wants[0]) {
    const pm1 = sub(g, p, g.scalarLike(1, p));
    dx = unbroadcast(g, mul(g, mul(g, dy[0]!, p), pow(g, x, pm1)), x);
  }
  // d x^p / dp = x^p ln x (only defined for x > 0, as in every framework).
  const dp = wants[1] ? unbroadcast(g, mul(g, mul(g, dy[0]!, y), log(g, x)), p) : undefined;
  return [dx, dp];
};
