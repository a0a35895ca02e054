import { invalidArgument } from '../../errors/cxr-error';
import { Graph } from '../graph';
import { Dim, Shape, isStatic, numel, shapeToString } from '../shape';
import { shapeOf } from './shape-of';
import { GradientRule } from './rule';

/**
 * Reshape to `shape`. One symbolic dim (e.g. 'batch') or -1 may appear; it is written as -1 so
 * the graph works for any batch size, and the IR keeps the symbol.
 */
export function reshape(g: Graph, x: string, shape: Shape): string {
  const free = shape.filter((d) => typeof d === 'string' || d === -1).length;
  if (free > 1) throw invalidArgument(`Reshape of '${x}' to ${shapeToString(shape)}: at most one unknown dim`);
  const target = shape.map((d) => (typeof d === 'string' ? -1 : d));
  let out: Dim[] = [...shape];
  const inShape = g.shape(x);
  if (shape.includes(-1)) {
    const known = numel(target.filter((d) => d !== -1));
    // Infer -1 statically when possible, else name it by its formula so it never aliases another symbol.
    const inferred: Dim = isStatic(inShape) ? numel(inShape) / known : `(${inShape.join('*')})/${known}`;
    out = shape.map((d) => (d === -1 ? inferred : d));
  }
  return g.op('Reshape', [x, g.ints(target)], g.dtype(x), out);
}

/** Reshape `x` to the (runtime) shape of `like`: constant when static, else through Shape. */
export function reshapeLike(g: Graph, x: string, like: string): string {
  const s = g.shape(like);
  if (isStatic(s)) return g.op('Reshape', [x, g.ints(s)], g.dtype(x), s);
  return g.op('Reshape', [x, shapeOf(g, like)], g.dtype(x), s);
}

export const reshapeGrad: GradientRule = ({ g, node, dy }) => [reshapeLike(g, dy[0]!, node.inputs[0]!)];
