import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CxrError } from '../errors/cxr-error';

/** What the configuration asks for (runtime.executionProvider). */
export type ProviderChoice = 'auto' | 'cpu' | 'cuda';
/** What a session actually runs on. */
export type ProviderName = 'cpu' | 'cuda';

export interface ThreadBudget {
  workers: number;
  intraOpThreads: number;
  /** Defaults to os.availableParallelism(). */
  cores?: number;
}

/**
 * Oversubscribing cores makes ONNX Runtime's spinning intra-op threads fight each other:
 * measured here, 2 workers x 2 threads was slower than 1 x 1. So the product is a hard limit.
 */
export function validateThreadBudget(b: ThreadBudget): void {
  const cores = b.cores ?? availableParallelism();
  for (const [k, v] of [['runtime.workers', b.workers], ['runtime.intraOpThreads', b.intraOpThreads]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new CxrError('INVALID_ARGUMENT', `${k} must be a positive integer, got ${String(v)}`, { violations: [{ field: k, description: 'positive integer' }] });
    }
  }
  if (b.workers * b.intraOpThreads > cores) {
    throw new CxrError(
      'INVALID_ARGUMENT',
      `runtime.workers (${b.workers}) x runtime.intraOpThreads (${b.intraOpThreads}) = ${b.workers * b.intraOpThreads} exceeds the ${cores} cores of this machine; lower one of them (e.g. CXR_RUNTIME_WORKERS=${Math.max(1, Math.floor(cores / b.intraOpThreads))})`,
      { violations: [{ field: 'runtime.workers', description: `workers x intraOpThreads must be <= ${cores}` }] },
    );
  }
}

/**
 * Whether onnxruntime-node has its CUDA provider library beside its binding (GPU installs put
 * libonnxruntime_providers_cuda.so there). Without it, 'auto' goes straight to CPU, still
 * reporting the fallback, instead of making ONNX Runtime fail a load to find out.
 */
export function cudaProviderInstalled(): boolean {
  try {
    const binding = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(binding, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}
