import { invalidArgument } from '../errors/cxr-error';
import { isFloat } from './dtype';
import { Graph, Node } from './graph';
import { gradientRules, ruleKey } from './ops';
import { sum } from './ops/sum';
import { unbroadcast } from './unbroadcast';

export interface GradientOptions {
  /**
   * Gradient of `loss` to start from (same shape as `loss`). Default: ones, i.e. d loss/d loss
   * for a scalar loss, or the gradient of sum(loss) otherwise.
   */
  seed?: string;
}

/**
 * Reverse-mode differentiation: appends backward nodes to `g` and returns, for each name in
 * `wrt` (graph inputs, initializers or intermediate values), the name of the value holding
 * d loss / d wrt. A value the loss does not depend on gets a zero gradient of its shape.
 *
 * Only the nodes on a path wrt -> loss are differentiated, and each rule is told which of its
 * inputs need a gradient, so frozen initializers cost nothing.
 */
export function gradients(g: Graph, loss: string, wrt: readonly string[], opts: GradientOptions = {}): Map<string, string> {
  if (!isFloat(g.dtype(loss))) throw invalidArgument(`cannot differentiate integer value '${loss}'`);
  const nodes = g.nodes.slice();
  const lossIndex = nodes.findIndex((n) => n.outputs.includes(loss));

  // Forward reachability from wrt, backward reachability from loss: a node is differentiated iff both.
  const fromWrt = new Set<string>(wrt);
  for (const n of nodes) if (n.inputs.some((i) => fromWrt.has(i))) for (const o of n.outputs) fromWrt.add(o);
  const toLoss = new Set<string>([loss]);
  for (let i = (lossIndex < 0 ? -1 : lossIndex); i >= 0; i--) {
    const n = nodes[i]!;
    if (n.outputs.some((o) => toLoss.has(o))) for (const x of n.inputs) if (x) toLoss.add(x);
  }
  const active = (v: string): boolean => fromWrt.has(v) && toLoss.has(v) && isFloat(g.dtype(v));

  const pending = new Map<string, string[]>();
  const seed = opts.seed ?? onesLike(g, loss);
  pending.set(loss, [seed]);
  // Fan-out: gradients from every consumer are summed once, when the value's producer is reached.
  const take = (v: string): string | undefined => {
    const parts = pending.get(v);
    if (!parts) return undefined;
    const total = parts.length === 1 ? parts[0]! : sum(g, parts);
    pending.set(v, [total]);
    return total;
  };

  for (let i = lossIndex; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.outputs.some((o) => pending.has(o))) continue;
    const wants = node.inputs.map((x) => x !== '' && active(x));
    if (!wants.some(Boolean)) continue;
    const rule = gradientRules[ruleKey(node.domain, node.opType)];
    if (!rule) throw invalidArgument(`no gradient rule for ${ruleKey(node.domain, node.opType)} (node ${node.name}); use differentiable ops on the path to the loss`);
    const dy = node.outputs.map(take);
    const dx = rule({ g, node, dy, wants });
    node.inputs.forEach((x, k) => {
      const d = dx[k];
      if (!wants[k] || d === undefined) return;
      checkGradShape(g, node, x, d);
      const list = pending.get(x) ?? [];
      list.push(d);
      pending.set(x, list);
    });
  }

  const result = new Map<string, string>();
  for (const w of wrt) {
    const d = take(w);
    result.set(w, d ?? zerosLike(g, w));
  }
  return result;
}

function checkGradShape(g: Graph, node: Node, x: string, d: string): void {
  const a = g.shape(x);
  const b = g.shape(d);
  if (a.length !== b.length || a.some((v, i) => typeof v === 'number' && typeof b[i] === 'number' && v !== b[i])) {
    throw invalidArgument(`gradient rule of ${node.opType} gave [${b.join(',')}] for input '${x}' of shape [${a.join(',')}]`);
  }
}

function onesLike(g: Graph, v: string): string {
  return unbroadcastConst(g, 1, v);
}

function zerosLike(g: Graph, v: string): string {
  return unbroadcastConst(g, 0, v);
}

// A constant broadcast to the runtime shape of v (symbolic dims included) via Expand.
function unbroadcastConst(g: Graph, value: number, v: string): string {
  const s = g.shape(v);
  if (s.every((d) => d === 1)) return g.constant([value], g.dtype(v), s as number[]);
  const c = g.scalarLike(value, v);
  const e = g.op('Expand', [c, g.op('Shape', [v], 'int64', [s.length])], g.dtype(v), s);
  return e;
}

export { unbroadcast };
