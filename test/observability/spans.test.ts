import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
// Tracing first: the gRPC instrumentation patches @grpc/grpc-js when it loads, so nothing above
// this line may import it (the service and clients are required lazily below).
import { startTestTracing, type TestTracing } from '../../src/observability/tracing';
import { trace, context, SpanKind, type Span } from '@opentelemetry/api';
import {
  traceDecode, tracePreprocess, tracePostprocess, startQueueWait, traceBatch, traceTrainingEpoch, traceEvaluation,
} from '../../src/observability/spans';
import { dicomWithPatient, leakedIdentifiers, PATIENT } from './patient-dicom';

let tracing: TestTracing;
before(() => {
  tracing = startTestTracing();
});
after(() => tracing.shutdown());

type Finished = ReturnType<TestTracing['exporter']['getFinishedSpans']>[number];
const parentOf = (s: Finished) => s.parentSpanContext?.spanId;
const everything = (spans: Finished[]) => JSON.stringify(spans.map((s) => ({
  name: s.name, attributes: s.attributes, status: s.status, events: s.events, links: s.links.map((l) => l.attributes ?? {}),
})));

const within = <T>(span: Span, fn: () => T): T => context.with(trace.setSpan(context.active(), span), fn);

// dicom-parser reads the test DICOM back the way a decoder would; the helpers only ever see its format and size.
function readDicom(bytes: Buffer): { rows: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dicomParser = require('dicom-parser') as { parseDicom(b: Uint8Array): { uint16(tag: string): number | undefined; string(tag: string): string | undefined } };
  const ds = dicomParser.parseDicom(new Uint8Array(bytes));
  assert.equal(ds.string('x00100010'), PATIENT.name); // the fixture really carries the name
  return { rows: ds.uint16('x00280010') ?? 0 };
}

test('a batch span is a root with one link per request it served; stages nest under their request', async () => {
  tracing.exporter.reset();
  const tracer = trace.getTracer('test');
  const dicom = dicomWithPatient(32);
  const requests = ['request-a', 'request-b', 'request-c'].map((name) => tracer.startSpan(name, { kind: SpanKind.SERVER }));
  // Each request decodes, preprocesses and queues in its own context, concurrently.
  const tickets = await Promise.all(requests.map((span) => within(span, async () => {
    const img = await traceDecode('DICOM', dicom.length, async () => readDicom(dicom));
    tracePreprocess(() => img.rows * 2);
    return startQueueWait('cxr-demo');
  })));
  const logits = await traceBatch('cxr-demo', '3', tickets, async () => {
    await new Promise((r) => setTimeout(r, 1));
    return tickets.map(() => 0.5);
  });
  for (const span of requests) {
    within(span, () => tracePostprocess(() => logits.length));
    span.end();
  }

  const spans = tracing.exporter.getFinishedSpans();
  const byName = (n: string) => spans.filter((s) => s.name === n);
  const batch = byName('cxr.batch');
  assert.equal(batch.length, 1, 'one span per batch');
  assert.equal(parentOf(batch[0]), undefined, 'the batch starts its own trace');
  assert.deepEqual(
    batch[0].links.map((l) => l.context.spanId).sort(),
    requests.map((r) => r.spanContext().spanId).sort(),
  );
  assert.deepEqual(batch[0].attributes, { 'cxr.model': 'cxr-demo', 'cxr.model.version': '3', 'cxr.batch.size': 3 });
  for (const stage of ['cxr.decode', 'cxr.preprocess', 'cxr.queue_wait', 'cxr.postprocess']) {
    const s = byName(stage);
    assert.equal(s.length, 3, `${stage}: one per request`);
    assert.deepEqual(s.map(parentOf).sort(), requests.map((r) => r.spanContext().spanId).sort(), `${stage} nests under its request`);
  }
  assert.equal(byName('cxr.decode')[0].attributes['cxr.image.format'], 'dicom');
  assert.deepEqual(leakedIdentifiers(everything(spans)), []);
});

test('a failing stage marks its span as an error, and no message survives to the exporter', async () => {
  tracing.exporter.reset();
  await assert.rejects(traceDecode('dicom', 10, async () => {
    throw new Error(`cannot decode the image of ${PATIENT.name} (${PATIENT.id})`);
  }), /cannot decode/);
  assert.throws(() => tracePreprocess(() => {
    throw new TypeError(PATIENT.name);
  }));
  const spans = tracing.exporter.getFinishedSpans();
  assert.deepEqual(spans.map((s) => [s.name, s.status.code, s.status.message]), [['cxr.decode', 2, undefined], ['cxr.preprocess', 2, undefined]]);
  assert.deepEqual(leakedIdentifiers(everything(spans)), []);
});

test('training epochs and evaluation runs are root spans with their kind', async () => {
  tracing.exporter.reset();
  await traceTrainingEpoch('finetune', 2, async () => undefined);
  traceEvaluation('evaluate', 120, () => undefined);
  const spans = tracing.exporter.getFinishedSpans();
  assert.deepEqual(spans.map((s) => [s.name, parentOf(s), s.attributes]), [
    ['cxr.training.epoch', undefined, { 'cxr.job.kind': 'finetune', 'cxr.training.epoch': 2 }],
    ['cxr.evaluation', undefined, { 'cxr.job.kind': 'evaluate', 'cxr.evaluation.images': 120 }],
  ]);
});

/* eslint-disable @typescript-eslint/no-require-imports */
// Required here, after tracing started, so the gRPC instrumentation sees @grpc/grpc-js load.
const lazy = () => ({
  ...(require('../helpers/service') as typeof import('../helpers/service')),
  ...(require('../helpers/clients') as typeof import('../helpers/clients')),
  MediaType: (require('../../src/api/generated/cxr/v1/inference_service') as typeof import('../../src/api/generated/cxr/v1/inference_service')).MediaType,
  grpc: require('@grpc/grpc-js') as typeof import('@grpc/grpc-js'),
});
/* eslint-enable @typescript-eslint/no-require-imports */

let service: { svc: Awaited<ReturnType<ReturnType<typeof lazy>['startTestService']>>; c: ReturnType<ReturnType<typeof lazy>['clients']> } | undefined;
async function running() {
  const { startTestService, clients } = lazy();
  if (!service) {
    const svc = await startTestService({ 'bootstrap.demoModel': true });
    service = { svc, c: clients(svc.address) };
  }
  return service;
}
after(async () => {
  service?.c.close();
  await service?.svc.cleanup();
});

test('gRPC calls get server spans; an error message quoting a patient never reaches one', async () => {
  const { call, grpc } = lazy();
  const { c } = await running();
  tracing.exporter.reset();
  await call(c.models.listModels.bind(c.models), {});
  const server = tracing.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  assert.deepEqual(server.map((s) => s.name), ['grpc.cxr.v1.ModelService/ListModels']);

  tracing.exporter.reset();
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: PATIENT.name }));
  await assert.rejects(call(c.models.getModel.bind(c.models), { name: PATIENT.id }), { code: grpc.status.NOT_FOUND });
  const failed = tracing.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  assert.equal(failed.length, 2);
  for (const s of failed) assert.equal(s.status.code, 2);
  assert.deepEqual(leakedIdentifiers(everything(failed)), []);
});

/** One Predict of two DICOMs carrying a patient; its finished spans, or why it could not run. */
let predicted: Promise<{ spans: Finished[]; traceId: string } | string> | undefined;
function predictOnce(): Promise<{ spans: Finished[]; traceId: string } | string> {
  return (predicted ??= (async () => {
    const { call, grpc, MediaType } = lazy();
    const { c } = await running();
    const { models } = await call(c.models.listModels.bind(c.models), {});
    const model = models[0]?.name;
    if (!model) return 'no model registered (bootstrap.demoModel not wired)';
    tracing.exporter.reset();
    const image = { id: PATIENT.id, data: dicomWithPatient(64), mediaType: MediaType.MEDIA_TYPE_DICOM };
    try {
      await call(c.inference.predict.bind(c.inference), { modelName: model, modelVersion: '', images: [image, { ...image, id: `${PATIENT.id}-2` }] });
    } catch (err) {
      if ((err as { code?: number }).code === grpc.status.UNIMPLEMENTED) return 'Predict is not served (no runtime)';
      throw err;
    }
    const spans = tracing.exporter.getFinishedSpans();
    const predict = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'grpc.cxr.v1.InferenceService/Predict');
    assert.ok(predict, 'a server span for Predict');
    return { spans, traceId: predict.spanContext().traceId };
  })());
}

test('a Predict: server span, one queue wait per image, batch spans linked into its trace, no patient data', async (t) => {
  const r = await predictOnce();
  if (typeof r === 'string') return t.skip(`${r}: Predict span tree not checked`);
  const inTrace = r.spans.filter((s) => s.spanContext().traceId === r.traceId);
  assert.equal(inTrace.filter((s) => s.name === 'cxr.queue_wait').length, 2, 'a queue wait per image');
  const batches = r.spans.filter((s) => s.name === 'cxr.batch');
  assert.ok(batches.length >= 1, 'a batch span');
  for (const b of batches) {
    assert.equal(parentOf(b), undefined, 'a batch starts its own trace');
    assert.ok(b.links.length >= 1 && b.links.every((l) => l.context.traceId === r.traceId), 'batch spans link into the Predict trace');
  }
  assert.equal(batches.reduce((n, b) => n + Number(b.attributes['cxr.batch.size']), 0), 2, 'both images were batched');
  assert.deepEqual(leakedIdentifiers(everything(r.spans)), []);
});

test('a Predict trace has decode, preprocess and postprocess spans', async (t) => {
  const r = await predictOnce();
  if (typeof r === 'string') return t.skip(r);
  const names = r.spans.filter((s) => s.spanContext().traceId === r.traceId).map((s) => s.name);
  for (const stage of ['cxr.decode', 'cxr.preprocess', 'cxr.postprocess']) {
    assert.equal(names.filter((n) => n === stage).length, 2, `${stage} per image in the Predict trace (${names.join(', ')})`);
  }
});
