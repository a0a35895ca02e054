import { invalidArgument } from '../../errors/cxr-error';
import { Graph, attr } from '../graph';

/**
 * com.microsoft:Attention: QKV projection and attention in one kernel, from x [B,S,D], packed
 * weights [D,3D] (q|k|v column blocks) and bias [3D]. This is the op ORT's own BERT fusion
 * targets on CPU. Inference only (no gradient rule).
 */
export function packedAttention(g: Graph, x: string, wqkv: string, bqkv: string, numHeads: number): string {
  const s = g.shape(x);
  if (s.length !== 3) throw invalidArgument('Attention expects [batch, tokens, width] input');
  g.domains.set('com.microsoft', 1);
  return g.op('Attention', [x, wqkv, bqkv], g.dtype(x), s, { num_heads: attr.int(numHeads) }, 'com.microsoft');
}
