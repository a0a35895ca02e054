import { invalidArgument } from '../errors/cxr-error';

/** Element types the graph builder emits. Names follow onnxruntime-node's tensor type names. */
export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

/** TensorProto.DataType codes (onnx.proto). */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  float64: 8,
};

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

/**
 * Little-endian raw bytes of `values` as `dtype` (the TensorProto raw_data layout).
 * Accepts plain numbers so that callers can write constants without picking a typed array.
 */
export function toRawBytes(values: ArrayLike<number> | ArrayLike<bigint>, dtype: DType): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number | bigint;
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, Number(v), true); break;
      case 'float64': view.setFloat64(i * 8, Number(v), true); break;
      case 'float16': view.setUint16(i * 2, float32ToFloat16Bits(Number(v)), true); break;
      case 'int64': view.setBigInt64(i * 8, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))), true); break;
      case 'int32': view.setInt32(i * 4, Number(v), true); break;
      case 'uint8': case 'bool': view.setUint8(i, Number(v)); break;
    }
  }
  return out;
}

/** Reads raw little-endian bytes back to numbers (constant values inspected by gradient rules). */
export function fromRawBytes(raw: Uint8Array, dtype: DType): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / DTYPE_BYTES[dtype];
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'float32': out[i] = view.getFloat32(i * 4, true); break;
      case 'float64': out[i] = view.getFloat64(i * 8, true); break;
      case 'float16': out[i] = float16BitsToNumber(view.getUint16(i * 2, true)); break;
      case 'int64': out[i] = Number(view.getBigInt64(i * 8, true)); break;
      case 'int32': out[i] = view.getInt32(i * 4, true); break;
      case 'uint8': case 'bool': out[i] = view.getUint8(i); break;
    }
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from a number, round-to-nearest-even, overflow to infinity (as numpy's astype). */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function assertDType(d: string): DType {
  if (!(d in ONNX_DTYPE)) throw invalidArgument(`unsupported element type '${d}'`);
  return d as DType;
}
