import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startTestService, tempDir } from '../helpers/service';
import { clients, call } from '../helpers/clients';
import { tinyCheckpoint, assertSameWeights } from '../helpers/checkpoints';
import { writeSyntheticDataset, SYNTHETIC_LABELS } from '../training/synthetic-dataset';
import { importRoot, datasetRoot } from '../../src/config/paths';
import { InitKind, JobState, type Job } from '../../src/api/generated/cxr/v1/common';
import { ReportFormat } from '../../src/api/generated/cxr/v1/evaluation_service';
import { loadConfig } from '../../src/config/load-config';
import { openStore } from '../../src/store/store';
import { serveProcess } from '../helpers/serve-process';


async function importInit(c: ReturnType<typeof clients>, name: string): Promise<void> {
  await call(c.models.importModel.bind(c.models), {
    name, source: { $case: 'path', value: 'init.safetensors' }, initKind: InitKind.INIT_KIND_RANDOM, labels: SYNTHETIC_LABELS,
    preprocessing: 'imagenet', imageSize: 0, architecture: '', keepHead: true, pooling: '', interpolation: '', description: '', serve: true, seed: 0,
  });
}

const startRequest = (over: object = {}) => ({
  initModelName: 'init', initModelVersion: '', outputModelName: 'trained',
  dataset: { manifestPath: 'manifest.csv', split: '', pathColumn: '', splitColumn: '', labelColumns: [], patientColumn: 'patient', conventions: undefined },
  trainSplit: '', validationSplit: '',
  hyperparameters: { learningRate: 3e-3, weightDecay: 0.01, batchSize: 16, epochs: 15, schedule: 0, warmupSteps: 0, maxGradNorm: 0, gradientAccumulation: 0, checkpointEverySteps: 0, earlyStoppingPatience: 0, bestMetric: 0, adamBeta1: 0, adamBeta2: 0, adamEpsilon: 0 },
  scope: undefined, augmentation: undefined, seed: 5, registerAsInit: false, serve: false, registeredInitKind: 0,
  ...over,
});

/** Streams WatchJob until the job ends (or `until` says stop); returns the last Job seen. */
function watch(c: ReturnType<typeof clients>, jobId: string, until?: (j: Job) => boolean): Promise<Job> {
  return new Promise((resolve, reject) => {
    let last: Job | undefined;
    const s = c.training.watchJob({ jobId });
    s.on('data', (m: { job: Job }) => {
      last = m.job;
      if (until?.(m.job)) { s.cancel(); resolve(m.job); }
    });
    s.on('end', () => resolve(last!));
    s.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
  });
}

test('through the real RPCs: a tiny ViT is fine-tuned, served and evaluated to held-out AUROC > 0.9', async () => {
  const svc = await startTestService();
  const c = clients(svc.address);
  try {
    // The geometry the trainer's own learning test uses: no LayerScale, so a few epochs suffice.
    writeFileSync(join(importRoot(svc.config), 'init.safetensors'), tinyCheckpoint(3, 1, 'vit-tiny-test', { layerScale: false, width: 32, heads: 4 }));
    await writeSyntheticDataset(datasetRoot(svc.config), { train: 192, val: 48, test: 96 });
    await importInit(c, 'init');
    await assert.rejects(call(c.training.startTraining.bind(c.training), startRequest({ dataset: { ...startRequest().dataset, manifestPath: '../x.csv' } }) as never), { code: grpc.status.INVALID_ARGUMENT });
    const started = await call(c.training.startTraining.bind(c.training), startRequest({ serve: true }) as never);
    const jobId = started.job!.id;
    const end = await watch(c, jobId);
    assert.equal(end.state, JobState.JOB_STATE_SUCCEEDED, end.statusMessage);
    assert.equal(end.progress!.epoch, 15);
    assert.ok(end.progress!.validationMeanAuroc > 0.8, `validation AUROC ${end.progress!.validationMeanAuroc}`);
    assert.equal(end.result!.modelName, 'trained');
    const listed = await call(c.training.listJobs.bind(c.training), { kind: 0, state: 0, pageSize: 0, pageToken: '' });
    assert.deepEqual(listed.jobs.map((j) => j.id), [jobId]);

    // The trained model is served by the runtime and evaluated by the Evaluate job on the held-out split.
    const ev = await call(c.evaluation.evaluate.bind(c.evaluation), {
      model: { name: 'trained', version: '' }, dataset: { ...startRequest().dataset, split: 'test' },
      statistics: { resamples: 200, seed: 1, confidence: 0 }, storeOperatingPoints: true,
    } as never);
    const evEnd = await new Promise<Job>((resolve, reject) => {
      let last: Job | undefined;
      const s = c.evaluation.watchEvaluation({ jobId: ev.job!.id });
      s.on('data', (m: { job: Job }) => (last = m.job));
      s.on('end', () => resolve(last!));
      s.on('error', reject);
    });
    assert.equal(evEnd.state, JobState.JOB_STATE_SUCCEEDED, evEnd.statusMessage);
    const report = JSON.parse((await call(c.evaluation.getReport.bind(c.evaluation), { reportId: evEnd.result!.reportId, format: ReportFormat.REPORT_FORMAT_JSON })).content) as { models: { mean: { defined: boolean; auroc: number } }[] };
    const mean = report.models[0]!.mean;
    assert.ok(mean.defined && mean.auroc > 0.9, `held-out macro AUROC ${mean.auroc}`);
  } finally {
    c.close();
    await svc.cleanup();
  }
});

test('CancelJob stops a running job; GetJob shows it CANCELLED', async () => {
  const svc = await startTestService();
  const c = clients(svc.address);
  try {
    writeFileSync(join(importRoot(svc.config), 'init.safetensors'), tinyCheckpoint(3, 1));
    await writeSyntheticDataset(datasetRoot(svc.config), { train: 64, val: 16 });
    await importInit(c, 'init');
    const started = await call(c.training.startTraining.bind(c.training), startRequest({ hyperparameters: { ...startRequest().hyperparameters, epochs: 500 } }) as never);
    await watch(c, started.job!.id, (j) => (j.progress?.step ?? 0) >= 2);
    const cancelled = await call(c.training.cancelJob.bind(c.training), { jobId: started.job!.id });
    assert.equal(cancelled.job!.state, JobState.JOB_STATE_CANCELLED);
    assert.equal((await call(c.training.getJob.bind(c.training), { jobId: started.job!.id })).job!.state, JobState.JOB_STATE_CANCELLED);
    await assert.rejects(call(c.training.getJob.bind(c.training), { jobId: 'nope' }), { code: grpc.status.NOT_FOUND });
  } finally {
    c.close();
    await svc.cleanup();
  }
});

test('SIGKILL mid-job, restart: the job resumes and ends with the weights of an uninterrupted run', async () => {
  const d = tempDir();
  const config = loadConfig({ env: {}, overrides: { 'data.dir': d.path } });
  writeFileSync(join(importRoot(config), 'init.safetensors'), tinyCheckpoint(3, 1));
  await writeSyntheticDataset(datasetRoot(config), { train: 96, val: 32 });
  const hyper = { ...startRequest().hyperparameters, batchSize: 16, epochs: 2, checkpointEverySteps: 2 };
  let server = await serveProcess(d.path);
  let c = clients(server.address);
  try {
    await importInit(c, 'init');
    const a = await call(c.training.startTraining.bind(c.training), startRequest({ outputModelName: 'uninterrupted', hyperparameters: hyper }) as never);
    assert.equal((await watch(c, a.job!.id)).state, JobState.JOB_STATE_SUCCEEDED);
    const b = await call(c.training.startTraining.bind(c.training), startRequest({ outputModelName: 'resumed', hyperparameters: hyper }) as never);
    await watch(c, b.job!.id, (j) => (j.progress?.step ?? 0) >= 5);
    c.close();
    server.proc.kill('SIGKILL');
    await new Promise((r) => server.proc.once('exit', r));

    server = await serveProcess(d.path);
    c = clients(server.address);
    const end = await watch(c, b.job!.id);
    assert.equal(end.state, JobState.JOB_STATE_SUCCEEDED, end.statusMessage);
  } finally {
    c.close();
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
  }
  const store = openStore(d.path);
  assertSameWeights(store, 'uninterrupted', 'resumed');
  store.close();
  d.cleanup();
});
