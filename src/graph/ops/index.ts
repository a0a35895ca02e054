/**
 * The op set: forward builders (re-exported) and THE gradient table. Adding a differentiable op
 * = one file in this folder with its builder and rule + one line in `gradientRules`.
 * Ops without an entry (Shape, Pad, ScatterND, attention kernels) are not differentiable;
 * autodiff refuses to walk through them.
 */
import { addGrad } from './add';
import { castGrad } from './cast';
import { concatGrad } from './concat';
import { divGrad } from './div';
import { erfGrad } from './erf';
import { expGrad } from './exp';
import { expandGrad } from './expand';
import { gatherGrad } from './gather';
import { identityGrad } from './identity';
import { layerNormGrad } from './layer-normalization';
import { logGrad } from './log';
import { matMulGrad } from './mat-mul';
import { mulGrad } from './mul';
import { negGrad } from './neg';
import { powGrad } from './pow';
import { reduceMeanGrad } from './reduce-mean';
import { reduceSumGrad } from './reduce-sum';
import { reshapeGrad } from './reshape';
import { GradientRule } from './rule';
import { sigmoidGrad } from './sigmoid';
import { sliceGrad } from './slice';
import { softmaxGrad } from './softmax';
import { softplusGrad } from './softplus';
import { splitGrad } from './split';
import { sqrtGrad } from './sqrt';
import { subGrad } from './sub';
import { sumGrad } from './sum';
import { transposeGrad } from './transpose';
import { unsqueezeGrad } from './unsqueeze';

export type { GradContext, GradientRule } from './rule';

/** Key: opType for the default domain, `domain:opType` otherwise. */
export const gradientRules: Readonly<Record<string, GradientRule>> = {
  Add: addGrad,
  Sub: subGrad,
  Mul: mulGrad,
  Div: divGrad,
  Neg: negGrad,
  Sqrt: sqrtGrad,
  Pow: powGrad,
  Exp: expGrad,
  Log: logGrad,
  Erf: erfGrad,
  Sigmoid: sigmoidGrad,
  Softplus: softplusGrad,
  Softmax: softmaxGrad,
  LayerNormalization: layerNormGrad,
  MatMul: matMulGrad,
  Reshape: reshapeGrad,
  Transpose: transposeGrad,
  Concat: concatGrad,
  Split: splitGrad,
  Slice: sliceGrad,
  Gather: gatherGrad,
  ReduceMean: reduceMeanGrad,
  ReduceSum: reduceSumGrad,
  Expand: expandGrad,
  Unsqueeze: unsqueezeGrad,
  Identity: identityGrad,
  Cast: castGrad,
  Sum: sumGrad,
};

export function ruleKey(domain: string, opType: string): string {
  return domain ? `${domain}:${opType}` : opType;
}

export { add } from './add';
export { attention } from './attention';
export { cast } from './cast';
export { concat } from './concat';
export { div } from './div';
export { erf } from './erf';
export { exp } from './exp';
export { expand } from './expand';
export { gather } from './gather';
export { identity } from './identity';
export { layerNorm } from './layer-normalization';
export { log } from './log';
export { matMul } from './mat-mul';
export { mul } from './mul';
export { multiHeadAttention } from './multi-head-attention';
export { neg } from './neg';
export { padZeros } from './pad';
export { pow } from './pow';
export { reduceMean } from './reduce-mean';
export { reduceSum } from './reduce-sum';
export { reshape, reshapeLike } from './reshape';
export { scatterNDAdd } from './scatter-nd';
export { shapeOf } from './shape-of';
export { sigmoid } from './sigmoid';
export { slice } from './slice';
export { softmax } from './softmax';
export { softplus } from './softplus';
export { split } from './split';
export { sqrt } from './sqrt';
export { sub } from './sub';
export { sum } from './sum';
export { transpose, transposeLast2 } from './transpose';
export { unsqueeze } from './unsqueeze';
export { packedAttention } from './packed-attention';
