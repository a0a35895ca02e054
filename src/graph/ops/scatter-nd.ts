import { Graph, attr } from '../graph';

/** ScatterND with reduction 'add' (opset 16+); used by Gather's gradient. */
export function scatterNDAdd(g: Graph, data: string, indices: string, updates: string): string {
  return g.op('ScatterND', [data, indices, updates], g.dtype(data), g.shape(data), { reduction: attr.string('add') });
}
