import { Graph } from '../graph';
import { cast } from './cast';
import { unary } from './elementwise';
import { exp } from './exp';
import { mul } from './mul';
import { neg } from './neg';
import { GradientRule } from './rule';

/**
 * ONNX Runtime's CPU provider has no float64 Erf kernel, so float64 graphs (gradient checks,
 * reference comparisons) evaluate Erf in float32 between two Casts (~1e-7 relative error).
 */
export function erf(g: Graph, x: string): string {
  if (g.dtype(x) === 'float64') return cast(g, unary(g, 'Erf', cast(g, x, 'float32')), 'float64');
  return unary(g, 'Erf', x);
}

// d erf(x) = 2/sqrt(pi) * exp(-x^2)
export const erfGrad: GradientRule = ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const gauss = exp(g, neg(g, mul(g, x, x)));
  return [mul(g, dy[0]!, mul(g, gauss, g.scalarLike(2 / Math.sqrt(Math.PI), x)))];
};
