import { invalidArgument } from '../../errors/cxr-error';
import { Graph } from '../graph';
import { Dim, normAxis } from '../shape';
import { padZeros } from './pad';
import { GradientRule } from './rule';

function clampRange(start: number, end: number, dim: number): [number, number] {
  const s = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
  const e = Math.min(Math.max(end < 0 ? end + dim : end, 0), dim);
  return [s, Math.max(e, s)];
}

/** Slice with step 1 and constant bounds; sliced axes need a static size. */
export function slice(g: Graph, x: string, starts: number[], ends: number[], axes: number[]): string {
  const s = g.shape(x);
  const ax = axes.map((a) => normAxis(a, s.length));
  const out: Dim[] = [...s];
  ax.forEach((a, i) => {
    const dim = s[a]!;
    if (typeof dim !== 'number') throw invalidArgument(`Slice of '${x}' on axis ${a} needs a static size`);
    const [b, e] = clampRange(starts[i]!, ends[i]!, dim);
    out[a] = e - b;
  });
  return g.op('Slice', [x, g.ints(starts), g.ints(ends), g.ints(ax)], g.dtype(x), out);
}

// The adjoint of a slice scatters the gradient back with zeros around it.
export const sliceGrad: GradientRule = ({ g, node, dy }) => {
  const [x, st, en, ax, steps] = node.inputs;
  if (steps && g.constantValue(steps)!.some((v) => v !== 1)) throw invalidArgument('Slice gradient supports step 1 only');
  const s = g.shape(x!);
  const r = s.length;
  const starts = g.constantValue(st!)!;
  const ends = g.constantValue(en!)!;
  const axes = ax ? g.constantValue(ax)! : starts.map((_, i) => i);
  const pads = new Array<number>(2 * r).fill(0);
  axes.forEach((a, i) => {
    const dim = s[a] as number;
    const [b, e] = clampRange(starts[i]!, ends[i]!, dim);
    pads[a] = b;
    pads[a + r] = dim - e;
  });
  return [padZeros(g, dy[0]!, pads)];
};
