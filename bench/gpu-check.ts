/**
 * GPU check, run by hand on a machine with an NVIDIA GPU and the ONNX Runtime CUDA provider
 * libraries beside onnxruntime-node's binding: builds ViT-S/16 and ViT-B/16 inference graphs with
 * the project's graph builder (fp32 and fp16), runs them on the CUDA and CPU execution providers,
 * prints the largest difference between the two and GPU images/s per batch size.
 *
 * Usage: node --import tsx bench/gpu-check.ts [--runs 20] [--batches 1,8,32]
 */
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { vitPreset, initialWeights, type VitPresetName } from '../src/model/vit-description';
import { buildInferenceModel } from '../src/model/vit-graph';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const runs = Number(arg('runs', '20'));
const batches = arg('batches', '1,8,32').split(',').map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  console.log(`date ${new Date().toISOString()}  cpu ${cpus()[0]?.model} x${cpus().length}  load ${loadavg()[0]!.toFixed(1)}  node ${process.version}  onnxruntime-node ${ort.env.versions.node}`);
  for (const preset of ['vit-s16', 'vit-b16-in21k'] as VitPresetName[]) {
    const desc = vitPreset(preset, 21);
    const weights = initialWeights(desc, 0);
    const S = desc.imageSize;
    const probe = new Float32Array(2 * 3 * S * S).map((_, i) => Math.sin(i * 0.37));
    const cpu = await ort.InferenceSession.create(buildInferenceModel(desc, weights, { attention: 'plain' }), { executionProviders: ['cpu'] });
    const ref = (await cpu.run({ pixels: new ort.Tensor('float32', probe, [2, 3, S, S]) })).logits!.data as Float32Array;
    await cpu.release();
    for (const dtype of ['float32', 'float16'] as const) {
      for (const attention of ['plain', 'fused'] as const) {
        try {
        const t0 = performance.now();
        const bytes = buildInferenceModel(desc, weights, { attention, dtype });
        const built = performance.now() - t0;
        const t1 = performance.now();
        const s = await ort.InferenceSession.create(bytes, { executionProviders: [{ name: 'cuda', deviceId: 0 }] });
        const created = performance.now() - t1;
        const out = (await s.run({ pixels: new ort.Tensor('float32', probe, [2, 3, S, S]) })).logits!.data as Float32Array;
        let maxDiff = 0;
        for (let i = 0; i < out.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i]! - ref[i]!));
        const rates: string[] = [];
        for (const b of batches) {
          const x = new ort.Tensor('float32', new Float32Array(b * 3 * S * S).fill(0.5), [b, 3, S, S]);
          for (let w = 0; w < 3; w++) await s.run({ pixels: x });
          const times: number[] = [];
          for (let r = 0; r < runs; r++) {
            const t = performance.now();
            await s.run({ pixels: x });
            times.push(performance.now() - t);
          }
          rates.push(`b${b} ${(b / (median(times) / 1000)).toFixed(1)} img/s`);
        }
        console.log(`${preset} ${dtype} ${attention}: build ${built.toFixed(0)} ms, CUDA session ${created.toFixed(0)} ms, max |cuda - cpu fp32| ${maxDiff.toExponential(2)}, ${rates.join(', ')}`);
        await s.release();
        } catch (err) {
          console.log(`${preset} ${dtype} ${attention}: FAILED ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
