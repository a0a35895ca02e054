import { Graph } from '../graph';
import { Dim } from '../shape';

/** Zero padding: pads = [begin_0..begin_n, end_0..end_n] (no gradient rule: used by Slice's). */
export function padZeros(g: Graph, x: string, pads: number[]): string {
  const s = g.shape(x);
  const r = s.length;
  const out = s.map((d, i): Dim => (pads[i] === 0 && pads[i + r] === 0 ? d : typeof d === 'number' ? d + pads[i]! + pads[i + r]! : `${d}+pad`));
  return g.op('Pad', [x, g.ints(pads)], g.dtype(x), out);
}
