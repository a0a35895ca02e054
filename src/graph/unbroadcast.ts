import { Graph } from './graph';
import { reduceSum } from './ops/reduce-sum';
import { reshapeLike } from './ops/reshape';

/**
 * Sums a gradient computed at a broadcast output shape back to the shape of the input `like`
 * (the adjoint of numpy broadcasting): leading extra axes and axes where the input had size 1.
 */
export function unbroadcast(g: Graph, grad: string, like: string): string {
  const out = g.shape(grad);
  const target = g.shape(like);
  const lead = out.length - target.length;
  const axes: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (i < lead) axes.push(i);
    else if (target[i - lead] === 1 && out[i] !== 1) axes.push(i);
  }
  if (axes.length === 0) return grad;
  const summed = reduceSum(g, grad, axes, true);
  return lead > 0 ? reshapeLike(g, summed, like) : summed;
}
