/**
 * OpenTelemetry tracing: the NodeSDK with gRPC instrumentation, configured by the standard OTEL_*
 * variables (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
 * OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_SDK_DISABLED, ...).
 *
 * Off unless the operator asks for it: with no exporter configured nothing here is even loaded,
 * and the span helpers (./spans) talk to @opentelemetry/api's no-op tracer. The NodeSDK alone
 * would default to exporting OTLP to localhost, which an offline hospital deployment never wants.
 *
 * Must run before @grpc/grpc-js is first required: the instrumentation patches it on load.
 * Only type imports at the top, so importing this file loads nothing heavy.
 */
import type { NodeSDK, tracing as sdkTracing } from '@opentelemetry/sdk-node';

export interface Tracing {
  /** Flushes pending spans and stops the SDK (call during shutdown, after the server drained). */
  shutdown(): Promise<void>;
}

export interface TestTracing extends Tracing {
  /** Every span ended so far, in end order. */
  exporter: sdkTracing.InMemorySpanExporter;
}

type Env = Record<string, string | undefined>;

function flag(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase());
}

/**
 * Whether the environment asks for traces: an exporter named in OTEL_TRACES_EXPORTER (other than
 * "none"), or an OTLP endpoint set; OTEL_SDK_DISABLED=true wins over both.
 */
export function tracingRequested(env: Env = process.env): boolean {
  if (flag(env.OTEL_SDK_DISABLED)) return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter((s) => s && s !== 'none');
  if (exporters.length > 0) return true;
  if ((env.OTEL_TRACES_EXPORTER ?? '').trim() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let active: Tracing | null = null;

/* eslint-disable @typescript-eslint/no-require-imports */
function buildSdk(extra: { spanProcessors?: sdkTracing.SpanProcessor[]; autoDetectResources?: boolean }): NodeSDK {
  const { NodeSDK, resources } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { SpanScrubber } = require('./span-scrubber') as typeof import('./span-scrubber');
  // The SDK builds exporters from OTEL_TRACES_EXPORTER only when given no processors; the scrubber
  // must come first, so the env-derived processors are built here with the SDK's own function.
  const exporters = extra.spanProcessors ?? (require('@opentelemetry/sdk-node/build/src/utils') as {
    getSpanProcessorsFromEnv(meterProvider: undefined): sdkTracing.SpanProcessor[];
  }).getSpanProcessorsFromEnv(undefined);
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  return new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'cxr-vit',
    instrumentations: [new GrpcInstrumentation({
      // Health checks and reflection would drown the traces that matter.
      ignoreGrpcMethods: [/^Check$/, /^Watch$/, /^ServerReflectionInfo$/],
    })],
    // Metrics are Prometheus (./metrics) and logs are pino: only an explicit OTEL_METRICS_EXPORTER
    // turns on OTel metrics, and OTel logs stay off (the SDK's default would push both to localhost).
    ...(process.env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    logRecordProcessors: [],
    autoDetectResources: extra.autoDetectResources,
    // The SDK's process detector copies the full command line into every span's resource: a CLI
    // argument can be a file name. Host and OTEL_RESOURCE_ATTRIBUTES only, unless the operator
    // picks detectors with OTEL_NODE_RESOURCE_DETECTORS.
    ...(process.env.OTEL_NODE_RESOURCE_DETECTORS ? {} : { resourceDetectors: [resources.envDetector, resources.hostDetector] }),
    spanProcessors: [new SpanScrubber(), ...exporters],
  });
}

/**
 * Starts tracing when the environment asks for it (see `tracingRequested`); returns null and
 * loads nothing otherwise. Idempotent: a second call returns the running instance.
 */
export function startTracing(env: Env = process.env): Tracing | null {
  if (active) return active;
  if (!tracingRequested(env)) return null;
  const sdk = buildSdk({});
  sdk.start();
  active = { shutdown: () => sdk.shutdown() };
  return active;
}

/**
 * Test hook: tracing with an in-memory exporter and a synchronous span processor, so a test reads
 * finished spans right after the call that produced them. Call it before @grpc/grpc-js is first
 * required (import the service helpers dynamically afterwards) to get the gRPC server spans too.
 */
export function startTestTracing(): TestTracing {
  if (active && 'exporter' in active) return active as TestTracing;
  if (active) throw new Error('tracing already started with a real exporter');
  const { tracing } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const exporter = new tracing.InMemorySpanExporter();
  // Resource detection is asynchronous and SimpleSpanProcessor holds every span until it settles:
  // without it, a span is in the exporter the moment it ends.
  const sdk = buildSdk({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)], autoDetectResources: false });
  sdk.start();
  const t: TestTracing = { exporter, shutdown: () => sdk.shutdown() };
  active = t;
  return t;
}

/** Flushes and stops whatever tracing was started (a no-op when off). Call last in shutdown. */
export async function stopTracing(): Promise<void> {
  const t = active;
  active = null;
  await t?.shutdown();
}
