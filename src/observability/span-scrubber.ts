import { SpanStatusCode, type Context } from '@opentelemetry/api';
import type { tracing } from '@opentelemetry/sdk-node';

/** What a scrubbed message becomes. */
export const SCRUBBED = '[redacted]';

/** Attributes that carry a free-form error message (which may quote what a client sent). */
const MESSAGE_ATTRIBUTES = ['grpc.error_message', 'exception.message', 'exception.stacktrace'];

/**
 * A span processor that runs first and removes error messages from every span before any exporter
 * sees it. The gRPC instrumentation copies a failed call's message into the span status and into
 * `grpc.error_message`; our messages are meant for the client and may quote its input (a model
 * name, a field value), which could be anything, patient data included. The status code and
 * `rpc.grpc.status_code` stay: they are what an operator filters on.
 *
 * Uses the SDK's `onEnding` hook, the last moment a span is still writable.
 */
export class SpanScrubber implements tracing.SpanProcessor {
  onStart(_span: tracing.Span, _ctx: Context): void {}

  onEnding(span: tracing.Span): void {
    if (span.status.code === SpanStatusCode.ERROR && span.status.message) span.setStatus({ code: SpanStatusCode.ERROR });
    for (const key of MESSAGE_ATTRIBUTES) {
      if (span.attributes[key] !== undefined) span.setAttribute(key, SCRUBBED);
    }
    for (const event of span.events) {
      if (!event.attributes) continue;
      for (const key of MESSAGE_ATTRIBUTES) {
        if (event.attributes[key] !== undefined) (event.attributes as Record<string, unknown>)[key] = SCRUBBED;
      }
    }
  }

  onEnd(_span: tracing.ReadableSpan): void {}
  forceFlush(): Promise<void> { return Promise.resolve(); }
  shutdown(): Promise<void> { return Promise.resolve(); }
}
