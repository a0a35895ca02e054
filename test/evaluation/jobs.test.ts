import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/store';
import { EvaluationJobs } from '../../src/evaluation/evaluation-jobs';
import { evaluatePredictions, type Report } from '../../src/evaluation';
import { planEvaluation } from '../../src/evaluation/evaluation-plan';
import type { EvaluationJobSpec } from '../../src/evaluation/evaluation-spec';
import type { JobRecord } from '../../src/store/job-repository';
import { CxrError } from '../../src/errors/cxr-error';
import { tempDir } from '../helpers/service';
import { directPredict, registerTinyModel, writeDataset, LABELS } from './jobs-fixtures';

const data = tempDir('cxr-evaljobs-');
const root = join(data.path, 'datasets');
const outside = tempDir('cxr-evaljobs-outside-');
let store: Store;
let predict: ReturnType<typeof directPredict>;
let jobs: EvaluationJobs;
let manifest: string;
let brokenManifest: string;

before(async () => {
  mkdirSync(root, { recursive: true });
  store = openStore(join(data.path, 'store'));
  await registerTinyModel(store, 'tiny', 3);
  await registerTinyModel(store, 'other', 4, ['Effusion', 'Edema', 'Atelectasis']);
  ({ manifest } = await writeDataset(root, 'ds', { rows: 32, seed: 1 }));
  ({ manifest: brokenManifest } = await writeDataset(root, 'broken', { rows: 12, seed: 2, brokenRow: 6 }));
  writeFileSync(join(outside.path, 'secret.csv'), 'path,split,Effusion\nx.png,test,1\n');
  symlinkSync(join(outside.path, 'secret.csv'), join(root, 'link.csv'));
  predict = directPredict(store);
  jobs = new EvaluationJobs({ store, datasetRoot: root, predict, progressIntervalMs: 50 });
});
after(async () => {
  await jobs.close();
  store.close();
  data.cleanup();
  outside.cleanup();
});

async function finished(api: EvaluationJobs, id: string): Promise<JobRecord> {
  let last: JobRecord | null = null;
  for await (const ev of api.watch(id)) last = ev.job;
  return last!;
}

const stats = { resamples: 200, seed: 7 };

test('Evaluate: job succeeds; report AUROCs equal evaluatePredictions on the stored predictions; operating points stored', async () => {
  const job = await jobs.evaluate({ model: { name: 'tiny' }, dataset: { manifestPath: manifest, split: 'test' }, statistics: stats, storeOperatingPoints: true });
  assert.equal(job.kind, 'EVALUATION');
  const end = await finished(jobs, job.id);
  assert.equal(end.state, 'SUCCEEDED', end.statusMessage);
  assert.equal(end.progress.imagesDone, 24);
  assert.equal(end.progress.imagesTotal, 24);

  const plan = planEvaluation(store, root, { models: [{ name: 'tiny' }], dataset: { manifestPath: manifest, split: 'test' } });
  const stored = store.predictions.find('tiny', 1, plan.datasetKey);
  assert.ok(stored);
  assert.deepEqual(stored.labels, LABELS);
  assert.deepEqual(stored.rows, plan.rows.map((r) => r.row));
  const expected = evaluatePredictions({
    labels: LABELS,
    truth: LABELS.map((_, l) => plan.rows.map((r) => r.targets[l])),
    scores: stored.scores,
    seed: 7,
    resamples: 200,
  });
  const report = JSON.parse(store.reports.readJson(end.result!.reportId!)) as Report;
  assert.equal(report.n, 24);
  assert.deepEqual(report.labels, LABELS);
  assert.equal(report.bootstrap.seed, 7);
  assert.equal(report.bootstrap.resamples, 200);
  for (const [l, s] of report.models[0].labels.entries()) {
    const e = expected.labels[l];
    assert.equal(s.defined, e.defined);
    if (s.defined && e.defined) {
      assert.equal(s.auroc, e.auroc);
      assert.equal(s.bootstrap.defined && e.bootstrap.defined && s.bootstrap.sd, e.bootstrap.defined && e.bootstrap.sd);
    }
  }
  const points = store.models.getVersion('tiny', 1).operatingPoints;
  assert.deepEqual(points.map((p) => p.label).sort(), report.models[0].labels.filter((s) => s.defined).map((s) => s.label).sort());
  for (const p of points) {
    const s = report.models[0].labels.find((x) => x.label === p.label)!;
    assert.ok(s.defined);
    assert.equal(p.threshold, s.youden.threshold);
    assert.equal(p.sensitivity, s.youden.sensitivity);
  }
});

test('Compare reuses stored predictions and gives paired P values on the shared labels', async () => {
  await finished(jobs, (await jobs.evaluate({ model: { name: 'tiny' }, dataset: { manifestPath: manifest, split: 'test' }, statistics: stats })).id);
  const tinyCalls = predict.calls.get('tiny') ?? 0;
  const job = await jobs.compare({ models: [{ name: 'tiny' }, { name: 'other', version: '1' }], dataset: { manifestPath: manifest, split: 'test' }, statistics: stats });
  const end = await finished(jobs, job.id);
  assert.equal(end.state, 'SUCCEEDED', end.statusMessage);
  assert.equal(predict.calls.get('tiny') ?? 0, tinyCalls, 'tiny was not run again');
  assert.equal(predict.calls.get('other'), 24);
  const report = JSON.parse(store.reports.readJson(end.result!.reportId!)) as Report;
  assert.deepEqual(report.labels, ['Effusion', 'Edema']);
  assert.deepEqual(report.models.map((m) => m.name), ['tiny@1', 'other@1']);
  assert.equal(report.comparisons.length, 1);
  const c = report.comparisons[0];
  assert.equal(c.a, 'tiny@1');
  assert.equal(c.labels.length, 2);
  for (const l of c.labels) {
    assert.ok(l.bootstrap.defined, JSON.stringify(l));
    assert.ok(l.bootstrap.p >= 0 && l.bootstrap.p <= 1);
    assert.ok(l.delong.defined);
    assert.ok(l.delong.pOneSided >= 0 && l.delong.pOneSided <= 1);
    assert.ok(l.pBootstrapAdjusted !== null && l.pBootstrapAdjusted >= l.bootstrap.p);
  }
  assert.ok('bootstrap' in c.mean && c.mean.bootstrap.defined);
});

test('bad requests are rejected before any job exists', async () => {
  const before = store.jobs.list().length;
  const cases: [object, string, RegExp][] = [
    [{ model: { name: 'nope' }, dataset: { manifestPath: manifest } }, 'NOT_FOUND', /nope/],
    [{ model: { name: 'tiny' }, dataset: { manifestPath: '../escape.csv' } }, 'INVALID_ARGUMENT', /dataset\.manifest_path/],
    [{ model: { name: 'tiny' }, dataset: { manifestPath: 'link.csv' } }, 'INVALID_ARGUMENT', /dataset\.manifest_path/],
    [{ model: { name: 'tiny' }, dataset: { manifestPath: 'ds/missing.csv' } }, 'INVALID_ARGUMENT', /dataset\.manifest_path/],
    [{ model: { name: 'tiny' }, dataset: { manifestPath: manifest, labelColumns: ['Atelectasis'] } }, 'INVALID_ARGUMENT', /dataset\.label_columns\[0\]/],
    [{ model: { name: 'tiny' }, dataset: { manifestPath: manifest, split: 'validation' } }, 'INVALID_ARGUMENT', /dataset\.split/],
    [{ model: { name: 'tiny' }, dataset: { manifestPath: manifest }, statistics: { resamples: -3 } }, 'INVALID_ARGUMENT', /statistics\.resamples/],
  ];
  for (const [req, code, field] of cases) {
    const err = await jobs.evaluate(req as never).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof CxrError, JSON.stringify(req));
    assert.equal(err.code, code, `${JSON.stringify(req)}: ${err.message}`);
    if (code === 'INVALID_ARGUMENT') assert.match(JSON.stringify(err.violations), field, err.message);
    else assert.match(err.message, field);
  }
  await assert.rejects(jobs.compare({ models: [{ name: 'tiny' }], dataset: { manifestPath: manifest } }), { code: 'INVALID_ARGUMENT' });
  assert.equal(store.jobs.list().length, before);
});

test('an undecodable image fails the job naming its manifest row, not its file', async () => {
  const job = await jobs.evaluate({ model: { name: 'tiny' }, dataset: { manifestPath: brokenManifest, split: 'test' }, statistics: stats });
  const end = await finished(jobs, job.id);
  assert.equal(end.state, 'FAILED');
  assert.match(end.statusMessage, /manifest row 6\b/);
  assert.doesNotMatch(end.statusMessage, /img-6|\.png|broken\//);
});

test('resumeInterrupted runs a job a stopped server left RUNNING, reusing stored predictions', async () => {
  const plan = planEvaluation(store, root, { models: [{ name: 'tiny', version: 1 }], dataset: { manifestPath: manifest, split: 'test' }, statistics: { resamples: 100, seed: 1 } });
  const spec: EvaluationJobSpec = plan.spec;
  const orphan = store.jobs.create('EVALUATION', spec);
  store.jobs.markRunning(orphan.id);
  const calls = predict.calls.get('tiny') ?? 0;
  const next = new EvaluationJobs({ store, datasetRoot: root, predict, progressIntervalMs: 50 });
  try {
    assert.deepEqual(next.resumeInterrupted().map((j) => j.id), [orphan.id]);
    const end = await finished(next, orphan.id);
    assert.equal(end.state, 'SUCCEEDED', end.statusMessage);
    assert.equal(predict.calls.get('tiny') ?? 0, calls);
  } finally {
    await next.close();
  }
});
