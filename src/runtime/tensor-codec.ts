import { endianness } from 'node:os';
import { invalidArgument } from '../errors/cxr-error';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * A client's preprocessed tensor: float32 [3,S,S] little endian. Copied (protobuf bytes are
 * seldom 4-byte aligned) and checked: a wrong length or a NaN/Inf would otherwise give a
 * plausible-looking but meaningless answer.
 */
export function tensorFromBytes(data: Uint8Array, imageSize: number, field: string): Float32Array {
  const n = 3 * imageSize * imageSize;
  if (data.byteLength !== n * 4) {
    throw invalidArgument(`tensor has ${data.byteLength} bytes, expected float32 [3,${imageSize},${imageSize}] = ${n * 4} bytes`, [
      { field, description: `must be ${n * 4} bytes of little-endian float32` },
    ]);
  }
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(data);
  else {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  checkFinite(out, field);
  return out;
}

export function checkFinite(x: Float32Array, field: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw invalidArgument(`tensor value ${i} is ${x[i]}, not a finite number`, [{ field, description: 'every value must be finite' }]);
    }
  }
}

/** Elementwise logistic function, written to stay exact for large |x| in both directions. */
export function sigmoid(logits: Float32Array): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!;
    if (x >= 0) out[i] = 1 / (1 + Math.exp(-x));
    else {
      const e = Math.exp(x);
      out[i] = e / (1 + e);
    }
  }
  return out;
}
