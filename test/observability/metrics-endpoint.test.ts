import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { startObservedService, scrape, type ObservedService } from './observed-service';
import { clients, call } from '../helpers/clients';
import { dicomWithPatient, leakedIdentifiers, PATIENT } from './patient-dicom';
import { MediaType } from '../../src/api/generated/cxr/v1/inference_service';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
let svc: ObservedService;
let c: ReturnType<typeof clients>;

before(async () => {
  // The demo model makes Predict real once serve.ts wires the metrics in (see observed-service.ts).
  svc = await startObservedService({ 'bootstrap.demoModel': true });
  c = clients(svc.address);
});
after(async () => {
  c.close();
  await svc.stop();
});

/** The value of one series in exposition text, by its exact label set. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics counts RPCs by rpc and code, and exposes every documented family', async () => {
  const before = valueOf(await scrape(svc.metricsPort), 'cxr_requests_total{rpc="cxr.v1.ModelService/ListModels",model="",version="",code="OK"}') ?? 0;
  for (let i = 0; i < 3; i++) await call(c.models.listModels.bind(c.models), {});
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: 'no-such-model' }), { code: grpc.status.NOT_FOUND });
  const text = await scrape(svc.metricsPort);
  assert.equal(valueOf(text, 'cxr_requests_total{rpc="cxr.v1.ModelService/ListModels",model="",version="",code="OK"}'), before + 3);
  assert.equal(valueOf(text, 'cxr_requests_total{rpc="cxr.v1.ModelService/GetModel",model="",version="",code="NOT_FOUND"}'), 1);
  assert.equal(valueOf(text, 'cxr_request_duration_seconds_count{rpc="cxr.v1.ModelService/ListModels",model=""}'), before + 3);
  assert.equal(valueOf(text, 'cxr_inflight_requests{rpc="cxr.v1.ModelService/ListModels"}'), 0);
  for (const family of [
    'cxr_requests_total', 'cxr_request_duration_seconds', 'cxr_inflight_requests', 'cxr_queue_duration_seconds',
    'cxr_compute_duration_seconds', 'cxr_decode_duration_seconds', 'cxr_preprocess_duration_seconds', 'cxr_batch_size',
    'cxr_queue_depth', 'cxr_queue_capacity', 'cxr_model_loaded', 'cxr_worker_restarts_total', 'cxr_training_epoch',
    'cxr_training_step', 'cxr_training_loss', 'cxr_training_images_per_second', 'cxr_evaluation_progress_ratio',
    'nodejs_eventloop_lag_p99_seconds', 'process_cpu_seconds_total', 'process_resident_memory_bytes',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), `${family} exposed`);
  }
});

test('promtool check metrics passes on a live scrape', { skip: !hasPromtool && 'promtool not installed (apt-get install prometheus)' }, async () => {
  await call(c.models.listModels.bind(c.models), {});
  const res = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(svc.metricsPort), encoding: 'utf8' });
  assert.equal(res.status, 0, `promtool check metrics:\n${res.stdout}${res.stderr}`);
});

test('only GET /metrics is served', async () => {
  const base = `http://127.0.0.1:${svc.metricsPort}`;
  assert.equal((await fetch(`${base}/`)).status, 404);
  assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.match(head.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
});

test('no metric label carries patient data, whatever a client sends', async () => {
  const image = { id: PATIENT.id, data: dicomWithPatient(), mediaType: MediaType.MEDIA_TYPE_DICOM };
  // The patient name as a model name, and a real-looking request: both must stay out of labels.
  for (const modelName of [PATIENT.name, 'cxr-demo']) {
    await call(c.inference.predict.bind(c.inference), { modelName, modelVersion: '', images: [image] }).catch(() => undefined);
  }
  const text = await scrape(svc.metricsPort);
  assert.deepEqual(leakedIdentifiers(text), []);
  const predicts = text.split('\n').filter((l) => l.startsWith('cxr_requests_total{rpc="cxr.v1.InferenceService/Predict"'));
  assert.ok(predicts.length > 0, 'Predict calls were counted');
  assert.ok(predicts.some((l) => l.includes('model="cxr-demo",version="1",code="OK"')), `the served version is a label (${predicts.join(' | ')})`);
});
