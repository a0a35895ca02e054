/**
 * Bootstrap cost of Evaluate: 1000 resamples x 10 labels x 25,000 images (the issue-7 target is
 * under 10 s on the 2-core dev machine). Baseline, measured in the same run: re-sorting every
 * resample (what a naive sklearn-style loop does), timed on a few resamples and extrapolated.
 * Usage: npx tsx bench/evaluation-bootstrap.ts [images=25000] [labels=10] [resamples=1000] [runs=3]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { auroc } from '../src/evaluation/auroc';
import { createBootstrapPlan, resampleIndices } from '../src/evaluation/bootstrap-plan';
import { compareModels, evaluatePredictions } from '../src/evaluation/evaluator';
import { SeededRandom } from '../src/evaluation/seeded-random';

const [n, L, B, runs] = [25000, 10, 1000, 3].map((d, i) => Number(process.argv[2 + i] ?? d));

function synthetic(seed: number, shift: number): { scores: Float32Array[]; truth: Uint8Array[] } {
  const rng = new SeededRandom(seed);
  const u = () => (rng.nextUint32() + 0.5) / 4294967296;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const truth: Uint8Array[] = [];
  const scores: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    const prevalence = 0.02 + 0.3 * (l / L);
    const t = new Uint8Array(n);
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = u() < prevalence ? 1 : 0;
      s[i] = 1 / (1 + Math.exp(-(gauss() + (t[i] ? 1.2 + shift : 0))));
    }
    truth.push(t);
    scores.push(s);
  }
  return { scores, truth };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const cpu: Record<string, number[]> = {};
/** Wall seconds; CPU seconds go to `cpu[tag]` (the machine is shared, so wall time includes waiting). */
function time<T>(f: () => T, tag = ''): [number, T] {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  (cpu[tag] ??= []).push((c.user + c.system) / 1e6);
  return [wall, r];
}

const a = synthetic(1, 0);
const b = synthetic(1, 0.1);
const truth = a.truth;

const planTimes: number[] = [];
const evalTimes: number[] = [];
const compareTimes: number[] = [];
for (let r = 0; r < runs; r++) {
  planTimes.push(time(() => createBootstrapPlan(n, 7, B))[0]);
  evalTimes.push(time(() => evaluatePredictions({ labels: a.scores.map((_, l) => `l${l}`), scores: a.scores, truth, seed: 7, resamples: B }), 'eval')[0]);
  const plan = createBootstrapPlan(n, 7, B);
  compareTimes.push(time(() => compareModels({
    labels: a.scores.map((_, l) => `l${l}`), truth, seed: 7, plan,
    models: [{ name: 'A', scores: a.scores }, { name: 'B', scores: b.scores }],
  }), 'compare')[0]);
}

// Naive baseline: gather and re-sort each resample, one label, a few resamples, extrapolated.
const plan = createBootstrapPlan(n, 7, 5);
const [naive] = time(() => {
  for (let k = 0; k < 5; k++) {
    const idx = resampleIndices(plan, k);
    const s = new Float64Array(n);
    const t = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = a.scores[0][idx[i]];
      t[i] = truth[0][idx[i]];
    }
    auroc(s, t);
  }
});
const naiveFull = (naive / 5) * B * L;

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
console.log(`date: ${new Date().toISOString()}`);
console.log(`workload: ${L} labels x ${n} images x ${B} resamples, ${runs} runs`);
console.log(`plan (indices only)            median ${median(planTimes).toFixed(3)} s`);
console.log(`evaluatePredictions, 1 model   median ${median(evalTimes).toFixed(3)} s wall, ${median(cpu.eval).toFixed(3)} s CPU (plan included)`);
console.log(`compareModels, 2 models        median ${median(compareTimes).toFixed(3)} s wall, ${median(cpu.compare).toFixed(3)} s CPU (plan reused)`);
console.log(`load average (1 min): ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`);
console.log(`baseline re-sort per resample  ~${naiveFull.toFixed(1)} s extrapolated; ratio ${(naiveFull / median(evalTimes)).toFixed(1)}x`);
