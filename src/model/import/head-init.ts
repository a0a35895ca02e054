/**
 * Initialisation of a new classification head Linear(D, C) for a label set the checkpoint was not
 * trained on. Two documented schemes:
 *
 * - 'trunc-normal' (default): weight ~ N(0, 0.02^2) truncated to [-2, 2] (absolute bounds, as
 *   torch.nn.init.trunc_normal_'s defaults; at std 0.02 the truncation never bites), bias 0. This is
 *   timm's init_weights_vit_timm and the dinov2 repo's init for Linear layers, i.e. what a timm
 *   model created with a new num_classes starts from.
 * - 'torch-default': nn.Linear's own reset_parameters: kaiming_uniform_(a=sqrt(5)) which is
 *   U(-1/sqrt(D), 1/sqrt(D)), and bias U(-1/sqrt(D), 1/sqrt(D)): what a study script gets when it
 *   replaces `model.head = nn.Linear(D, C)` by hand.
 *
 * A seeded generator keeps imports reproducible (the seed goes into provenance).
 */
import { Tensor } from './tensor';

export type HeadInit = 'trunc-normal' | 'torch-default';

/** The project's one seeded generator (mulberry32), under the name the importer's callers use. */
import { seededRandom as seededUniform } from '../../util/seeded-random';

export { seededUniform };

function normal(u: () => number): number {
  // Box-Muller; 1-u keeps the log argument in (0, 1]
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function initHead(width: number, classes: number, scheme: HeadInit, seed: number): { weight: Tensor; bias: Tensor } {
  const u = seededUniform(seed);
  const w = new Float32Array(classes * width);
  const b = new Float32Array(classes);
  if (scheme === 'trunc-normal') {
    for (let i = 0; i < w.length; i++) {
      let x: number;
      do x = 0.02 * normal(u); while (x < -2 || x > 2);
      w[i] = x;
    }
  } else {
    const bound = 1 / Math.sqrt(width);
    for (let i = 0; i < w.length; i++) w[i] = (2 * u() - 1) * bound;
    for (let i = 0; i < b.length; i++) b[i] = (2 * u() - 1) * bound;
  }
  return {
    weight: { shape: [classes, width], data: w, sourceDtype: 'F32' },
    bias: { shape: [classes], data: b, sourceDtype: 'F32' },
  };
}
