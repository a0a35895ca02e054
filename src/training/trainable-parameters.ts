import { invalidArgument } from '../errors/cxr-error';
import { parameterShapes, type VitDescription, type VitWeights } from '../model/vit-description';
import type { TrainableScope } from './training-spec';

/**
 * Which tensors a run updates. For full / last-k / head scopes they are canonical ViT
 * parameters; for LoRA they are the adapter matrices (`<target>.lora_A` [r, in],
 * `<target>.lora_B` [out, r], PEFT layout) plus the head, and the targets stay frozen.
 */
export interface TrainableSet {
  /** Trainable tensor names, in a stable order (feeds, fetches and checkpoints use it). */
  names: string[];
  shapes: Map<string, number[]>;
  /** LoRA: canonical weights that get a low-rank update, and the scale alpha / r. */
  lora?: { targets: string[]; rank: number; alpha: number; scale: number };
}

export const loraNames = (target: string): { a: string; b: string } => ({ a: `${target}.lora_A`, b: `${target}.lora_B` });

export function trainableSet(desc: VitDescription, scope: TrainableScope): TrainableSet {
  const all = parameterShapes(desc);
  const pick = (keep: (name: string) => boolean): TrainableSet => {
    const names = [...all.keys()].filter(keep);
    return { names, shapes: new Map(names.map((n) => [n, all.get(n)!])) };
  };
  switch (scope.kind) {
    case 'full':
      return pick(() => true);
    case 'head':
      return pick((n) => n.startsWith('head.'));
    case 'lastBlocks': {
      if (scope.blocks > desc.depth) {
        throw invalidArgument(`scope.last_blocks ${scope.blocks} exceeds the model's ${desc.depth} blocks`, [{ field: 'scope.last_blocks', description: `must be <= ${desc.depth}` }]);
      }
      const first = desc.depth - scope.blocks;
      return pick((n) => {
        const m = /^blocks\.(\d+)\./.exec(n);
        return m ? Number(m[1]) >= first : n.startsWith('norm.') || n.startsWith('head.');
      });
    }
    case 'lora': {
      const D = desc.width;
      const targets: string[] = [];
      for (let i = 0; i < desc.depth; i++) targets.push(`blocks.${i}.attn.q.weight`, `blocks.${i}.attn.v.weight`);
      const names: string[] = [];
      const shapes = new Map<string, number[]>();
      for (const t of targets) {
        const { a, b } = loraNames(t);
        names.push(a, b);
        shapes.set(a, [scope.rank, D]);
        shapes.set(b, [D, scope.rank]);
      }
      for (const h of ['head.weight', 'head.bias']) {
        names.push(h);
        shapes.set(h, all.get(h)!);
      }
      return { names, shapes, lora: { targets, rank: scope.rank, alpha: scope.alpha, scale: scope.alpha / scope.rank } };
    }
  }
}

/**
 * Starting values of the trainable tensors: copies of the init weights, and for LoRA
 * A ~ kaiming-uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)) and B = 0 (PEFT), so the
 * adapted model starts exactly at the init model. A is seeded, so reruns agree.
 */
export function initialTrainableValues(set: TrainableSet, weights: VitWeights, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const rng = mulberry32(seed ^ 0x10ba);
  for (const name of set.names) {
    const shape = set.shapes.get(name)!;
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('.lora_A')) {
      const bound = 1 / Math.sqrt(shape[1]);
      out.set(name, Float32Array.from({ length: n }, () => (2 * rng() - 1) * bound));
    } else if (name.endsWith('.lora_B')) {
      out.set(name, new Float32Array(n));
    } else {
      const w = weights.get(name);
      if (!w || w.length !== n) throw invalidArgument(`init weights lack '${name}' of [${shape.join(',')}]`);
      out.set(name, Float32Array.from(w));
    }
  }
  return out;
}

/** Canonical weights after training: trained tensors replace the init ones; LoRA is merged (W + s * B @ A). */
export function mergeTrainedWeights(set: TrainableSet, base: VitWeights, trained: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, w] of base) out.set(name, set.lora && set.lora.targets.includes(name) ? Float32Array.from(w) : (trained.get(name) ?? w));
  if (set.lora) {
    const { rank: r, scale } = set.lora;
    for (const t of set.lora.targets) {
      const { a, b } = loraNames(t);
      const A = trained.get(a)!;
      const B = trained.get(b)!;
      const W = out.get(t)!;
      const inDim = A.length / r;
      const outDim = B.length / r;
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += B[o * r + k] * A[k * inDim + i];
          W[o * inDim + i] += scale * s;
        }
      }
    }
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
