import { Graph, attr } from '../graph';
import { Dim, normAxis } from '../shape';
import { expand } from './expand';
import { shapeOf } from './shape-of';
import { unsqueeze } from './unsqueeze';
import { GradientRule } from './rule';

/** Output shape of a reduction over `axes` (already normalised). */
export function reducedShape(shape: readonly Dim[], axes: number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

export function reduceSum(g: Graph, x: string, axes: number[], keepdims = true): string {
  const rank = g.shape(x).length;
  const ax = axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
  return g.op('ReduceSum', [x, g.ints(ax)], g.dtype(x), reducedShape(g.shape(x), ax, keepdims), { keepdims: attr.int(keepdims ? 1 : 0) });
}

/** Axes of a ReduceSum/ReduceMean node, whichever opset form (input or attribute) it used. */
export function reduceAxes(g: Graph, node: { inputs: string[]; attributes: Record<string, unknown> }): number[] {
  const a = node.attributes['axes'] as { value: number[] } | undefined;
  if (a) return a.value;
  return g.constantValue(node.inputs[1]!)!;
}

/** Broadcasts a reduced gradient back over the reduced axes of the forward input. */
export function unreduce(g: Graph, grad: string, x: string, axes: number[], keepdims: boolean): string {
  const kept = keepdims ? grad : unsqueeze(g, grad, axes);
  return expand(g, kept, shapeOf(g, x), g.shape(x));
}

export const reduceSumGrad: GradientRule = ({ g, node, dy }) => {
  const keep = (node.attributes['keepdims'] as { value: number } | undefined)?.value ?? 1;
  return [unreduce(g, dy[0]!, node.inputs[0]!, reduceAxes(g, node), keep === 1)];
};
