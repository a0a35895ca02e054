import { DType, ONNX_DTYPE, isFloat } from '../dtype';
import { Graph, attr } from '../graph';
import { GradientRule } from './rule';

export function cast(g: Graph, x: string, to: DType): string {
  return g.op('Cast', [x], to, g.shape(x), { to: attr.int(ONNX_DTYPE[to]) });
}

// Gradients flow back through float casts in the input's precision; integer inputs get none.
export const castGrad: GradientRule = ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const d = g.dtype(x);
  return [isFloat(d) ? cast(g, dy[0]!, d) : undefined];
};
