import { invalidArgument } from '../../errors/cxr-error';
import { Graph, attr } from '../graph';

/**
 * com.microsoft:MultiHeadAttention on [B,S,D] query/key/value (bias: packed [3D] for q,k,v, or
 * '' for none). Inference only (no gradient rule): ORT's attention fusion never fires for a pre-LN
 * ViT, so the fused kernel must be emitted explicitly.
 */
export function multiHeadAttention(g: Graph, q: string, k: string, v: string, bias: string, numHeads: number): string {
  const s = g.shape(q);
  if (s.length !== 3) throw invalidArgument('MultiHeadAttention expects [batch, tokens, width] inputs');
  g.domains.set('com.microsoft', 1);
  return g.op('MultiHeadAttention', [q, k, v, bias], g.dtype(q), s, { num_heads: attr.int(numHeads) }, 'com.microsoft');
}
