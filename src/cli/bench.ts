import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type * as hdr from 'hdr-histogram-js';
import type { VitPresetName } from '../model/vit-description';
import type { AttentionForm } from '../model/vit-graph';
import type { RuntimeInferenceEngine } from '../runtime/inference-engine';
import type { Store } from '../store/store';

/* eslint-disable @typescript-eslint/no-require-imports */
// Heavy modules load on first use: main.ts registers this command for every `cxr` invocation.
const lazy = {
  hdr: () => require('hdr-histogram-js') as typeof import('hdr-histogram-js'),
  ort: () => require('onnxruntime-node') as typeof import('onnxruntime-node'),
  model: () => ({
    ...(require('../model/initial-weights') as typeof import('../model/initial-weights')),
    ...(require('../model/vit-description') as typeof import('../model/vit-description')),
    ...(require('../model/vit-graph') as typeof import('../model/vit-graph')),
  }),
  engine: () => require('../runtime/inference-engine') as typeof import('../runtime/inference-engine'),
  store: () => require('../store/store') as typeof import('../store/store'),
};

/**
 * `cxr bench`: load harness for the inference path. Closed-loop concurrency sweeps and open-loop
 * (constant or Poisson) rates against cxr.v1 Predict, KServe v2 ModelInfer, or the engine
 * in-process; in the same run, the raw baseline: the same ONNX graph driven in-process through
 * onnxruntime-node at its best batch size. Latency is measured from the scheduled send time in
 * open loop, so a stalled server cannot hide its queueing (no coordinated omission).
 */
export type BenchTarget = 'inprocess' | 'cxr' | 'kserve';

export interface BenchOptions {
  target: BenchTarget;
  /** host:port of a running server (cxr, kserve). */
  address?: string;
  /** Served model (cxr, kserve); the in-process target registers its own. */
  model: string;
  version?: string;
  /** Architecture built for the in-process target and for the baseline when no graph is given. */
  preset: VitPresetName;
  attention: AttentionForm;
  labels: number;
  /** The baseline's graph: defaults to the in-process model's, or one built from `preset`. */
  baselineGraph?: string;
  /** Input side in pixels; read from the preset for the in-process target. */
  imageSize?: number;
  concurrency: number[];
  /** Open-loop rates as fractions of the best closed-loop throughput (0.5 = "half of max"). */
  rateFractions: number[];
  /** Open-loop absolute rates, img/s. */
  rates: number[];
  arrival: 'constant' | 'poisson';
  durationS: number;
  warmupS: number;
  baselineBatches: number[];
  skipBaseline: boolean;
  /** In-process engine settings. */
  workers: number;
  intraOpThreads: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  json?: string;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  target: 'inprocess', model: 'bench-vit', preset: 'vit-s16', attention: 'plain', labels: 14,
  concurrency: [1, 2, 4, 8, 16], rateFractions: [0.5], rates: [], arrival: 'poisson', durationS: 10, warmupS: 2,
  baselineBatches: [1, 4, 8], skipBaseline: false,
  workers: Math.max(1, availableParallelism()), intraOpThreads: 1, maxBatchSize: 8, maxQueueDelayMs: 5,
};

export interface LatencySummary { count: number; errors: number; throughput: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number }
export interface PointResult extends LatencySummary {
  mode: 'closed' | 'open';
  concurrency?: number;
  offeredRate?: number;
  arrival?: string;
  /** Batch size -> images computed in batches of that size (absent where the protocol does not say). */
  batchSizes?: Record<string, number>;
  meanBatch?: number;
  /** Event-loop delay p99 of THIS process (the server's loop only for the in-process target). */
  lagP99Ms: number;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; memGiB: number; node: string; onnxruntime: string; loadAvgStart: number; loadAvgEnd: number };
  target: BenchTarget;
  model: string;
  imageSize: number;
  options: BenchOptions;
  baseline?: { intraOpThreads: number; batches: { batch: number; imgPerS: number }[]; best: { batch: number; imgPerS: number } };
  points: PointResult[];
  summary: {
    maxThroughput: number;
    loneP50Ms?: number;
    throughputVsBaseline?: number;
    p99AtHalfMaxMs?: number;
    p99AtHalfVsLoneP50?: number;
    lagP99AtSaturationMs?: number;
  };
}

/** One request against the target; resolves with the batch size when the protocol reports it. */
type Send = () => Promise<number | undefined>;

interface Driver {
  send: Send;
  imageSize: number;
  /** Graph for the baseline when the target has one of its own. */
  graphPath?: string;
  close(): Promise<void>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function randomImage(size: number): Float32Array {
  const t = new Float32Array(3 * size * size);
  for (let i = 0; i < t.length; i++) t[i] = Math.random();
  return t;
}

async function inprocessDriver(o: BenchOptions, log: (s: string) => void): Promise<Driver & { engine: RuntimeInferenceEngine }> {
  const { vitPreset, buildInferenceModel, initialWeights } = lazy.model();
  const { RuntimeInferenceEngine } = lazy.engine();
  const dir = mkdtempSync(join(tmpdir(), 'cxr-bench-'));
  const store: Store = lazy.store().openStore(dir);
  const desc = vitPreset(o.preset, o.labels);
  const t0 = performance.now();
  const staging = store.createStagingDir('bench');
  writeFileSync(join(staging, 'model.onnx'), buildInferenceModel(desc, initialWeights(desc, 0), { attention: o.attention }));
  const rec = store.models.registerVersion({
    modelName: o.model, stagingDir: staging,
    spec: {
      labels: Array.from({ length: o.labels }, (_, i) => `label${i}`), preprocessing: 'study-2024', imageSize: desc.imageSize,
      architecture: desc as unknown as Record<string, unknown>, architectureSummary: o.preset, operatingPoints: [], usableAsInit: false,
      files: { graph: 'model.onnx' },
      provenance: { initKind: 'random', source: 'bench', sha256: '', checkpointFormat: 'none', posEmbedInterpolation: 'none', headKept: true },
    },
  });
  log(`built ${o.preset} (${o.attention} attention) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const engine = new RuntimeInferenceEngine({
    store, workers: o.workers, intraOpThreads: o.intraOpThreads, executionProvider: 'cpu',
    batching: { maxBatchSize: o.maxBatchSize, maxQueueDelayMs: o.maxQueueDelayMs, maxQueueSize: 1024 },
  });
  const image = randomImage(desc.imageSize);
  const data = new Uint8Array(image.buffer);
  return {
    engine,
    imageSize: desc.imageSize,
    graphPath: join(rec.dir, rec.files.graph),
    send: async () => (await engine.predict(o.model, undefined, { data, mediaType: 'tensor' })).timing.batchSize,
    close: async () => {
      await engine.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function grpcDriver(o: BenchOptions): Promise<Driver> {
  if (!o.address) throw new Error('--address host:port is required for the cxr and kserve targets');
  const size = o.imageSize ?? 224;
  // Loaded lazily: only the gRPC targets need grpc-js and the generated clients.
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const creds = grpc.credentials.createInsecure();
  const opts = { 'grpc.max_send_message_length': 256 * 1024 * 1024, 'grpc.max_receive_message_length': 256 * 1024 * 1024 };
  const bytes = Buffer.from(randomImage(size).buffer);
  const deadline = () => Date.now() + 120_000;
  if (o.target === 'cxr') {
    const { InferenceServiceClient, MediaType } = require('../api/generated/cxr/v1/inference_service') as typeof import('../api/generated/cxr/v1/inference_service');
    const client = new InferenceServiceClient(o.address, creds, opts);
    const req = { modelName: o.model, modelVersion: o.version ?? '', images: [{ id: 'bench', data: bytes, mediaType: MediaType.MEDIA_TYPE_TENSOR }] };
    return {
      imageSize: size,
      send: () =>
        new Promise((resolve, reject) =>
          client.predict(req, new grpc.Metadata(), { deadline: deadline() }, (err, res) => (err ? reject(err) : resolve(res.results[0]?.timing?.batchSize))),
        ),
      close: async () => client.close(),
    };
  }
  const { GRPCInferenceServiceClient } = require('../api/generated/inference/grpc_predict_v2') as typeof import('../api/generated/inference/grpc_predict_v2');
  const client = new GRPCInferenceServiceClient(o.address, creds, opts);
  const req = {
    modelName: o.model, modelVersion: o.version ?? '', id: '', parameters: {},
    inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, size, size], parameters: {} }], outputs: [], rawInputContents: [bytes],
  };
  return {
    imageSize: size,
    send: () =>
      new Promise((resolve, reject) => client.modelInfer(req, new grpc.Metadata(), { deadline: deadline() }, (err) => (err ? reject(err) : resolve(undefined)))),
    close: async () => client.close(),
  };
}

function histogram(): hdr.Histogram {
  return lazy.hdr().build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

function summarise(h: hdr.Histogram, errors: number, seconds: number): LatencySummary {
  const ms = (us: number) => us / 1000;
  return {
    count: h.totalCount, errors, throughput: h.totalCount / seconds,
    p50Ms: ms(h.getValueAtPercentile(50)), p90Ms: ms(h.getValueAtPercentile(90)), p99Ms: ms(h.getValueAtPercentile(99)), maxMs: ms(h.maxValue),
  };
}

function batchStats(sizes: number[]): Pick<PointResult, 'batchSizes' | 'meanBatch'> {
  if (sizes.length === 0) return {};
  const hist: Record<string, number> = {};
  for (const s of sizes) hist[s] = (hist[s] ?? 0) + 1;
  return { batchSizes: hist, meanBatch: sizes.reduce((a, b) => a + b, 0) / sizes.length };
}

async function closedLoop(send: Send, concurrency: number, warmupS: number, durationS: number): Promise<PointResult> {
  const h = histogram();
  const sizes: number[] = [];
  let errors = 0;
  let measuring = false;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const warmEnd = performance.now() + warmupS * 1000;
  const end = warmEnd + durationS * 1000;
  setTimeout(() => {
    measuring = true;
    lag.enable();
  }, warmupS * 1000);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const b = await send();
          if (measuring && t0 >= warmEnd) {
            h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
            if (b !== undefined) sizes.push(b);
          }
        } catch {
          if (measuring) errors++;
        }
      }
    }),
  );
  lag.disable();
  const r: PointResult = { mode: 'closed', concurrency, ...summarise(h, errors, durationS), ...batchStats(sizes), lagP99Ms: lag.percentile(99) / 1e6 };
  h.destroy();
  return r;
}

async function openLoop(send: Send, rate: number, arrival: 'constant' | 'poisson', warmupS: number, durationS: number): Promise<PointResult> {
  const h = histogram();
  const sizes: number[] = [];
  let errors = 0;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const start = performance.now();
  const warmEnd = start + warmupS * 1000;
  const end = warmEnd + durationS * 1000;
  const inflight = new Set<Promise<void>>();
  let next = start;
  let lagOn = false;
  while (next < end) {
    const wait = next - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (!lagOn && performance.now() >= warmEnd) {
      lag.enable();
      lagOn = true;
    }
    const scheduled = next;
    const p = send().then(
      (b) => {
        if (scheduled >= warmEnd) {
          h.recordValue(Math.max(1, Math.round((performance.now() - scheduled) * 1000)));
          if (b !== undefined) sizes.push(b);
        }
      },
      () => {
        if (scheduled >= warmEnd) errors++;
      },
    );
    const tracked: Promise<void> = p.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    next += arrival === 'constant' ? 1000 / rate : (-Math.log(1 - Math.random()) * 1000) / rate;
  }
  await Promise.all(inflight);
  lag.disable();
  const r: PointResult = { mode: 'open', offeredRate: rate, arrival, ...summarise(h, errors, durationS), ...batchStats(sizes), lagP99Ms: lag.percentile(99) / 1e6 };
  h.destroy();
  return r;
}

/** The raw baseline: one session on all cores, awaited batch after batch, at each batch size. */
async function rawBaseline(graphPath: string, size: number, batches: number[], seconds: number): Promise<NonNullable<BenchReport['baseline']>> {
  const ort = lazy.ort();
  const threads = availableParallelism();
  const session = await ort.InferenceSession.create(readFileSync(graphPath), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  const rows: { batch: number; imgPerS: number }[] = [];
  try {
    for (const b of batches) {
      const data = new Float32Array(b * 3 * size * size);
      for (let i = 0; i < data.length; i++) data[i] = Math.random();
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [b, 3, size, size]) };
      await session.run(feeds);
      const times: number[] = [];
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end || times.length < 3) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      rows.push({ batch: b, imgPerS: (b * 1000) / median(times) });
    }
  } finally {
    await session.release();
  }
  const best = rows.reduce((a, r) => (r.imgPerS > a.imgPerS ? r : a));
  return { intraOpThreads: threads, batches: rows, best };
}

export async function runBench(partial: Partial<BenchOptions> = {}, log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<BenchReport> {
  const o: BenchOptions = { ...DEFAULT_BENCH_OPTIONS, ...partial };
  const loadStart = loadavg()[0]!;
  const driver = o.target === 'inprocess' ? await inprocessDriver(o, log) : await grpcDriver(o);
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
      onnxruntime: (require('onnxruntime-node/package.json') as { version: string }).version, loadAvgStart: loadStart, loadAvgEnd: 0,
    },
    target: o.target, model: o.model, imageSize: driver.imageSize, options: o, points: [], summary: { maxThroughput: 0 },
  };
  try {
    if (!o.skipBaseline) {
      // The baseline runs alone, before the service is loaded, so the two never share the cores.
      let graph = o.baselineGraph ?? driver.graphPath;
      let tmp: string | undefined;
      if (!graph) {
        const { vitPreset, buildInferenceModel, initialWeights } = lazy.model();
        tmp = mkdtempSync(join(tmpdir(), 'cxr-bench-base-'));
        const desc = vitPreset(o.preset, o.labels, { imageSize: driver.imageSize });
        graph = join(tmp, 'model.onnx');
        writeFileSync(graph, buildInferenceModel(desc, initialWeights(desc, 0), { attention: o.attention }));
      }
      report.baseline = await rawBaseline(graph, driver.imageSize, o.baselineBatches, Math.max(2, o.durationS / 2));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      log(`baseline: ${report.baseline.batches.map((b) => `b${b.batch} ${b.imgPerS.toFixed(2)} img/s`).join(', ')}`);
    }
    if ('engine' in driver) await (driver as { engine: RuntimeInferenceEngine }).engine.models.load(o.model);
    for (const c of o.concurrency) {
      const p = await closedLoop(driver.send, c, o.warmupS, o.durationS);
      report.points.push(p);
      log(`closed c=${c}: ${p.throughput.toFixed(2)} img/s, p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms, mean batch ${p.meanBatch?.toFixed(2) ?? '-'}, lag p99 ${p.lagP99Ms.toFixed(1)} ms`);
    }
    const closed = report.points.filter((p) => p.mode === 'closed');
    const max = closed.reduce<PointResult | undefined>((a, p) => (!a || p.throughput > a.throughput ? p : a), undefined);
    const rates = [...o.rates, ...(max ? o.rateFractions.map((f) => f * max.throughput) : [])];
    for (const r of rates) {
      const p = await openLoop(driver.send, r, o.arrival, o.warmupS, o.durationS);
      report.points.push(p);
      log(`open ${o.arrival} ${r.toFixed(2)}/s: ${p.throughput.toFixed(2)} img/s, p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms`);
    }
    const lone = closed.find((p) => p.concurrency === 1);
    const half = max ? report.points.find((p) => p.mode === 'open' && Math.abs(p.offeredRate! - max.throughput / 2) < 1e-9) : undefined;
    report.summary = {
      maxThroughput: max?.throughput ?? 0,
      loneP50Ms: lone?.p50Ms,
      throughputVsBaseline: max && report.baseline ? max.throughput / report.baseline.best.imgPerS : undefined,
      p99AtHalfMaxMs: half?.p99Ms,
      p99AtHalfVsLoneP50: half && lone ? half.p99Ms / lone.p50Ms : undefined,
      lagP99AtSaturationMs: o.target === 'inprocess' ? max?.lagP99Ms : undefined,
    };
  } finally {
    await driver.close();
  }
  report.machine.loadAvgEnd = loadavg()[0]!;
  if (o.json) writeFileSync(o.json, JSON.stringify(report, null, 2));
  return report;
}

export function formatReport(r: BenchReport): string {
  const f = (x: number | undefined, d = 1) => (x === undefined ? '-' : x.toFixed(d));
  const lines = [
    `machine: ${r.machine.cpu} x${r.machine.cores}, ${r.machine.memGiB} GiB, node ${r.machine.node}, onnxruntime-node ${r.machine.onnxruntime}, load average ${r.machine.loadAvgStart.toFixed(1)} -> ${r.machine.loadAvgEnd.toFixed(1)}`,
    `date: ${r.date}  target: ${r.target}  model: ${r.model} (${r.options.preset}, ${r.imageSize} px)  engine: ${r.options.workers} workers x ${r.options.intraOpThreads} threads, max batch ${r.options.maxBatchSize}, max queue delay ${r.options.maxQueueDelayMs} ms`,
  ];
  if (r.baseline) {
    lines.push(`raw baseline (onnxruntime-node in-process, ${r.baseline.intraOpThreads} intra-op threads, median per batch): ${r.baseline.batches.map((b) => `b${b.batch} ${b.imgPerS.toFixed(2)}`).join(', ')} img/s; best b${r.baseline.best.batch}`);
  }
  lines.push('', '| mode | load | img/s | p50 ms | p90 ms | p99 ms | mean batch | errors | loop lag p99 ms |', '|---|---|---|---|---|---|---|---|---|');
  for (const p of r.points) {
    const load = p.mode === 'closed' ? `concurrency ${p.concurrency}` : `${p.arrival} ${f(p.offeredRate, 2)}/s`;
    lines.push(`| ${p.mode} | ${load} | ${f(p.throughput, 2)} | ${f(p.p50Ms)} | ${f(p.p90Ms)} | ${f(p.p99Ms)} | ${f(p.meanBatch, 2)} | ${p.errors} | ${f(p.lagP99Ms)} |`);
  }
  const s = r.summary;
  lines.push(
    '',
    `max throughput ${f(s.maxThroughput, 2)} img/s = ${f(s.throughputVsBaseline, 2)}x raw baseline (target >= 0.9)`,
    `p99 at half of max ${f(s.p99AtHalfMaxMs)} ms = ${f(s.p99AtHalfVsLoneP50, 2)}x lone-request p50 ${f(s.loneP50Ms)} ms (target <= 2.5)`,
    `event-loop lag p99 at saturation ${f(s.lagP99AtSaturationMs)} ms (target < 50; in-process target only)`,
  );
  return lines.join('\n');
}

const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number);

/** Adds `cxr bench` to the program; src/cli/main.ts calls `registerBenchCommand(program)`. */
export function registerBenchCommand(program: Command): void {
  const d = DEFAULT_BENCH_OPTIONS;
  program
    .command('bench')
    .description('load-test inference: closed-loop concurrency sweep + open-loop rates, vs the raw onnxruntime baseline')
    .option('--target <t>', 'inprocess | cxr | kserve', d.target)
    .option('--address <host:port>', 'server to drive (cxr, kserve)')
    .option('--model <name>', 'model name', d.model)
    .option('--model-version <v>', 'model version (default: serving)')
    .option('--preset <p>', 'architecture for the in-process model and the baseline', d.preset)
    .option('--attention <form>', 'plain | fused | fused-mha | onnx-attention', d.attention)
    .option('--image-size <n>', 'input side of the served model (cxr, kserve)', Number)
    .option('--baseline-graph <file>', 'ONNX graph for the raw baseline (default: the same model)')
    .option('--concurrency <list>', 'closed-loop concurrencies', d.concurrency.join(','))
    .option('--rate-fractions <list>', 'open-loop rates as fractions of max closed-loop throughput', d.rateFractions.join(','))
    .option('--rates <list>', 'open-loop absolute rates, img/s', '')
    .option('--arrival <a>', 'constant | poisson', d.arrival)
    .option('--duration <s>', 'measured seconds per point', String(d.durationS))
    .option('--warmup <s>', 'unmeasured seconds before each point', String(d.warmupS))
    .option('--baseline-batches <list>', 'batch sizes of the raw baseline', d.baselineBatches.join(','))
    .option('--no-baseline', 'skip the raw baseline')
    .option('--workers <n>', 'in-process engine workers', String(d.workers))
    .option('--intra-op-threads <n>', 'in-process engine threads per worker', String(d.intraOpThreads))
    .option('--max-batch-size <n>', 'in-process engine max batch', String(d.maxBatchSize))
    .option('--max-queue-delay <ms>', 'in-process engine max queue delay', String(d.maxQueueDelayMs))
    .option('--json <file>', 'also write the report as JSON')
    .action(async (a: Record<string, string | boolean | number | undefined>) => {
      const report = await runBench({
        target: a.target as BenchTarget, address: a.address as string | undefined, model: a.model as string, version: a.modelVersion as string | undefined,
        preset: a.preset as VitPresetName, attention: a.attention as AttentionForm, imageSize: a.imageSize as number | undefined,
        baselineGraph: a.baselineGraph as string | undefined, concurrency: list(a.concurrency as string), rateFractions: list(a.rateFractions as string),
        rates: list(a.rates as string), arrival: a.arrival as 'constant' | 'poisson', durationS: Number(a.duration), warmupS: Number(a.warmup),
        baselineBatches: list(a.baselineBatches as string), skipBaseline: a.baseline === false, workers: Number(a.workers),
        intraOpThreads: Number(a.intraOpThreads), maxBatchSize: Number(a.maxBatchSize), maxQueueDelayMs: Number(a.maxQueueDelay), json: a.json as string | undefined,
      });
      process.stdout.write(`${formatReport(report)}\n`);
    });
}
