import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadConfig } from '../../src/config/load-config';
import { datasetRoot } from '../../src/config/paths';
import { createLogger } from '../../src/observability/logger';
import { startService, type Service } from '../../src/cli/serve';
import { EvaluationJobs } from '../../src/evaluation/evaluation-jobs';
import { evaluatePredictions, type Report } from '../../src/evaluation';
import { planEvaluation } from '../../src/evaluation/evaluation-plan';
import { Job, JobKind, JobState } from '../../src/api/generated/cxr/v1/common';
import { ReportFormat, type EvaluationServiceClient } from '../../src/api/generated/cxr/v1/evaluation_service';
import { tempDir } from '../helpers/service';
import { clients, call } from '../helpers/clients';
import { directPredict, registerTinyModel, writeDataset, LABELS } from '../evaluation/jobs-fixtures';

const repoRoot = resolve(__dirname, '../..');
const dir = tempDir('cxr-evalapi-');
let svc: Service;
let address: string;
let jobs: EvaluationJobs;
let predict: ReturnType<typeof directPredict>;
let c: ReturnType<typeof clients>;
let root: string;
let manifest: string;
let brokenManifest: string;

before(async () => {
  const config = loadConfig({
    env: {},
    overrides: {
      'grpc.host': '127.0.0.1', 'grpc.port': 0, 'data.dir': dir.path, 'metrics.port': 0, 'metrics.host': '127.0.0.1',
      'bootstrap.demoModel': false, 'grpc.shutdownGraceMs': 2000, 'runtime.workers': 1, 'image.decodeWorkers': 1,
    },
  });
  svc = await startService({
    config,
    logger: createLogger({ level: 'silent' }),
    capabilities: ({ store, config: cfg }) => {
      predict = directPredict(store);
      jobs = new EvaluationJobs({ store, datasetRoot: datasetRoot(cfg), predict, progressIntervalMs: 50 });
      return { evaluation: jobs };
    },
  });
  address = `127.0.0.1:${svc.grpc.port}`;
  c = clients(address);
  root = datasetRoot(svc.config);
  await registerTinyModel(svc.store, 'tiny', 3);
  await registerTinyModel(svc.store, 'other', 5);
  ({ manifest } = await writeDataset(root, 'ds', { rows: 40, seed: 3 }));
  ({ manifest: brokenManifest } = await writeDataset(root, 'broken', { rows: 10, seed: 4, brokenRow: 3 }));
});
after(async () => {
  c.close();
  await jobs.close();
  await svc.stop();
  dir.cleanup();
});

const dataset = (over: object = {}) => ({ manifestPath: manifest, split: 'test', pathColumn: '', splitColumn: '', labelColumns: [], patientColumn: '', ...over });
const statistics = { resamples: 200, seed: 11, confidence: 0 };

function watchAll(client: EvaluationServiceClient, jobId: string): Promise<Job[]> {
  return new Promise((res, rej) => {
    const seen: Job[] = [];
    const s = client.watchEvaluation({ jobId }, { deadline: Date.now() + 120_000 });
    s.on('data', (m: { job?: Job }) => seen.push(m.job!));
    s.on('error', rej);
    s.on('end', () => res(seen));
  });
}

test('Evaluate -> WatchEvaluation to SUCCEEDED -> GetReport JSON matches evaluatePredictions on the stored scores; HTML has ROC SVGs', async () => {
  const res = await call(c.evaluation.evaluate.bind(c.evaluation), { model: { name: 'tiny', version: '' }, dataset: dataset(), statistics, storeOperatingPoints: true });
  assert.equal(res.job?.kind, JobKind.JOB_KIND_EVALUATION);
  const seen = await watchAll(c.evaluation, res.job!.id);
  const last = seen.at(-1)!;
  assert.equal(last.state, JobState.JOB_STATE_SUCCEEDED, last.statusMessage);
  assert.ok(seen.length >= 2, 'the current state first, then changes');
  assert.equal(Number(last.progress?.imagesDone), 30);
  const reportId = last.result!.reportId;

  const json = await call(c.evaluation.getReport.bind(c.evaluation), { reportId, format: ReportFormat.REPORT_FORMAT_JSON });
  assert.equal(json.contentType, 'application/json');
  const report = JSON.parse(json.content) as Report;
  const plan = planEvaluation(svc.store, root, { models: [{ name: 'tiny' }], dataset: { manifestPath: manifest, split: 'test' } });
  const stored = svc.store.predictions.find('tiny', 1, plan.datasetKey)!;
  const expected = evaluatePredictions({ labels: LABELS, truth: LABELS.map((_, l) => plan.rows.map((r) => r.targets[l])), scores: stored.scores, seed: 11, resamples: 200 });
  assert.deepEqual(report.labels, LABELS);
  report.models[0].labels.forEach((s, l) => {
    const e = expected.labels[l];
    assert.ok(s.defined && e.defined);
    assert.equal(s.auroc, e.auroc);
  });

  const html = await call(c.evaluation.getReport.bind(c.evaluation), { reportId, format: ReportFormat.REPORT_FORMAT_HTML });
  assert.match(html.contentType, /^text\/html/);
  for (const label of LABELS) assert.match(html.content, new RegExp(`<figure class="roc" data-label="${label}"><svg`));
  assert.match(html.content, /<table/);

  const model = await call(c.models.getModel.bind(c.models), { name: 'tiny' });
  assert.deepEqual(model.model!.versions[0].operatingPoints.map((p) => p.label).sort(), [...LABELS].sort());
});

test('Compare of two models reuses stored predictions and returns P values', async () => {
  const before = predict.calls.get('tiny') ?? 0;
  assert.ok(before > 0, 'tiny was evaluated by the previous test');
  const res = await call(c.evaluation.compare.bind(c.evaluation), { models: [{ name: 'other', version: '' }, { name: 'tiny', version: '1' }], dataset: dataset(), statistics });
  assert.equal(res.job?.kind, JobKind.JOB_KIND_COMPARISON);
  const last = (await watchAll(c.evaluation, res.job!.id)).at(-1)!;
  assert.equal(last.state, JobState.JOB_STATE_SUCCEEDED, last.statusMessage);
  assert.equal(predict.calls.get('tiny'), before, 'stored predictions reused');
  const report = JSON.parse((await call(c.evaluation.getReport.bind(c.evaluation), { reportId: last.result!.reportId, format: ReportFormat.REPORT_FORMAT_UNSPECIFIED })).content) as Report;
  assert.equal(report.comparisons[0].a, 'other@1');
  assert.equal(report.comparisons[0].b, 'tiny@1');
  for (const l of report.comparisons[0].labels) assert.ok(l.bootstrap.defined && l.bootstrap.p >= 0 && l.bootstrap.p <= 1);
  // Same seed and split: the bootstrap plan is the one the evaluation used, so the two are paired.
  const evalReports = svc.store.jobs.list({ kind: 'EVALUATION', state: 'SUCCEEDED' });
  const first = JSON.parse(svc.store.reports.readJson(evalReports[0].result!.reportId!)) as Report;
  assert.equal(report.bootstrap.indicesSha256, first.bootstrap.indicesSha256);
});

test('bad requests get INVALID_ARGUMENT (or NOT_FOUND) before any job is created', async () => {
  const count = svc.store.jobs.list().length;
  const evaluate = (req: object) => call(c.evaluation.evaluate.bind(c.evaluation), { model: { name: 'tiny', version: '' }, dataset: dataset(), statistics, storeOperatingPoints: false, ...req } as never);
  await assert.rejects(evaluate({ dataset: dataset({ manifestPath: 'nope.csv' }) }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(evaluate({ dataset: dataset({ manifestPath: '../../etc/passwd' }) }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(evaluate({ dataset: dataset({ labelColumns: ['Pneumothorax'] }) }), { code: grpc.status.INVALID_ARGUMENT, details: /Pneumothorax/ });
  await assert.rejects(evaluate({ dataset: dataset({ split: 'holdout' }) }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(evaluate({ model: { name: 'ghost', version: '' } }), { code: grpc.status.NOT_FOUND });
  await assert.rejects(call(c.evaluation.compare.bind(c.evaluation), { models: [{ name: 'tiny', version: '' }], dataset: dataset(), statistics }), { code: grpc.status.INVALID_ARGUMENT });
  await assert.rejects(call(c.evaluation.getReport.bind(c.evaluation), { reportId: 'missing', format: 0 }), { code: grpc.status.NOT_FOUND });
  await assert.rejects(watchAll(c.evaluation, 'missing'), { code: grpc.status.NOT_FOUND });
  assert.equal(svc.store.jobs.list().length, count);
});

test('a row whose image cannot be decoded fails the job naming the row', async () => {
  const res = await call(c.evaluation.evaluate.bind(c.evaluation), { model: { name: 'tiny', version: '' }, dataset: dataset({ manifestPath: brokenManifest }), statistics, storeOperatingPoints: false });
  const last = (await watchAll(c.evaluation, res.job!.id)).at(-1)!;
  assert.equal(last.state, JobState.JOB_STATE_FAILED);
  assert.match(last.statusMessage, /manifest row 3\b/);
  assert.doesNotMatch(last.statusMessage, /img-3|\.png/);
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // main.ts registers the commands once the lead wires them; this drives the module the same way.
  const entry = "const {Command}=require('commander');const {registerEvalCommands}=require('./src/cli/eval');" +
    "const p=new Command('cxr');registerEvalCommands(p);p.parseAsync(process.argv.slice(1),{from:'user'});";
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', entry, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

test('cxr eval prints the study table and writes the JSON report; exit 2 on bad arguments, 1 on a failed job', async () => {
  const out = join(dir.path, 'cli-report.json');
  const ok = await runCli(['eval', '--server', address, '--model', 'tiny@1', '--manifest', manifest, '--split', 'test', '--resamples', '150', '--seed', '2', '--json', out]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /tiny@1 AUROC±SD/);
  for (const label of LABELS) assert.match(ok.stdout, new RegExp(`^${label}\\s+\\d\\.\\d{3}±\\d\\.\\d{3}`, 'm'));
  assert.match(ok.stdout, /^Mean\s+\d\.\d{3}±/m);
  const written = JSON.parse(readFileSync(out, 'utf8')) as Report;
  assert.equal(written.bootstrap.resamples, 150);
  assert.equal(written.bootstrap.seed, 2);

  const [bad, failed, usage] = await Promise.all([
    runCli(['eval', '--server', address, '--model', 'tiny', '--manifest', manifest, '--labels', 'Pneumothorax']),
    runCli(['eval', '--server', address, '--model', 'tiny', '--manifest', brokenManifest, '--resamples', '50']),
    runCli(['compare', '--server', address, '--model', 'tiny', '--manifest', manifest]),
  ]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /Pneumothorax/);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /manifest row 3\b/);
  assert.equal(usage.code, 2, usage.stderr);
});
