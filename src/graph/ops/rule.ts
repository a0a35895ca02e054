import { Graph, Node } from '../graph';

/** What a gradient rule sees: the forward node, upstream gradients of its outputs, and which inputs need one. */
export interface GradContext {
  readonly g: Graph;
  readonly node: Node;
  /** Gradient of each forward output (undefined: that output does not reach the loss). */
  readonly dy: readonly (string | undefined)[];
  /** wants[i]: the walk needs the gradient of input i; rules skip the others to keep graphs small. */
  readonly wants: readonly boolean[];
}

/** Returns the gradient value of each forward input (undefined where not wanted or not differentiable). */
export type GradientRule = (ctx: GradContext) => (string | undefined)[];
