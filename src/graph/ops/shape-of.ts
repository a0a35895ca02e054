import { Attribute, Graph } from '../graph';

/** ONNX Shape: the runtime shape of `x` (or dims [start, end)) as int64; no gradient (integers). */
export function shapeOf(g: Graph, x: string, start?: number, end?: number): string {
  const rank = g.shape(x).length;
  const s = start === undefined ? 0 : start < 0 ? start + rank : start;
  const e = end === undefined ? rank : end < 0 ? end + rank : end;
  const attributes: Record<string, Attribute> = {};
  if (start !== undefined) attributes['start'] = { kind: 'int', value: s };
  if (end !== undefined) attributes['end'] = { kind: 'int', value: e };
  return g.op('Shape', [x], 'int64', [e - s], attributes);
}
