/**
 * The inference runtime on a GPU, run by hand where the ONNX Runtime CUDA provider is installed:
 * registers a ViT-B/16 (generated weights) in a temporary store, loads it through the runtime with
 * runtime.executionProvider 'auto', reports the provider the runtime says it uses, then drives the
 * dynamic batcher with closed-loop clients (one image per request) and compares with a raw
 * onnxruntime-node CUDA session at batch 32 on the same graph.
 *
 * Usage: node --import tsx bench/gpu-engine-check.ts [--seconds 5] [--concurrency 1,32,128]
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { vitPreset, initialWeights } from '../src/model/vit-description';
import { buildInferenceModel } from '../src/model/vit-graph';
import { openStore } from '../src/store/store';
import { RuntimeInferenceEngine } from '../src/runtime/inference-engine';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const seconds = Number(arg('seconds', '5'));
const levels = arg('concurrency', '1,32,128').split(',').map(Number);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-gpu-'));
  const store = openStore(dir);
  const desc = vitPreset('vit-b16-in21k', 21);
  const weights = initialWeights(desc, 0);
  const graph = buildInferenceModel(desc, weights, { attention: 'fused' });
  // Version 1: fp32 graph only. Version 2: also an fp16 graph, which the runtime serves on CUDA.
  for (const fp16 of [false, true]) {
    const staging = store.createStagingDir('gpu');
    writeFileSync(join(staging, 'model.onnx'), graph);
    if (fp16) writeFileSync(join(staging, 'model.fp16.onnx'), buildInferenceModel(desc, weights, { attention: 'fused', dtype: 'float16' }));
    store.models.registerVersion({
      modelName: 'vit-b16', stagingDir: staging, serve: true,
      spec: {
        labels: Array.from({ length: 21 }, (_, i) => `L${i}`), preprocessing: 'study-2024', imageSize: 224, architecture: desc as unknown as Record<string, unknown>,
        architectureSummary: 'ViT-B/16', operatingPoints: [], usableAsInit: false, files: { graph: 'model.onnx', ...(fp16 ? { graphFp16: 'model.fp16.onnx' } : {}) },
        provenance: { initKind: 'random', source: 'bench', sha256: '', checkpointFormat: 'none', posEmbedInterpolation: 'none', headKept: true },
      },
    });
  }
  const engine = new RuntimeInferenceEngine({
    store, workers: 2, intraOpThreads: 1, executionProvider: 'auto', cudaDeviceId: 0,
    batching: { maxBatchSize: 32, maxQueueDelayMs: 2, maxQueueSize: 4096 },
  });
  const image = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.37));
  const probs: Float32Array[] = [];
  for (const version of [1, 2]) {
    await engine.models.load('vit-b16', version);
    console.log(`version ${version} (${version === 2 ? 'fp16 graph available' : 'fp32 only'}): runtime reports provider ${engine.executionProviderOf('vit-b16', version)} (requested auto)`);
    probs.push((await engine.inferTensor('vit-b16', version, image, 1)).probabilities);
    for (const c of levels) {
      const lat: number[] = [];
      const end = performance.now() + seconds * 1000;
      await Promise.all(Array.from({ length: c }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await engine.inferTensor('vit-b16', version, image, 1);
          lat.push(performance.now() - t);
        }
      }));
      console.log(`  engine closed loop c=${c}: ${(lat.length / seconds).toFixed(1)} img/s, p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms`);
    }
    const s = engine.statistics('vit-b16', version)[0]!;
    console.log(`  batches: ${s.executionCount} executions for ${s.inferenceCount} images (mean batch ${(s.inferenceCount / s.executionCount).toFixed(1)})`);
  }
  let d = 0;
  for (let i = 0; i < probs[0]!.length; i++) d = Math.max(d, Math.abs(probs[0]![i]! - probs[1]![i]!));
  console.log(`max |p_fp16 - p_fp32| over ${probs[0]!.length} probabilities: ${d.toExponential(2)}`);
  await engine.close();
  const raw = await ort.InferenceSession.create(graph, { executionProviders: [{ name: 'cuda', deviceId: 0 }] });
  const x = new ort.Tensor('float32', new Float32Array(32 * 3 * 224 * 224).fill(0.5), [32, 3, 224, 224]);
  for (let w = 0; w < 3; w++) await raw.run({ pixels: x });
  const times: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t = performance.now();
    await raw.run({ pixels: x });
    times.push(performance.now() - t);
  }
  console.log(`raw onnxruntime-node CUDA session, batch 32: ${(32 / (pct(times, 0.5) / 1000)).toFixed(1)} img/s`);
  await raw.release();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
