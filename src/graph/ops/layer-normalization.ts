import { Graph, attr } from '../graph';
import { normAxis } from '../shape';
import { add } from './add';
import { div } from './div';
import { mul } from './mul';
import { reduceMean } from './reduce-mean';
import { reduceSum } from './reduce-sum';
import { sqrt } from './sqrt';
import { sub } from './sub';
import { GradientRule } from './rule';

/**
 * The ONNX LayerNormalization op (opset 17), not a decomposition: one fused CPU/CUDA kernel
 * instead of ~9 elementwise passes, and in fp16 graphs it accumulates in fp32 (stash_type 1),
 * which a decomposition in fp16 would not. Its gradient recomputes the statistics from primitives.
 */
export function layerNorm(g: Graph, x: string, scale: string, bias: string, epsilon: number, axis = -1): string {
  return g.op('LayerNormalization', [x, scale, bias], g.dtype(x), g.shape(x), {
    axis: attr.int(axis),
    epsilon: attr.float(epsilon),
    stash_type: attr.int(1),
  });
}

export const layerNormGrad: GradientRule = ({ g, node, dy, wants }) => {
  const [x, scale] = node.inputs as [string, string, string];
  const rank = g.shape(x).length;
  const axis = normAxis((node.attributes['axis'] as { value: number } | undefined)?.value ?? -1, rank);
  const eps = (node.attributes['epsilon'] as { value: number } | undefined)?.value ?? 1e-5;
  const normAxes = [...Array(rank - axis).keys()].map((i) => i + axis);
  const leadAxes = [...Array(axis).keys()];
  const d = dy[0]!;
  const mean = reduceMean(g, x, normAxes, true);
  const xc = sub(g, x, mean);
  const variance = reduceMean(g, mul(g, xc, xc), normAxes, true);
  // ONNX computes epsilon in float32 (attribute type); add it in the graph's dtype as the kernel does.
  const inv = div(g, g.scalarLike(1, x), sqrt(g, add(g, variance, g.scalarLike(Math.fround(eps), x))));
  const xhat = mul(g, xc, inv);
  let dx: string | undefined;
  if (wants[0]) {
    const dxhat = mul(g, d, scale);
    const m1 = reduceMean(g, dxhat, normAxes, true);
    const m2 = reduceMean(g, mul(g, dxhat, xhat), normAxes, true);
    dx = mul(g, inv, sub(g, sub(g, dxhat, m1), mul(g, xhat, m2)));
  }
  const sumLead = (v: string): string => (leadAxes.length ? reduceSum(g, v, leadAxes, false) : v);
  const dscale = wants[1] ? sumLead(mul(g, d, xhat)) : undefined;
  const dbias = wants[2] ? sumLead(d) : undefined;
  return [dx, dscale, dbias];
};
