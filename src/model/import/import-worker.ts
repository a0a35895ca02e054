import { parentPort } from 'node:worker_threads';
import { prepareImport, type ImportModelRequest } from './import-model';
import { CxrError } from '../../errors/cxr-error';

/** Worker side of importInWorker: one import per message, the spec or the error posted back. */
parentPort?.on('message', (msg: { req: ImportModelRequest; staging: string }) => {
  prepareImport(msg.req, msg.staging).then(
    (spec) => parentPort?.postMessage({ ok: true, spec }),
    (err: unknown) => parentPort?.postMessage({ ok: false, error: CxrError.from(err).toJSON() }),
  );
});
