import { trace, context, SpanStatusCode, type Span, type SpanContext, type Link } from '@opentelemetry/api';
import { modelLabel, formatLabel, kindLabel, versionLabel } from './labels';

/**
 * Span helpers for the pipeline stages. Attributes are typed parameters only (formats, model
 * names, counts): there is deliberately no way to attach free-form attributes here, so ids, file
 * names and DICOM fields cannot end up in a trace. With tracing off (the default) @opentelemetry/api
 * hands out non-recording spans: each helper then costs a few hundred nanoseconds.
 */
const tracer = trace.getTracer('cxr-vit');

type Attrs = Record<string, string | number | boolean>;
const NO_ATTRS = (): Attrs => ({});

function finish(span: Span, err?: unknown): void {
  if (err !== undefined) {
    // The exception's message may quote input; the stage name and error class are enough to find it.
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
  }
  span.end();
}

/**
 * Runs `fn` inside span `name` (a child of the active span), ending it when `fn` settles.
 * Attributes are computed only for a recording span: with tracing off that work is skipped.
 */
function run<T>(name: string, attributes: () => Attrs, fn: () => T, opts?: { root?: boolean; links?: Link[] }): T {
  const span = opts ? tracer.startSpan(name, opts) : tracer.startSpan(name);
  if (span.isRecording()) span.setAttributes(attributes());
  let result: T;
  try {
    result = context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    finish(span, err);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => { finish(span); return v; },
      (err: unknown) => { finish(span, err); throw err; },
    ) as T;
  }
  finish(span);
  return result;
}

/** Decoding one image: `traceDecode('dicom', bytes.length, () => decode(bytes))`. */
export function traceDecode<T>(format: string, encodedBytes: number, fn: () => T): T {
  return run('cxr.decode', () => ({ 'cxr.image.format': formatLabel(format), 'cxr.image.encoded_bytes': encodedBytes }), fn);
}

/** Turning pixels into the model's input tensor. */
export function tracePreprocess<T>(fn: () => T): T {
  return run('cxr.preprocess', NO_ATTRS, fn);
}

/** Turning logits into the response (sigmoid, thresholds, labels). */
export function tracePostprocess<T>(fn: () => T): T {
  return run('cxr.postprocess', NO_ATTRS, fn);
}

/**
 * A request's wait in the batcher queue. Call `startQueueWait` when enqueuing, inside the request's
 * context; keep the ticket with the queued item; pass the tickets of a batch to `traceBatch`, which
 * ends each wait and links the batch span to every request it served.
 */
export interface QueueTicket {
  /** The request span the batch links to (the span active when the item was enqueued). */
  readonly request: SpanContext | undefined;
  end(): void;
}

export function startQueueWait(model: string): QueueTicket {
  const request = trace.getActiveSpan()?.spanContext();
  const span = tracer.startSpan('cxr.queue_wait');
  if (span.isRecording()) span.setAttribute('cxr.model', modelLabel(model));
  let ended = false;
  return {
    request,
    end() {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}

/**
 * One span per executed batch. It serves many requests from different traces, so it starts a
 * trace of its own (OpenTelemetry's batching pattern) and carries one link per request.
 */
export function traceBatch<T>(model: string, version: string, tickets: readonly QueueTicket[], fn: () => T): T {
  const links: Link[] = [];
  for (const t of tickets) {
    t.end();
    if (t.request && trace.isSpanContextValid(t.request)) links.push({ context: t.request });
  }
  return run('cxr.batch', () => ({
    'cxr.model': modelLabel(model),
    'cxr.model.version': versionLabel(version),
    'cxr.batch.size': tickets.length,
  }), fn, { root: true, links });
}

/** One training epoch: `traceTrainingEpoch('finetune', epoch, () => runEpoch())`. */
export function traceTrainingEpoch<T>(kind: string, epoch: number, fn: () => T): T {
  return run('cxr.training.epoch', () => ({ 'cxr.job.kind': kindLabel(kind), 'cxr.training.epoch': epoch }), fn, { root: true });
}

/** One evaluation run (evaluate or compare), from first image to written report. */
export function traceEvaluation<T>(kind: string, images: number, fn: () => T): T {
  return run('cxr.evaluation', () => ({ 'cxr.job.kind': kindLabel(kind), 'cxr.evaluation.images': images }), fn, { root: true });
}

/**
 * Decode and preprocess run on a decode worker thread, out of reach of this thread's context:
 * they are recorded afterwards as children of the active span, from the worker's own timings
 * (`startMs` on the epoch clock).
 */
export function recordImageStages(format: string, encodedBytes: number, startMs: number, decodeMs: number, preprocessMs: number): void {
  const decode = tracer.startSpan('cxr.decode', { startTime: startMs });
  if (decode.isRecording()) decode.setAttributes({ 'cxr.image.format': formatLabel(format), 'cxr.image.encoded_bytes': encodedBytes });
  decode.end(startMs + decodeMs);
  tracer.startSpan('cxr.preprocess', { startTime: startMs + decodeMs }).end(startMs + decodeMs + preprocessMs);
}
