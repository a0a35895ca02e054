import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ServiceContext } from '../service-context';
import { unary, bidiStream } from '../call-adapters';
import {
  GRPCInferenceServiceService,
  type GRPCInferenceServiceServer, type ModelInferRequest, type ModelInferResponse, type ModelStreamInferResponse,
} from '../generated/inference/grpc_predict_v2';
import { DataType, ModelInstanceGroup_Kind } from '../generated/inference/model_config';
import { CxrError, invalidArgument, unimplemented } from '../../errors/cxr-error';
import type { InferenceEngine } from '../capabilities';
import { callDeadline, abortOnCancel } from '../call-context';
import { readBytes, readFp32, fp32Bytes } from './tensor-io';

export { GRPCInferenceServiceService };

const SERVER_NAME = 'cxr-vit';
/** KServe/Triton extension names this server implements. */
const EXTENSIONS = ['model_configuration', 'statistics'];
const OUTPUT_LOGITS = 'logits';
const OUTPUT_PROBABILITIES = 'probabilities';

/**
 * KServe v2 / Open Inference Protocol front end over the same runtime as cxr.v1. Inputs: one
 * tensor per request, either FP32 pixels [N,3,S,S] (already preprocessed) or BYTES [N] (or
 * [N,1]) holding encoded images (DICOM/PNG/JPEG), which go through the model's preprocessing.
 * Outputs: `logits` and `probabilities` FP32 [N,C] (BYTES input: probabilities, and logits
 * recovered from them), always as raw_output_contents, as Triton answers.
 */
export function kserveInferenceService(ctx: ServiceContext, version: string): GRPCInferenceServiceServer {
  const S = 'inference.GRPCInferenceService';
  const engine = (): InferenceEngine => {
    const e = ctx.capabilities.inference;
    if (!e) throw unimplemented('KServe inference needs the inference runtime (src/runtime), which this server was started without');
    return e;
  };

  const infer = async (req: ModelInferRequest, deadline: number | undefined, signal: AbortSignal): Promise<ModelInferResponse> => {
    const e = engine();
    if (!req.modelName) throw invalidArgument('model_name is required', [{ field: 'model_name', description: 'empty' }]);
    if (req.inputs.length !== 1) throw invalidArgument(`expected exactly one input tensor, got ${req.inputs.length}`, [{ field: 'inputs', description: 'one input: FP32 pixels or BYTES images' }]);
    if (req.rawInputContents.length > 0 && req.rawInputContents.length !== req.inputs.length) {
      throw invalidArgument('raw_input_contents must have one entry per input', [{ field: 'raw_input_contents', description: 'count differs from inputs' }]);
    }
    const input = req.inputs[0]!;
    const raw = req.rawInputContents[0];
    const info = e.modelInfo(req.modelName, req.modelVersion || undefined);
    const C = info.labels.length;
    const wanted = req.outputs.length ? req.outputs.map((o) => o.name) : [OUTPUT_LOGITS, OUTPUT_PROBABILITIES];
    for (const w of wanted) {
      if (w !== OUTPUT_LOGITS && w !== OUTPUT_PROBABILITIES) throw invalidArgument(`unknown output ${JSON.stringify(w)}; outputs: ${OUTPUT_LOGITS}, ${OUTPUT_PROBABILITIES}`, [{ field: 'outputs', description: 'unknown output' }]);
    }
    let logits: Float32Array;
    let probabilities: Float32Array;
    let batch: number;
    let modelVersion: number;
    if (input.datatype === 'FP32') {
      const S = info.imageSize;
      const shape = input.shape;
      if (shape.length !== 4 || shape[1] !== 3 || shape[2] !== S || shape[3] !== S || !(shape[0]! >= 1)) {
        throw invalidArgument(`input ${input.name}: shape must be [N,3,${S},${S}], got [${shape.join(',')}]`, [{ field: 'inputs[0].shape', description: 'wrong shape' }]);
      }
      batch = shape[0]!;
      const pixels = readFp32(input, raw, 'inputs[0]');
      const r = await e.inferTensor(req.modelName, req.modelVersion || undefined, pixels, batch, { deadline, signal });
      ({ logits, probabilities } = r);
      modelVersion = r.modelVersion;
    } else if (input.datatype === 'BYTES') {
      const shape = input.shape;
      if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || !(shape[0]! >= 1)) {
        throw invalidArgument(`input ${input.name}: BYTES shape must be [N] or [N,1], got [${shape.join(',')}]`, [{ field: 'inputs[0].shape', description: 'wrong shape' }]);
      }
      const images = readBytes(input, raw, 'inputs[0]');
      batch = images.length;
      const preds = await Promise.all(
        images.map((data, i) =>
          e.predict(req.modelName, req.modelVersion || undefined, { data, mediaType: 'auto' }, { deadline, signal }).catch((err: unknown) => {
            const ce = CxrError.from(err);
            throw new CxrError(ce.code, `inputs[0][${i}]: ${ce.message}`, { cause: ce });
          }),
        ),
      );
      probabilities = new Float32Array(batch * C);
      logits = new Float32Array(batch * C);
      preds.forEach((p, i) => p.scores.forEach((s, j) => {
        probabilities[i * C + j] = s.probability;
        const q = Math.min(Math.max(s.probability, 1e-7), 1 - 1e-7);
        logits[i * C + j] = Math.log(q / (1 - q));
      }));
      modelVersion = preds[0]!.modelVersion;
    } else {
      throw invalidArgument(`input datatype ${input.datatype} is not supported: send FP32 pixels or BYTES images`, [{ field: 'inputs[0].datatype', description: 'FP32 or BYTES' }]);
    }
    const tensors = { [OUTPUT_LOGITS]: logits, [OUTPUT_PROBABILITIES]: probabilities };
    return {
      modelName: req.modelName,
      modelVersion: String(modelVersion),
      id: req.id,
      parameters: {},
      outputs: wanted.map((name) => ({ name, datatype: 'FP32', shape: [batch, C], parameters: {}, contents: undefined })),
      rawOutputContents: wanted.map((name) => fp32Bytes(tensors[name as keyof typeof tensors])),
    };
  };

  return {
    serverLive: unary(ctx, S, 'ServerLive', () => ({ live: true })),
    serverReady: unary(ctx, S, 'ServerReady', () => ({ ready: ctx.ready() && ctx.capabilities.inference !== undefined })),
    serverMetadata: unary(ctx, S, 'ServerMetadata', () => ({ name: SERVER_NAME, version, extensions: EXTENSIONS })),

    modelReady: unary(ctx, S, 'ModelReady', (req, _call, notes) => {
      notes.modelName = req.name;
      return { ready: engine().modelInfo(req.name, req.version || undefined).ready };
    }),

    modelMetadata: unary(ctx, S, 'ModelMetadata', (req, _call, notes) => {
      notes.modelName = req.name;
      const info = engine().modelInfo(req.name, req.version || undefined);
      const versions = ctx.store.models.get(req.name).versions.filter((v) => v.state === 'READY').map((v) => String(v.version));
      const C = info.labels.length;
      return {
        name: info.name,
        versions,
        platform: info.platform,
        inputs: info.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
        outputs: [
          { name: OUTPUT_LOGITS, datatype: 'FP32', shape: [-1, C] },
          { name: OUTPUT_PROBABILITIES, datatype: 'FP32', shape: [-1, C] },
        ],
      };
    }),

    modelConfig: unary(ctx, S, 'ModelConfig', (req, _call, notes) => {
      notes.modelName = req.name;
      const info = engine().modelInfo(req.name, req.version || undefined);
      const S = info.imageSize;
      const C = info.labels.length;
      return {
        config: {
          name: info.name,
          platform: info.platform,
          backend: 'onnxruntime',
          maxBatchSize: info.maxBatchSize,
          // With max_batch_size > 0, dims leave out the batch dimension (Triton's convention).
          input: info.inputs.map((t) => ({ name: t.name, dataType: DataType.TYPE_FP32, format: 2, dims: [3, S, S], optional: false })),
          output: [
            { name: OUTPUT_LOGITS, dataType: DataType.TYPE_FP32, dims: [C], labelFilename: '' },
            { name: OUTPUT_PROBABILITIES, dataType: DataType.TYPE_FP32, dims: [C], labelFilename: '' },
          ],
          instanceGroup: [{
            name: `${info.name}_0`, count: 1, gpus: [],
            kind: info.provider === 'cuda' ? ModelInstanceGroup_Kind.KIND_GPU : ModelInstanceGroup_Kind.KIND_CPU,
          }],
          defaultModelFilename: 'model.onnx',
          schedulingChoice: {
            $case: 'dynamicBatching',
            value: {
              preferredBatchSize: info.preferredBatchSizes,
              maxQueueDelayMicroseconds: Math.round(info.maxQueueDelayMs * 1000),
              preserveOrdering: false,
              defaultQueuePolicy: { timeoutAction: 0, defaultTimeoutMicroseconds: 0, allowTimeoutOverride: true, maxQueueSize: info.maxQueueSize },
            },
          },
          parameters: {
            labels: { stringValue: info.labels.join(',') },
            preprocessing: { stringValue: info.preprocessing },
          },
        },
      };
    }),

    modelInfer: unary(ctx, S, 'ModelInfer', async (req, call, notes) => {
      notes.modelName = req.modelName;
      const { signal, dispose } = abortOnCancel(call);
      try {
        const res = await infer(req, callDeadline(call), signal);
        notes.modelVersion = res.modelVersion;
        return res;
      } finally {
        dispose();
      }
    }),

    modelStreamInfer: bidiStream(ctx, S, 'ModelStreamInfer', async (call: ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>, notes) => {
      const { signal, dispose } = abortOnCancel(call);
      const deadline = callDeadline(call);
      const pending = new Set<Promise<void>>();
      let closeReading!: () => void;
      const reading = new Promise<void>((resolve) => (closeReading = resolve));
      call.on('data', (req: ModelInferRequest) => {
        notes.modelName ??= req.modelName;
        const p = infer(req, deadline, signal).then(
          (res) => { if (!signal.aborted) call.write({ errorMessage: '', inferResponse: res }); },
          (err: unknown) => {
            const ce = CxrError.from(err);
            if (!signal.aborted) call.write({ errorMessage: ce.code === 'INTERNAL' ? 'internal error' : `${ce.code}: ${ce.message}`, inferResponse: undefined });
          },
        ).finally(() => pending.delete(p));
        pending.add(p);
      });
      call.on('end', () => closeReading());
      call.on('error', () => closeReading());
      signal.addEventListener('abort', () => closeReading());
      try {
        await reading;
        await Promise.all(pending);
      } finally {
        dispose();
      }
    }),

    modelStatistics: unary(ctx, S, 'ModelStatistics', (req) => {
      if (req.name) ctx.store.models.get(req.name); // NOT_FOUND for an unknown model
      return { modelStats: engine().statistics(req.name || undefined, req.version || undefined) };
    }),
  };
}
