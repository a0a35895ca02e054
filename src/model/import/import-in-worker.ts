import type { Store } from '../../store/store';
import type { ModelVersionRecord, ModelVersionSpec } from '../../store/model-repository';
import { rmSync } from 'node:fs';
import { CxrError } from '../../errors/cxr-error';
import { startWorker, workerPath } from '../../util/worker-thread';
import type { ImportModelRequest } from './import-model';

/**
 * importModel with the heavy work on a worker thread: parsing and graph building of a ViT-B
 * takes seconds of CPU that must not stall the server's event loop. The worker only writes into
 * a staging directory; registration (SQLite) stays on the main thread. Cancelling terminates
 * the worker and discards the staging directory.
 */
export async function importInWorker(req: ImportModelRequest, store: Store, signal?: AbortSignal): Promise<ModelVersionRecord> {
  const staging = store.createStagingDir('import');
  const worker = startWorker(workerPath(__dirname, __filename, 'import-worker'));
  try {
    const spec = await new Promise<ModelVersionSpec>((resolve, reject) => {
      const onAbort = () => reject(new CxrError('CANCELLED', 'import cancelled'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (m: { ok: true; spec: ModelVersionSpec } | { ok: false; error: unknown }) =>
        m.ok ? resolve(m.spec) : reject(CxrError.from(m.error)),
      );
      worker.once('error', (e) => reject(new CxrError('INTERNAL', `import worker failed: ${e.message}`, { cause: e })));
      worker.once('exit', (code) => reject(new CxrError('INTERNAL', `import worker exited (${code})`)));
      worker.postMessage({ req, staging });
    });
    return store.models.registerVersion({ modelName: req.modelName, description: req.description, spec, stagingDir: staging, serve: req.serve });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    void worker.terminate();
  }
}
