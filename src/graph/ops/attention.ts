import { invalidArgument } from '../../errors/cxr-error';
import { Graph, attr } from '../graph';

/** The standard opset-23 Attention op on [B,S,D] q/k/v (no mask). Inference only. */
export function attention(g: Graph, q: string, k: string, v: string, numHeads: number): string {
  if (g.opset < 23) throw invalidArgument(`the Attention op needs opset 23; this graph is opset ${g.opset}`);
  const s = g.shape(q);
  if (s.length !== 3) throw invalidArgument('Attention expects [batch, tokens, width] inputs');
  return g.op('Attention', [q, k, v], g.dtype(q), s, { q_num_heads: attr.int(numHeads), kv_num_heads: attr.int(numHeads) });
}
