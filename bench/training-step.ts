// Training benchmark (issue 6): ViT-S/16 at batch 8 on CPU, full fine-tuning and LoRA (r=16, alpha=16).
//   step / forward: one training step (forward + BCE + backward + AdamW, one ONNX graph) over one
//     forward pass of the same plain-attention model at the same batch (target <= 3.5).
//   state share: time to move the trainable tensors and AdamW moments in and out of ORT (an
//     identity graph with exactly the step graph's state feeds and preallocated fetches) over the
//     step time (target < 15%).
// Usage: node --import tsx bench/training-step.ts [--threads 2] [--runs 5] [--preset vit-s16] [--batch 8]
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/graph/graph';
import { serializeModel } from '../src/graph/serialize';
import { initialWeights } from '../src/model/initial-weights';
import { vitPreset, type VitPresetName } from '../src/model/vit-description';
import { buildInferenceModel } from '../src/model/vit-graph';
import { ADAMW_FEEDS, adamWScalars, DEFAULT_ADAMW } from '../src/training/adamw';
import { initialTrainableValues, trainableSet, type TrainableSet } from '../src/training/trainable-parameters';
import { buildTrainingGraph, names } from '../src/training/training-graph';
import type { TrainableScope } from '../src/training/training-spec';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const threads = Number(arg('threads', '2'));
const runs = Number(arg('runs', '5'));
const preset = arg('preset', 'vit-s16') as VitPresetName;
const B = Number(arg('batch', '8'));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };

/** Feeds and preallocated fetches of both swap directions, as the trainer builds them. */
function stateIo(set: TrainableSet, values: Map<string, Float32Array>) {
  const mk = (init: boolean) => {
    const s = new Map<string, { p: ort.Tensor; m: ort.Tensor; v: ort.Tensor }>();
    for (const n of set.names) {
      const shape = set.shapes.get(n)!;
      const len = values.get(n)!.length;
      s.set(n, { p: new ort.Tensor('float32', init ? Float32Array.from(values.get(n)!) : new Float32Array(len), shape), m: new ort.Tensor('float32', new Float32Array(len), shape), v: new ort.Tensor('float32', new Float32Array(len), shape) });
    }
    return s;
  };
  const a = mk(true);
  const b = mk(false);
  const dir = (from: typeof a, to: typeof a) => {
    const feeds: Record<string, ort.Tensor> = {};
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const n of set.names) {
      feeds[n] = from.get(n)!.p; feeds[names.m(n)] = from.get(n)!.m; feeds[names.v(n)] = from.get(n)!.v;
      fetches[names.out(n)] = to.get(n)!.p; fetches[names.out(names.m(n))] = to.get(n)!.m; fetches[names.out(names.v(n))] = to.get(n)!.v;
    }
    return { feeds, fetches };
  };
  return [dir(a, b), dir(b, a)];
}

/** Same state inputs and outputs as the step graph, nothing computed: the cost of moving state. */
function transferGraph(set: TrainableSet): Uint8Array {
  const g = new Graph({ name: 'state-transfer' });
  for (const n of set.names) {
    const shape = set.shapes.get(n)!;
    for (const x of [n, names.m(n), names.v(n)]) g.output(g.op('Identity', [g.input(x, 'float32', shape)], 'float32', shape), names.out(x));
  }
  return serializeModel(g);
}

async function main(): Promise<void> {
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, onnxruntime-node ${ortVersion}, load average at start ${loadavg()[0]!.toFixed(1)}`);
  console.log(`date: ${new Date().toISOString()}  model: ${preset} batch ${B}  intraOpNumThreads: ${threads}  timed runs: ${runs} (median after 1 warm-up; the three graphs interleaved)`);
  const desc = vitPreset(preset, 14);
  const weights = initialWeights(desc, 0);
  const S = desc.imageSize;
  const pixels = new ort.Tensor('float32', new Float32Array(B * 3 * S * S).fill(0.5), [B, 3, S, S]);
  const targets = new ort.Tensor('float32', Float32Array.from({ length: B * 14 }, (_, i) => (i % 3 === 0 ? 1 : 0)), [B, 14]);
  const forward = await ort.InferenceSession.create(buildInferenceModel(desc, weights, { attention: 'plain', batch: B }), opts);
  const scopes: [string, TrainableScope][] = [['full fine-tuning', { kind: 'full' }], ['LoRA r=16 q/v + head', { kind: 'lora', rank: 16, alpha: 16 }]];
  const rows: string[] = [];
  for (const [label, scope] of scopes) {
    const set = trainableSet(desc, scope);
    const params = set.names.reduce((a, n) => a + set.shapes.get(n)!.reduce((x, y) => x * y, 1), 0);
    let t = performance.now();
    const bytes = serializeModel(buildTrainingGraph({ desc, weights, trainable: set, batchSize: B, posWeight: new Array(14).fill(2), optimizer: DEFAULT_ADAMW }));
    const buildMs = performance.now() - t;
    t = performance.now();
    const step = await ort.InferenceSession.create(bytes, opts);
    const createMs = performance.now() - t;
    const transfer = await ort.InferenceSession.create(transferGraph(set), opts);
    const io = stateIo(set, initialTrainableValues(set, weights, 0));
    const s = adamWScalars(DEFAULT_ADAMW, 1e-5, 1);
    const scalars = {
      [ADAMW_FEEDS.decay]: new ort.Tensor('float32', Float32Array.of(s.decay), []),
      [ADAMW_FEEDS.stepSize]: new ort.Tensor('float32', Float32Array.of(s.stepSize), []),
      [ADAMW_FEEDS.bc2Sqrt]: new ort.Tensor('float32', Float32Array.of(s.bc2Sqrt), []),
    };
    const times = { forward: [] as number[], step: [] as number[], transfer: [] as number[] };
    for (let r = 0; r <= runs; r++) {
      const d = io[r % 2]!;
      let t0 = performance.now();
      await forward.run({ pixels });
      const f = performance.now() - t0;
      t0 = performance.now();
      await step.run({ ...d.feeds, pixels, targets, ...scalars }, { ...d.fetches, loss: null });
      const st = performance.now() - t0;
      t0 = performance.now();
      await transfer.run(d.feeds, d.fetches);
      const tr = performance.now() - t0;
      if (r === 0) continue; // warm-up
      times.forward.push(f); times.step.push(st); times.transfer.push(tr);
    }
    const fw = median(times.forward), st = median(times.step), tr = median(times.transfer);
    const row = `| ${label} | ${(params / 1e6).toFixed(2)} M | ${fw.toFixed(0)} ms | ${st.toFixed(0)} ms | ${(st / fw).toFixed(2)} | ${tr.toFixed(0)} ms | ${((100 * tr) / st).toFixed(1)} % | ${(buildMs / 1000).toFixed(1)} s + ${(createMs / 1000).toFixed(1)} s |`;
    console.log(row);
    rows.push(row);
    await step.release();
    await transfer.release();
  }
  console.log('\n| scope | trainable | forward (median) | step (median) | step / forward | state in+out | state share | graph build + session create |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  await forward.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
