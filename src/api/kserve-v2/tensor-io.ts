import { invalidArgument } from '../../errors/cxr-error';
import type { ModelInferRequest_InferInputTensor } from '../generated/inference/grpc_predict_v2';

/**
 * Reading KServe v2 input tensors: FP32 from raw_input_contents (little endian, row-major) or
 * InferTensorContents.fp32_contents; BYTES from bytes_contents or Triton's raw form (each element
 * a 4-byte little-endian length then its bytes).
 */
export function readFp32(input: ModelInferRequest_InferInputTensor, raw: Uint8Array | undefined, field: string): Float32Array {
  const expected = input.shape.reduce((a, b) => a * b, 1);
  let out: Float32Array;
  if (raw !== undefined) {
    if (raw.byteLength !== expected * 4) {
      throw invalidArgument(`${field}: raw content has ${raw.byteLength} bytes, shape [${input.shape.join(',')}] FP32 needs ${expected * 4}`, [{ field, description: 'size does not match shape' }]);
    }
    out = new Float32Array(expected);
    new Uint8Array(out.buffer).set(raw);
  } else {
    const vals = input.contents?.fp32Contents ?? [];
    if (vals.length !== expected) {
      throw invalidArgument(`${field}: ${vals.length} fp32_contents values, shape [${input.shape.join(',')}] needs ${expected}`, [{ field, description: 'size does not match shape' }]);
    }
    out = Float32Array.from(vals);
  }
  return out;
}

export function readBytes(input: ModelInferRequest_InferInputTensor, raw: Uint8Array | undefined, field: string): Uint8Array[] {
  const expected = input.shape.reduce((a, b) => a * b, 1);
  let items: Uint8Array[];
  if (raw !== undefined) {
    items = [];
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    let o = 0;
    while (o < raw.byteLength) {
      if (o + 4 > raw.byteLength) throw invalidArgument(`${field}: raw BYTES content ends inside a length prefix`, [{ field, description: 'truncated' }]);
      const n = view.getUint32(o, true);
      o += 4;
      if (o + n > raw.byteLength) throw invalidArgument(`${field}: raw BYTES element ${items.length} runs past the end`, [{ field, description: 'truncated' }]);
      items.push(raw.subarray(o, o + n));
      o += n;
    }
  } else {
    items = input.contents?.bytesContents ?? [];
  }
  if (items.length !== expected) {
    throw invalidArgument(`${field}: ${items.length} BYTES elements, shape [${input.shape.join(',')}] needs ${expected}`, [{ field, description: 'size does not match shape' }]);
  }
  return items;
}

/** A view of the floats' bytes (no copy), little endian as the host and the protocol are. */
export function fp32Bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
