/**
 * The in-memory form every checkpoint reader produces: a float32 tensor with a PyTorch-style
 * (row-major, contiguous) shape, plus the dtype it was stored as (kept for provenance and for
 * messages). Readers widen F16/BF16/F64 and small integer types to float32 on the way in, so the
 * mapping and interpolation code only ever sees one element type.
 */
export interface Tensor {
  shape: number[];
  data: Float32Array;
  /** dtype in the file, safetensors spelling: F32, F16, BF16, F64, I64, ... */
  sourceDtype: string;
}

/** name -> tensor, in file order (Map keeps insertion order, which messages and writers rely on). */
export type TensorMap = Map<string, Tensor>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEquals(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function tensor(shape: number[], data: Float32Array, sourceDtype = 'F32'): Tensor {
  return { shape, data, sourceDtype };
}

// IEEE half conversions live with the graph's dtypes; the importer uses the same code.
import { float16BitsToNumber as f16ToF32, float32ToFloat16Bits as f32ToF16 } from '../../graph/dtype';

export { f16ToF32, f32ToF16 };

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function bf16ToF32(b: number): number {
  u32buf[0] = b << 16;
  return f32buf[0]!;
}

/** float -> bfloat16, round to nearest even (as torch's .bfloat16()). */
export function f32ToBf16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return (x >>> 16) | 0x40;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Element sizes of the dtypes the readers accept. */
export const DTYPE_SIZE: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/**
 * Decodes `count` elements of `dtype` starting at byte `offset` of `bytes` into float32.
 * `littleEndian` false byte-swaps (PyTorch checkpoints written on big-endian hosts).
 */
export function decodeToF32(
  bytes: Uint8Array, offset: number, count: number, dtype: string, littleEndian = true,
): Float32Array {
  if (dtype === 'F32' && littleEndian && HOST_LE) {
    // ViT-B is 86M floats: one memcpy instead of 86M DataView reads.
    const copy = new Uint8Array(count * 4);
    copy.set(bytes.subarray(offset, offset + count * 4));
    return new Float32Array(copy.buffer);
  }
  const out = new Float32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, count * (DTYPE_SIZE[dtype] ?? 0));
  const le = littleEndian;
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, le); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, le); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = f16ToF32(dv.getUint16(i * 2, le)); break;
    case 'BF16': for (let i = 0; i < count; i++) out[i] = bf16ToF32(dv.getUint16(i * 2, le)); break;
    case 'I64': for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, le)); break;
    case 'I32': for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, le); break;
    case 'I16': for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, le); break;
    case 'I8': for (let i = 0; i < count; i++) out[i] = dv.getInt8(i); break;
    case 'U8': case 'BOOL': for (let i = 0; i < count; i++) out[i] = dv.getUint8(i); break;
    default: throw new Error(`unsupported dtype ${dtype}`);
  }
  return out;
}

export function isFloatDtype(dtype: string): boolean {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64';
}
