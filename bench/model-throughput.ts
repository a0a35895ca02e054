// Model engine benchmark (issue 3): graph build time, session-create time and CPU images/s
// for ViT-S/16, ViT-B/16 and ViT-B/14 at 224 px, plain vs fused attention, batch 1 and 8.
// Usage: node --import tsx bench/model-throughput.ts [--threads 2] [--runs 5] [--forms plain,fused[,onnx-attention]]
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { initialWeights } from '../src/model/initial-weights';
import { VitPresetName, vitPreset } from '../src/model/vit-description';
import { AttentionForm, buildInferenceModel } from '../src/model/vit-graph';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const threads = Number(arg('threads', '2'));
const runs = Number(arg('runs', '5'));
const forms = arg('forms', 'plain,fused').split(',') as AttentionForm[];
const models: [string, VitPresetName][] = [['ViT-S/16', 'vit-s16'], ['ViT-B/16', 'vit-b16-in21k'], ['ViT-B/14', 'dinov2-vitb14']];
const batches = [1, 8];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row { model: string; form: AttentionForm; buildMs: number; createMs: number; ips: Record<number, number> }

async function main(): Promise<void> {
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, onnxruntime-node ${ortVersion}, load average at start ${loadavg()[0]!.toFixed(1)}`);
  console.log(`date: ${new Date().toISOString()}  intraOpNumThreads: ${threads}  timed runs per cell: ${runs} (median, after 1 warm-up; forms interleaved)`);
  const rows: Row[] = [];
  for (const [label, preset] of models) {
    const desc = vitPreset(preset, 14);
    const weights = initialWeights(desc, 0);
    const cells: { form: AttentionForm; buildMs: number; createMs: number; session: ort.InferenceSession; ips: Record<number, number> }[] = [];
    for (const form of forms) {
      const t0 = performance.now();
      const bytes = buildInferenceModel(desc, weights, { attention: form });
      const buildMs = performance.now() - t0;
      const t1 = performance.now();
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      cells.push({ form, buildMs, createMs: performance.now() - t1, session, ips: {} });
    }
    for (const b of batches) {
      const pixels = new ort.Tensor('float32', new Float32Array(b * 3 * 224 * 224).fill(0.5), [b, 3, 224, 224]);
      for (const c of cells) await c.session.run({ pixels });
      // Forms alternate run by run so that load from other processes hits them alike.
      const times = cells.map(() => [] as number[]);
      for (let r = 0; r < runs; r++) {
        for (const [i, c] of cells.entries()) {
          const s = performance.now();
          await c.session.run({ pixels });
          times[i]!.push(performance.now() - s);
        }
      }
      cells.forEach((c, i) => (c.ips[b] = (b * 1000) / median(times[i]!)));
    }
    for (const c of cells) {
      await c.session.release();
      rows.push({ model: label, form: c.form, buildMs: c.buildMs, createMs: c.createMs, ips: c.ips });
      console.error(`  ${label} ${c.form}: build ${c.buildMs.toFixed(0)} ms, create ${c.createMs.toFixed(0)} ms, ${batches.map((b) => `b${b} ${c.ips[b]!.toFixed(2)} img/s`).join(', ')}`);
    }
  }
  console.log(`load average at end ${loadavg()[0]!.toFixed(1)}`);
  console.log('\n| model | attention | build ms | session create ms | img/s batch 1 | img/s batch 8 | vs plain (b1 / b8) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const plain = rows.find((x) => x.model === r.model && x.form === 'plain');
    const ratio = plain && r.form !== 'plain' ? `${(r.ips[1]! / plain.ips[1]!).toFixed(2)}x / ${(r.ips[8]! / plain.ips[8]!).toFixed(2)}x` : '-';
    console.log(`| ${r.model} | ${r.form} | ${r.buildMs.toFixed(0)} | ${r.createMs.toFixed(0)} | ${r.ips[1]!.toFixed(2)} | ${r.ips[8]!.toFixed(2)} | ${ratio} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
