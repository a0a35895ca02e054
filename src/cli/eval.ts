import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type * as grpcTypes from '@grpc/grpc-js';
import type { EvaluationServiceClient, ModelRef, StatisticsOptions } from '../api/generated/cxr/v1/evaluation_service';
import { JobState, type DatasetRef, type Job } from '../api/generated/cxr/v1/common';
import type { Report } from '../evaluation/report';

/**
 * `cxr eval` and `cxr compare`: gRPC clients of EvaluationService. They start the job, show its
 * progress from WatchEvaluation, print the study's table and write the report files asked for.
 * Exit codes: 0 done, 1 the job (or the server) failed, 2 bad arguments (ours or the server's).
 * gRPC is required lazily: `cxr serve` must load OpenTelemetry before @grpc/grpc-js.
 */
export function registerEvalCommands(program: Command): void {
  const evalCmd = withDatasetOptions(
    program
      .command('eval')
      .description('evaluate a model on a manifest split: per-label AUROC, bootstrap intervals, Youden operating points')
      .requiredOption('-m, --model <name[@version]>', 'model to evaluate (no @version: the serving version)'),
  )
    .option('--store-operating-points', 'store the Youden thresholds on the model version for Predict', false)
    .action(async (opts: CliOptions) => exit(await runCli('eval', opts)));
  const compareCmd = withDatasetOptions(
    program
      .command('compare')
      .description('compare two or more models on one split with paired bootstrap and DeLong tests')
      .requiredOption('-m, --model <name[@version]>', 'a model; repeat for each (the first is "A" in every P value)', collect, []),
  ).action(async (opts: CliOptions) => exit(await runCli('compare', opts)));
  for (const cmd of [evalCmd, compareCmd]) {
    cmd.exitOverride((err: CommanderError) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(2);
    });
  }
}

interface CliOptions {
  server: string;
  model: string | string[];
  manifest: string;
  split: string;
  labels?: string[];
  pathColumn?: string;
  splitColumn?: string;
  uncertainPositive?: boolean;
  gradedThreshold?: number;
  resamples: number;
  seed: number;
  confidence?: number;
  html?: string;
  json?: string;
  storeOperatingPoints?: boolean;
}

function withDatasetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-s, --server <host:port>', 'server address').env('CXR_SERVER').default('127.0.0.1:50051'))
    .requiredOption('--manifest <path>', 'manifest CSV, relative to the server\'s dataset root')
    .option('--split <name>', 'split to use (empty: every row)', 'test')
    .option('--labels <a,b,...>', 'label columns (default: the model\'s labels present in the manifest)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--path-column <name>', 'column holding image paths (default "path")')
    .option('--split-column <name>', 'column holding the split (default "split")')
    .option('--uncertain-positive', 'read -1 (uncertain) as positive instead of negative')
    .option('--graded-threshold <n>', 'graded labels: grade >= n is positive (e.g. 3 for UKA-CXR)', intArg(0))
    .option('--resamples <n>', 'bootstrap resamples', intArg(1), 1000)
    .option('--seed <n>', 'bootstrap seed (same seed, same split: paired with earlier reports)', intArg(0), 0)
    .option('--confidence <level>', 'confidence level of intervals, e.g. 0.95', (v: string) => {
      const x = Number(v);
      if (!(x > 0 && x < 1)) throw new InvalidArgumentError('a number in (0, 1)');
      return x;
    })
    .option('--html <file>', 'write the HTML report here')
    .option('--json <file>', 'write the JSON report here');
}

function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

function intArg(min: number) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isSafeInteger(x) || x < min) throw new InvalidArgumentError(`an integer >= ${min}`);
    return x;
  };
}

function exit(code: number): void {
  process.exitCode = code;
}

/** "name@3" -> {name, version: "3"}; "name" -> serving version. */
export function parseModelArg(s: string): ModelRef {
  const at = s.lastIndexOf('@');
  return at > 0 ? { name: s.slice(0, at), version: s.slice(at + 1) } : { name: s, version: '' };
}

/** Runs one command; returns the exit code. Output: the table on stdout, progress and errors on stderr. */
export async function runCli(kind: 'eval' | 'compare', o: CliOptions): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const grpc = require('@grpc/grpc-js') as typeof grpcTypes;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gen = require('../api/generated/cxr/v1/evaluation_service') as typeof import('../api/generated/cxr/v1/evaluation_service');
  const models = (Array.isArray(o.model) ? o.model : [o.model]).map(parseModelArg);
  if (kind === 'compare' && models.length < 2) return usage('compare needs at least two --model options');
  const dataset: DatasetRef = {
    manifestPath: o.manifest,
    split: o.split ?? '',
    pathColumn: o.pathColumn ?? '',
    splitColumn: o.splitColumn ?? '',
    labelColumns: o.labels ?? [],
    conventions: { uncertainAsPositive: !!o.uncertainPositive, gradedPositiveThreshold: o.gradedThreshold ?? 0 },
    patientColumn: '',
  };
  const statistics: StatisticsOptions = { resamples: o.resamples, seed: o.seed, confidence: o.confidence ?? 0 };
  const client = new gen.EvaluationServiceClient(o.server, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
  });
  try {
    let job: Job | undefined;
    try {
      job = kind === 'eval'
        ? (await unaryCall(grpc, client.evaluate.bind(client), { model: models[0], dataset, statistics, storeOperatingPoints: !!o.storeOperatingPoints })).job
        : (await unaryCall(grpc, client.compare.bind(client), { models, dataset, statistics })).job;
    } catch (err) {
      return rpcFailure(grpc, err, 'could not start the job');
    }
    if (!job) return failure('the server returned no job');
    const last = await watch(client, job);
    if (last.state !== JobState.JOB_STATE_SUCCEEDED) {
      return failure(`job ${last.id} ${jobStateName(last.state)}: ${last.statusMessage || 'no reason given'}`);
    }
    const reportId = last.result?.reportId ?? '';
    const json = await unaryCall(grpc, client.getReport.bind(client), { reportId, format: gen.ReportFormat.REPORT_FORMAT_JSON });
    const report = JSON.parse(json.content) as Report;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { formatTable } = require('../evaluation/format-table') as typeof import('../evaluation/format-table');
    process.stdout.write(`${report.title} (${report.n} images, report ${reportId})\n${formatTable(report)}\n`);
    if (o.json) writeFileSync(o.json, json.content);
    if (o.html) {
      const html = await unaryCall(grpc, client.getReport.bind(client), { reportId, format: gen.ReportFormat.REPORT_FORMAT_HTML });
      writeFileSync(o.html, html.content);
    }
    return 0;
  } catch (err) {
    return rpcFailure(grpc, err, 'failed');
  } finally {
    client.close();
  }
}

/** Follows WatchEvaluation to the end, drawing a progress bar on a terminal and phase lines elsewhere. */
async function watch(client: EvaluationServiceClient, start: Job): Promise<Job> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const tty = !!process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ stream: process.stderr, format: '{phase} [{bar}] {value}/{total} {unit} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : null;
  let started = false;
  let lastPhase = '';
  let lastUnit = '';
  let last = start;
  const stream = client.watchEvaluation({ jobId: start.id });
  try {
    for await (const msg of stream as AsyncIterable<{ job?: Job }>) {
      const job = msg.job;
      if (!job) continue;
      last = job;
      const p = job.progress;
      const phase = job.state === JobState.JOB_STATE_QUEUED ? `queued (position ${job.queuePosition})` : p?.phase || jobStateName(job.state);
      const bootstrap = (p?.phase ?? '').startsWith('bootstrap');
      const [value, total, unit] = bootstrap ? [Number(p?.step ?? 0), Number(p?.totalSteps ?? 0), 'resamples'] : [Number(p?.imagesDone ?? 0), Number(p?.imagesTotal ?? 0), 'images'];
      if (bar) {
        // A new unit (images -> resamples) restarts the bar so its rate and ETA start afresh.
        if (started && unit !== lastUnit) { bar.stop(); started = false; }
        if (!started && total > 0) { bar.start(total, value, { phase, unit }); started = true; lastUnit = unit; }
        else if (started) { bar.setTotal(Math.max(total, 1)); bar.update(value, { phase, unit }); }
      } else if (phase !== lastPhase) {
        process.stderr.write(`${phase}${total > 0 ? ` (${value}/${total} ${unit})` : ''}\n`);
      }
      lastPhase = phase;
    }
  } finally {
    if (started) bar?.stop();
  }
  return last;
}

function jobStateName(s: number): string {
  return (JobState[s] ?? String(s)).replace('JOB_STATE_', '').toLowerCase();
}

function unaryCall<Req, Res>(
  grpc: typeof grpcTypes,
  method: (req: Req, md: grpcTypes.Metadata, opts: Partial<grpcTypes.CallOptions>, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(req, new grpc.Metadata(), { deadline: Date.now() + 120_000 }, (err, res) => (err ? reject(err) : resolve(res))));
}

function rpcFailure(grpc: typeof grpcTypes, err: unknown, what: string): number {
  const e = err as Partial<grpcTypes.ServiceError>;
  const bad = e.code === grpc.status.INVALID_ARGUMENT || e.code === grpc.status.NOT_FOUND || e.code === grpc.status.FAILED_PRECONDITION;
  process.stderr.write(`cxr: ${what}: ${e.details ?? e.message ?? String(err)}\n`);
  return bad ? 2 : 1;
}

function usage(message: string): number {
  process.stderr.write(`cxr: ${message}\n`);
  return 2;
}

function failure(message: string): number {
  process.stderr.write(`cxr: ${message}\n`);
  return 1;
}
