import { invalidArgument } from '../errors/cxr-error';

/** A dimension: a known size, or a symbolic name (e.g. 'batch') that ONNX writes as dim_param. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export function isStatic(s: Shape): s is readonly number[] {
  return s.every((d) => typeof d === 'number');
}

export function numel(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw invalidArgument(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy-style broadcast; a symbolic dim broadcasts against 1 and against the same symbol. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw invalidArgument(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
  }
  return out;
}

export function shapeToString(s: Shape): string {
  return `[${s.join(',')}]`;
}
