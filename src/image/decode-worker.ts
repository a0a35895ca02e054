import { parentPort } from 'node:worker_threads';
import { CxrError } from '../errors/cxr-error';
import { decodeRadiograph } from './decode';
import { warmUpCodecs } from './dicom/wasm-codecs';
import { preprocess } from './preprocess';
import type { PreprocessPreset } from './presets';
import type { DecodeLimits, MediaType } from './types';

/** One decode + preprocess job as posted by ImagePipeline. */
export interface DecodeJob {
  id: number;
  bytes: Uint8Array;
  mediaType: MediaType;
  preset: PreprocessPreset;
  limits: DecodeLimits;
}

export type DecodeReply =
  | { id: number; ok: true; tensor: Float32Array; width: number; height: number; format: string; decodeMs: number; preprocessMs: number }
  | { id: number; ok: false; error: ReturnType<CxrError['toJSON']> };

const port = parentPort;
if (port) {
  // 'ready' goes out once the codecs are loaded, so start-up time never counts against a job's bound.
  warmUpCodecs().then(
    () => port.postMessage({ ready: true }),
    () => port.postMessage({ ready: true }), // a codec that failed to load fails its own jobs, not the worker
  );
  port.on('message', async (job: DecodeJob) => {
    let reply: DecodeReply;
    try {
      const t0 = performance.now();
      const img = await decodeRadiograph(job.bytes, job.mediaType, { limits: job.limits, voi: job.preset.voi });
      const t1 = performance.now();
      const tensor = preprocess(img, job.preset);
      const t2 = performance.now();
      reply = { id: job.id, ok: true, tensor, width: img.width, height: img.height, format: img.format, decodeMs: t1 - t0, preprocessMs: t2 - t1 };
    } catch (err) {
      reply = { id: job.id, ok: false, error: CxrError.from(err).toJSON() };
    }
    port.postMessage(reply, reply.ok ? [reply.tensor.buffer as ArrayBuffer] : []);
  });
}
