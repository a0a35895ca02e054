/** Float64 transcription of torch.optim.AdamW's single-tensor step, the reference graphs are checked against. */
export function adamWReference(
  p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number },
): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - o.lr * o.weightDecay;
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
    p[i] -= (o.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps));
  }
}
