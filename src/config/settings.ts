import { availableParallelism } from 'node:os';

/**
 * Every setting of the service: its config-file key, environment variable, type, default and
 * meaning. This table is the single source for parsing, validation and the README's table.
 */
export type SettingType = 'string' | 'int' | 'number' | 'bool' | { enum: readonly string[] };

export interface SettingDef {
  key: string;
  env: string;
  type: SettingType;
  default: string | number | boolean;
  min?: number;
  max?: number;
  doc: string;
}

const MiB = 1024 * 1024;
const cores = availableParallelism();

export const SETTINGS = [
  { key: 'grpc.host', env: 'CXR_GRPC_HOST', type: 'string', default: '0.0.0.0', doc: 'Address the gRPC server binds.' },
  { key: 'grpc.port', env: 'CXR_GRPC_PORT', type: 'int', default: 50051, min: 0, max: 65535, doc: 'gRPC port (0 picks a free port).' },
  { key: 'grpc.maxReceiveMessageBytes', env: 'CXR_GRPC_MAX_RECEIVE_BYTES', type: 'int', default: 64 * MiB, min: 4 * MiB, max: 2047 * MiB, doc: 'Largest request message accepted; larger gets RESOURCE_EXHAUSTED. 16-bit radiographs are often 10-20 MB.' },
  { key: 'grpc.maxSendMessageBytes', env: 'CXR_GRPC_MAX_SEND_BYTES', type: 'int', default: 64 * MiB, min: 4 * MiB, max: 2047 * MiB, doc: 'Largest response message sent.' },
  { key: 'grpc.keepaliveTimeMs', env: 'CXR_GRPC_KEEPALIVE_TIME_MS', type: 'int', default: 60_000, min: 1000, doc: 'Interval of server keepalive pings.' },
  { key: 'grpc.keepaliveTimeoutMs', env: 'CXR_GRPC_KEEPALIVE_TIMEOUT_MS', type: 'int', default: 20_000, min: 1000, doc: 'How long a keepalive ping may go unanswered before the connection is closed.' },
  { key: 'grpc.shutdownGraceMs', env: 'CXR_SHUTDOWN_GRACE_MS', type: 'int', default: 30_000, min: 0, doc: 'On SIGTERM/SIGINT, how long in-flight calls may finish before they are cancelled.' },
  { key: 'data.dir', env: 'CXR_DATA_DIR', type: 'string', default: './cxr-data', doc: 'Data directory: SQLite database, model versions, job checkpoints, reports.' },
  { key: 'data.datasetRoot', env: 'CXR_DATASET_ROOT', type: 'string', default: '', doc: 'Root that dataset manifests and their image paths must stay inside (default <data.dir>/datasets).' },
  { key: 'data.importRoot', env: 'CXR_IMPORT_ROOT', type: 'string', default: '', doc: 'Root that ImportModel file paths must stay inside (default <data.dir>/imports).' },
  { key: 'hub.endpoint', env: 'CXR_HUB_ENDPOINT', type: 'string', default: 'https://huggingface.co', doc: 'Model hub base URL, used only when an import names a hub repo (HF_ENDPOINT is honoured too).' },
  { key: 'hub.maxDownloadBytes', env: 'CXR_HUB_MAX_DOWNLOAD_BYTES', type: 'int', default: 4096 * MiB, min: 1, doc: 'Largest checkpoint a hub import downloads.' },
  { key: 'bootstrap.demoModel', env: 'CXR_BOOTSTRAP_DEMO_MODEL', type: 'bool', default: true, doc: 'On a fresh data directory, register a small randomly initialised ViT ("cxr-demo") so Predict works out of the box. Its probabilities are meaningless until it is trained.' },
  { key: 'runtime.executionProvider', env: 'CXR_EXECUTION_PROVIDER', type: { enum: ['auto', 'cpu', 'cuda'] }, default: 'auto', doc: 'ONNX Runtime execution provider: cuda, cpu, or auto (CUDA when it loads, else CPU, logged loudly).' },
  { key: 'runtime.cudaDeviceId', env: 'CXR_CUDA_DEVICE_ID', type: 'int', default: 0, min: 0, doc: 'CUDA device used by the CUDA provider.' },
  { key: 'runtime.workers', env: 'CXR_RUNTIME_WORKERS', type: 'int', default: Math.max(1, cores), min: 1, max: 64, doc: 'Inference worker threads (one ONNX Runtime session each per loaded version). workers x intraOpThreads must not exceed the cores.' },
  { key: 'runtime.fp16OnGpu', env: 'CXR_FP16_ON_GPU', type: 'bool', default: true, doc: 'On CUDA, serve the fp16 graph (built at import when a GPU provider is configured): ~1.4-1.8x the fp32 throughput, logits within ~2e-3.' },
  { key: 'runtime.intraOpThreads', env: 'CXR_INTRA_OP_THREADS', type: 'int', default: 1, min: 1, max: 64, doc: 'ONNX Runtime intra-op threads per session.' },
  { key: 'batching.maxBatchSize', env: 'CXR_MAX_BATCH_SIZE', type: 'int', default: 8, min: 1, max: 256, doc: 'Largest batch the dynamic batcher forms.' },
  { key: 'batching.maxQueueDelayMs', env: 'CXR_MAX_QUEUE_DELAY_MS', type: 'number', default: 5, min: 0, max: 10_000, doc: 'How long the batcher waits for a fuller batch once a worker is free.' },
  { key: 'batching.maxQueueSize', env: 'CXR_MAX_QUEUE_SIZE', type: 'int', default: 512, min: 1, doc: 'Images queued per model version before requests get RESOURCE_EXHAUSTED.' },
  { key: 'image.decodeWorkers', env: 'CXR_DECODE_WORKERS', type: 'int', default: Math.max(1, Math.min(2, cores)), min: 1, max: 64, doc: 'Worker threads decoding and preprocessing images.' },
  { key: 'image.maxEncodedBytes', env: 'CXR_MAX_ENCODED_BYTES', type: 'int', default: 64 * MiB, min: 1024, doc: 'Largest encoded image accepted.' },
  { key: 'image.maxPixels', env: 'CXR_MAX_PIXELS', type: 'int', default: 64 * 1024 * 1024, min: 1024, doc: 'Largest decoded image (width x height) accepted: guards against decompression bombs.' },
  { key: 'image.decodeTimeoutMs', env: 'CXR_DECODE_TIMEOUT_MS', type: 'int', default: 10_000, min: 100, doc: 'Time bound of decoding one image; a decoder past it is terminated.' },
  { key: 'image.multiFrame', env: 'CXR_MULTI_FRAME', type: { enum: ['first', 'reject'] }, default: 'first', doc: 'Multi-frame DICOM objects: use the first frame, or reject with INVALID_ARGUMENT.' },
  { key: 'training.concurrentJobs', env: 'CXR_TRAINING_CONCURRENT_JOBS', type: 'int', default: 1, min: 1, max: 16, doc: 'Training jobs running at once (per device); others queue visibly.' },
  { key: 'training.intraOpThreads', env: 'CXR_TRAINING_INTRA_OP_THREADS', type: 'int', default: Math.max(1, cores), min: 1, max: 64, doc: 'ONNX Runtime intra-op threads of a training session.' },
  { key: 'metrics.host', env: 'CXR_METRICS_HOST', type: 'string', default: '0.0.0.0', doc: 'Address of the Prometheus /metrics HTTP endpoint.' },
  { key: 'metrics.port', env: 'CXR_METRICS_PORT', type: 'int', default: 9464, min: 0, max: 65535, doc: 'Port of /metrics (0 picks a free port; -1 is not allowed: use metrics.enabled).' },
  { key: 'metrics.enabled', env: 'CXR_METRICS_ENABLED', type: 'bool', default: true, doc: 'Serve Prometheus metrics.' },
  { key: 'log.level', env: 'CXR_LOG_LEVEL', type: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info', doc: 'Log level (JSON logs on stdout, pino).' },
] as const satisfies readonly SettingDef[];

type Defs = typeof SETTINGS;
type ValueOf<T extends SettingType> = T extends 'int' | 'number' ? number : T extends 'bool' ? boolean : string;

/** The validated configuration, keyed by dotted setting key. */
export type Config = { [D in Defs[number] as D['key']]: ValueOf<D['type']> };
