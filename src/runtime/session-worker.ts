import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { CxrError } from '../errors/cxr-error';
import { cudaProviderInstalled, type ProviderChoice, type ProviderName } from './execution-provider';

/**
 * One inference worker thread: holds one ONNX Runtime session per loaded model version and runs
 * one batch at a time. session.run is synchronous native code, so it lives here, never on the
 * main thread. Input buffers arrive transferred and go back transferred with the result, so
 * the batcher reuses the same (already touched) memory for every batch.
 */

export interface LoadMessage {
  type: 'load';
  key: string;
  graphPath: string;
  provider: ProviderChoice;
  cudaDeviceId: number;
  intraOpThreads: number;
  /** [batch, 3, S, S] of the warm-up run; the largest batch is used so its buffers are sized up front. */
  warmupShape: number[];
}
export interface UnloadMessage { type: 'unload'; key: string }
/** `shape` is [batch, 3, S, S]; the first batch x 3 x S x S floats of `buffer` are the input. */
export interface RunMessage { type: 'run'; id: number; key: string; buffer: ArrayBuffer; shape: number[] }
/** Test-only (honoured only when the pool was built with allowFaultInjection): the next run dies. */
export interface FaultMessage { type: 'fault'; mode: 'exit' | 'throw' }
export type WorkerRequest = LoadMessage | UnloadMessage | RunMessage | FaultMessage;

export interface TensorInfo { name: string; type: string; shape: (number | string)[] }

export type WorkerReply =
  | { type: 'started' }
  | { type: 'loaded'; key: string; provider: ProviderName; fallbackReason?: string; inputs: TensorInfo[]; outputs: TensorInfo[] }
  | { type: 'load-failed'; key: string; error: ReturnType<CxrError['toJSON']> }
  | { type: 'unloaded'; key: string }
  | { type: 'result'; id: number; buffer: ArrayBuffer; logits: ArrayBuffer; inputNs: number; inferNs: number; outputNs: number }
  | { type: 'run-failed'; id: number; buffer: ArrayBuffer; error: ReturnType<CxrError['toJSON']> };

const port = parentPort;
const sessions = new Map<string, { session: ort.InferenceSession; input: string; output: string }>();
let armedFault: FaultMessage['mode'] | undefined;

function sessionOptions(m: LoadMessage, provider: ProviderName): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? [{ name: 'cuda', deviceId: m.cudaDeviceId }] : ['cpu'],
    intraOpNumThreads: m.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: String(m.type), shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] }));
}

async function load(m: LoadMessage): Promise<WorkerReply> {
  const bytes = readFileSync(m.graphPath);
  let provider: ProviderName = m.provider === 'cpu' ? 'cpu' : 'cuda';
  let fallbackReason: string | undefined;
  if (m.provider === 'auto' && !cudaProviderInstalled()) {
    provider = 'cpu';
    fallbackReason = 'the ONNX Runtime CUDA provider library (libonnxruntime_providers_cuda.so) is not installed';
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions(m, provider));
  } catch (err) {
    if (m.provider !== 'auto' || provider === 'cpu') throw err;
    // 'auto' falls back, but the caller logs it loudly: a CPU-served GPU deployment is a 10x slowdown.
    fallbackReason = err instanceof Error ? err.message : String(err);
    provider = 'cpu';
    session = await ort.InferenceSession.create(bytes, sessionOptions(m, provider));
  }
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  // Warm-up: the first run allocates the arena and picks kernels; keep that off the first request.
  const n = m.warmupShape.reduce((a, b) => a * b, 1);
  await session.run({ [input]: new ort.Tensor('float32', new Float32Array(n), m.warmupShape) });
  sessions.get(m.key)?.session.release().catch(() => undefined);
  sessions.set(m.key, { session, input, output });
  return { type: 'loaded', key: m.key, provider, fallbackReason, inputs: metadata(session.inputMetadata), outputs: metadata(session.outputMetadata) };
}

function dieNow(mode: FaultMessage['mode']): void {
  if (mode === 'exit') process.exit(70);
  // An exception escaping a native callback: the worker's 'error' event, then its exit.
  setImmediate(() => {
    throw new Error('injected fault in session worker');
  });
}

async function run(m: RunMessage): Promise<WorkerReply> {
  const s = sessions.get(m.key);
  if (!s) throw new CxrError('UNAVAILABLE', `model session ${m.key} is not loaded in this worker`);
  const t0 = process.hrtime.bigint();
  const data = new Float32Array(m.buffer, 0, m.shape.reduce((a, b) => a * b, 1));
  const feeds = { [s.input]: new ort.Tensor('float32', data, m.shape) };
  const t1 = process.hrtime.bigint();
  if (armedFault) {
    const mode = armedFault;
    armedFault = undefined;
    dieNow(mode);
    if (mode === 'throw') return new Promise<WorkerReply>(() => undefined); // never answers: the worker dies first
  }
  const out = await s.session.run(feeds, [s.output]);
  const t2 = process.hrtime.bigint();
  const logits = (out[s.output]!.data as Float32Array).slice();
  const t3 = process.hrtime.bigint();
  return { type: 'result', id: m.id, buffer: m.buffer, logits: logits.buffer, inputNs: Number(t1 - t0), inferNs: Number(t2 - t1), outputNs: Number(t3 - t2) };
}

if (port) {
  port.on('message', (m: WorkerRequest) => {
    if (m.type === 'fault') {
      armedFault = m.mode;
      return;
    }
    if (m.type === 'unload') {
      const s = sessions.get(m.key);
      sessions.delete(m.key);
      void (s ? s.session.release() : Promise.resolve()).catch(() => undefined).then(() => port.postMessage({ type: 'unloaded', key: m.key } satisfies WorkerReply));
      return;
    }
    if (m.type === 'load') {
      load(m).then(
        (r) => port.postMessage(r),
        (err: unknown) => {
          const e = err instanceof CxrError ? err : new CxrError('FAILED_PRECONDITION', `model graph could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
          port.postMessage({ type: 'load-failed', key: m.key, error: e.toJSON() } satisfies WorkerReply);
        },
      );
      return;
    }
    run(m).then(
      (r) => port.postMessage(r, r.type === 'result' ? [r.buffer, r.logits] : []),
      (err: unknown) => {
        const e = err instanceof CxrError ? err : new CxrError('INTERNAL', `inference failed: ${err instanceof Error ? err.message : String(err)}`);
        port.postMessage({ type: 'run-failed', id: m.id, buffer: m.buffer, error: e.toJSON() } satisfies WorkerReply, [m.buffer]);
      },
    );
  });
  port.postMessage({ type: 'started' } satisfies WorkerReply);
}
