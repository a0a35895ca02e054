import type { ServerUnaryCall, ServerDuplexStream } from '@grpc/grpc-js';
import type { ServiceContext } from '../service-context';
import { unary, bidiStream } from '../call-adapters';
import {
  InferenceServiceService, MediaType,
  type InferenceServiceServer, type ImageInput, type PredictRequest, type PredictResponse, type ImageResult, type PredictStreamRequest, type PredictStreamResponse,
} from '../generated/cxr/v1/inference_service';
import { CxrError, invalidArgument, unimplemented } from '../../errors/cxr-error';
import type { ImagePrediction, InferenceEngine, MediaTypeName } from '../capabilities';
import { grpcCode } from '../grpc-status';
import { callDeadline, abortOnCancel } from '../call-context';

export { InferenceServiceService };

const MEDIA: Record<number, MediaTypeName> = {
  [MediaType.MEDIA_TYPE_UNSPECIFIED]: 'auto',
  [MediaType.MEDIA_TYPE_AUTO]: 'auto',
  [MediaType.MEDIA_TYPE_DICOM]: 'dicom',
  [MediaType.MEDIA_TYPE_PNG]: 'png',
  [MediaType.MEDIA_TYPE_JPEG]: 'jpeg',
  [MediaType.MEDIA_TYPE_TENSOR]: 'tensor',
};

/** Images a stream may have in flight before it stops reading (backpressure on the client). */
const STREAM_WINDOW = 64;

export function inferenceService(ctx: ServiceContext): InferenceServiceServer {
  const S = 'cxr.v1.InferenceService';
  const engine = (): InferenceEngine => {
    const e = ctx.capabilities.inference;
    if (!e) throw unimplemented('Predict needs the inference runtime (src/runtime), which this server was started without');
    return e;
  };

  const predictOne = (e: InferenceEngine, model: string, version: string, img: ImageInput, field: string, deadline: number | undefined, signal: AbortSignal) => {
    const mediaType = MEDIA[img.mediaType];
    if (mediaType === undefined) throw invalidArgument(`${field}.media_type ${img.mediaType} is not a known MediaType`, [{ field: `${field}.media_type`, description: 'unknown value' }]);
    if (img.data.length === 0) throw invalidArgument(`${field}.data is empty`, [{ field: `${field}.data`, description: 'empty' }]);
    return e.predict(model, version || undefined, { data: img.data, mediaType }, { deadline, signal }).catch((err: unknown) => {
      const ce = CxrError.from(err);
      // Say which image failed, by position: the caller's id may carry patient data, positions do not.
      throw new CxrError(ce.code, `${field}: ${ce.message}`, { violations: ce.violations.length ? ce.violations : ce.code === 'INVALID_ARGUMENT' ? [{ field, description: ce.message }] : [], cause: ce });
    });
  };

  return {
    predict: unary(ctx, S, 'Predict', async (req: PredictRequest, call: ServerUnaryCall<PredictRequest, PredictResponse>, notes) => {
      const e = engine();
      requireModel(req.modelName);
      if (req.images.length === 0) throw invalidArgument('images is empty', [{ field: 'images', description: 'at least one image is required' }]);
      notes.modelName = req.modelName;
      const { signal, dispose } = abortOnCancel(call);
      try {
        const deadline = callDeadline(call);
        const preds = await Promise.all(req.images.map((img, i) => predictOne(e, req.modelName, req.modelVersion, img, `images[${i}]`, deadline, signal)));
        notes.modelVersion = String(preds[0]!.modelVersion);
        return {
          modelName: preds[0]!.modelName,
          modelVersion: String(preds[0]!.modelVersion),
          results: preds.map((p, i) => toResult(req.images[i]!.id, p)),
        };
      } finally {
        dispose();
      }
    }),

    predictStream: bidiStream(ctx, S, 'PredictStream', async (call: ServerDuplexStream<PredictStreamRequest, PredictStreamResponse>, notes) => {
      const e = engine();
      const { signal, dispose } = abortOnCancel(call);
      const deadline = callDeadline(call);
      let inFlight = 0;
      let ended = false;
      let settle!: () => void;
      const done = new Promise<void>((resolve) => (settle = resolve));
      const maybeDone = () => { if (ended && inFlight === 0) settle(); };
      const emit = (m: PredictStreamResponse) => { if (!signal.aborted) call.write(m); };

      call.on('data', (req: PredictStreamRequest) => {
        notes.modelName ??= req.modelName;
        req.images.forEach((img, i) => {
          inFlight++;
          if (inFlight >= STREAM_WINDOW) call.pause();
          Promise.resolve()
            .then(() => {
              requireModel(req.modelName);
              return predictOne(e, req.modelName, req.modelVersion, img, `images[${i}]`, deadline, signal);
            })
            .then(
              (p) => emit({ outcome: { $case: 'result', value: toResult(img.id, p) } }),
              (err: unknown) => {
                const ce = CxrError.from(err);
                emit({ outcome: { $case: 'error', value: { id: img.id, code: grpcCode(ce.code), message: ce.code === 'INTERNAL' ? 'internal error' : ce.message } } });
              },
            )
            .finally(() => {
              inFlight--;
              if (inFlight < STREAM_WINDOW) call.resume();
              maybeDone();
            });
        });
      });
      call.on('end', () => { ended = true; maybeDone(); });
      call.on('error', () => { ended = true; maybeDone(); });
      signal.addEventListener('abort', () => settle());
      try {
        await done;
      } finally {
        dispose();
      }
    }),
  };
}

function requireModel(name: string): void {
  if (!name) throw invalidArgument('model_name is required', [{ field: 'model_name', description: 'empty' }]);
}

function toResult(id: string, p: ImagePrediction): ImageResult {
  return {
    id,
    modelName: p.modelName,
    modelVersion: String(p.modelVersion),
    scores: p.scores.map((s) => ({ label: s.label, probability: s.probability, positive: s.positive, threshold: s.threshold })),
    timing: p.timing,
  };
}
