import { seededRandom } from '../util/seeded-random';
import * as ort from 'onnxruntime-node';
import { invalidArgument } from '../errors/cxr-error';
import { gradients } from './autodiff';
import { DType } from './dtype';
import { Graph } from './graph';
import { serializeModel } from './serialize';
import { isStatic, numel } from './shape';

export type FloatArray = Float32Array | Float64Array;

/** A feed for a graph input: data in the input's dtype, shape given for symbolic dims. */
export interface Feed {
  data: FloatArray | BigInt64Array;
  dims: readonly number[];
}

export interface GradCheckOptions {
  /** Central-difference step (default 1e-4 for float64 graphs, 1e-2 for float32). */
  eps?: number;
  /** Per-input elements checked, chosen evenly (default: all, up to 64). */
  samplesPerInput?: number;
  /** Pass when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|). */
  rtol?: number;
  atol?: number;
}

export interface GradCheckReport {
  checked: number;
  failures: { input: string; index: number; analytic: number; numeric: number }[];
  maxAbsError: number;
  /** Analytic gradients of every wrt input (full arrays). */
  analytic: Map<string, Float64Array>;
}

function tensorOf(dtype: DType, feed: Feed): ort.Tensor {
  return new ort.Tensor(dtype as 'float32', feed.data as Float32Array, feed.dims as number[]);
}

/** Runs a graph once on onnxruntime-node (CPU) and returns the named outputs as float64 arrays. */
export async function runGraph(g: Graph, feeds: Record<string, Feed>, fetch: readonly string[] = g.outputs): Promise<Map<string, Float64Array>> {
  const session = await ort.InferenceSession.create(serializeModel(g));
  const out = await session.run(toOrtFeeds(g, feeds), fetch as string[]);
  await session.release();
  return new Map(fetch.map((n) => [n, Float64Array.from(out[n]!.data as Float32Array)]));
}

function toOrtFeeds(g: Graph, feeds: Record<string, Feed>): Record<string, ort.Tensor> {
  const r: Record<string, ort.Tensor> = {};
  for (const name of g.inputs) {
    const f = feeds[name];
    if (!f) throw invalidArgument(`no feed for graph input '${name}'`);
    r[name] = tensorOf(g.dtype(name), f);
  }
  return r;
}

/**
 * Finite-difference gradient check of `loss` (a value of `g`) with respect to graph inputs
 * `wrt`. Differentiates `g` in place (appends backward nodes and outputs), runs the analytic
 * gradients once, then perturbs sampled elements of each input by +-eps and compares.
 * Float64 graphs make this tight; use float32 only where an op lacks a float64 kernel.
 */
export async function checkGradients(g: Graph, loss: string, wrt: readonly string[], feeds: Record<string, Feed>, opts: GradCheckOptions = {}): Promise<GradCheckReport> {
  for (const w of wrt) if (!g.inputs.includes(w)) throw invalidArgument(`checkGradients: '${w}' is not a graph input`);
  const f64 = g.dtype(loss) === 'float64';
  const eps = opts.eps ?? (f64 ? 1e-4 : 1e-2);
  const rtol = opts.rtol ?? (f64 ? 1e-5 : 2e-2);
  const atol = opts.atol ?? (f64 ? 1e-8 : 1e-3);
  const grads = gradients(g, loss, wrt);
  const lossOut = g.output(loss);
  const gradOuts = wrt.map((w) => g.output(grads.get(w)!));
  const session = await ort.InferenceSession.create(serializeModel(g));
  try {
    const base = toOrtFeeds(g, feeds);
    const res = await session.run(base);
    const analytic = new Map<string, Float64Array>();
    wrt.forEach((w, i) => analytic.set(w, Float64Array.from(res[gradOuts[i]!]!.data as Float64Array)));
    const lossAt = async (name: string, data: FloatArray): Promise<number> => {
      const r = await session.run({ ...base, [name]: new ort.Tensor(g.dtype(name) as 'float32', data as Float32Array, feeds[name]!.dims as number[]) }, [lossOut]);
      const v = r[lossOut]!.data as Float64Array;
      let s = 0;
      for (let k = 0; k < v.length; k++) s += v[k]!;
      return s;
    };
    const report: GradCheckReport = { checked: 0, failures: [], maxAbsError: 0, analytic };
    for (const w of wrt) {
      const src = feeds[w]!.data as FloatArray;
      const n = src.length;
      const samples = Math.min(n, opts.samplesPerInput ?? 64);
      const a = analytic.get(w)!;
      for (let s = 0; s < samples; s++) {
        const idx = samples === n ? s : Math.floor((s * n) / samples);
        const plus = src.slice() as FloatArray;
        const minus = src.slice() as FloatArray;
        plus[idx] = plus[idx]! + eps;
        minus[idx] = minus[idx]! - eps;
        const numeric = ((await lossAt(w, plus)) - (await lossAt(w, minus))) / (2 * eps);
        const err = Math.abs(a[idx]! - numeric);
        report.maxAbsError = Math.max(report.maxAbsError, err);
        report.checked++;
        if (!(err <= atol + rtol * Math.max(Math.abs(a[idx]!), Math.abs(numeric)))) {
          report.failures.push({ input: w, index: idx, analytic: a[idx]!, numeric });
        }
      }
    }
    return report;
  } finally {
    await session.release();
  }
}

/** Deterministic pseudo-random values in [lo, hi) (mulberry32), for tests and fixtures. */
export function seededUniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const u = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * u();
  return out;
}

export function staticNumel(g: Graph, name: string): number {
  const s = g.shape(name);
  if (!isStatic(s)) throw invalidArgument(`'${name}' has a symbolic shape`);
  return numel(s);
}
