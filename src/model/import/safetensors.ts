/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}),
 * then the tensor bytes; offsets are relative to the end of the header. Following the reference
 * library, the tensors must tile the data section exactly (no holes, no overlaps, nothing after),
 * so a truncated or spliced file is caught here rather than as garbage weights later.
 */
import { invalidArgument } from '../../errors/cxr-error';
import { DTYPE_SIZE, Tensor, TensorMap, decodeToF32, f32ToBf16, f32ToF16, fmtShape, numel } from './tensor';

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The reference implementation refuses headers over 100 MB; so do we (a hostile length cannot make us allocate). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and validates the header only (cheap: used to identify a checkpoint before decoding it). */
export function readSafetensorsHeader(bytes: Uint8Array, what = 'safetensors file'): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) throw invalidArgument(`${what} is truncated: ${bytes.length} bytes, the 8-byte header length is missing`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw invalidArgument(`${what} header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw invalidArgument(`${what} is truncated: header says ${headerLen} bytes of JSON but only ${bytes.length - 8} follow`);
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    throw invalidArgument(`${what} header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw invalidArgument(`${what} header is not a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidArgument(`${what}: __metadata__ is not an object`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw invalidArgument(`${what}: __metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw invalidArgument(`${what}: tensor "${name}" has no descriptor object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_SIZE)) {
      throw invalidArgument(`${what}: tensor "${name}" has unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(DTYPE_SIZE).join(', ')})`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalidArgument(`${what}: tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
      throw invalidArgument(`${what}: tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const shape = e.shape as number[];
    const expected = numel(shape) * DTYPE_SIZE[e.dtype]!;
    if (off[1] - off[0] !== expected) {
      throw invalidArgument(`${what}: tensor "${name}" ${e.dtype}${fmtShape(shape)} needs ${expected} bytes but data_offsets span ${off[1] - off[0]}`);
    }
    if (off[1] > dataLen) {
      throw invalidArgument(`${what} is truncated: tensor "${name}" ends at byte ${off[1]} of the data section, which has ${dataLen} bytes`);
    }
    entries.push({ name, dtype: e.dtype, shape, begin: off[0], end: off[1] });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      throw invalidArgument(e.begin < pos
        ? `${what}: tensor "${e.name}" overlaps the previous tensor (starts at ${e.begin}, previous ends at ${pos})`
        : `${what}: ${e.begin - pos} unreferenced bytes before tensor "${e.name}"`);
    }
    pos = e.end;
  }
  if (pos !== dataLen) throw invalidArgument(`${what}: ${dataLen - pos} trailing bytes after the last tensor (corrupt or spliced file)`);
  return { entries, metadata, dataStart };
}

export function readSafetensors(bytes: Uint8Array, what = 'safetensors file'): SafetensorsFile {
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes, what);
  const tensors: TensorMap = new Map();
  for (const e of entries) {
    const data = decodeToF32(bytes, dataStart + e.begin, numel(e.shape), e.dtype);
    tensors.set(e.name, { shape: e.shape, data, sourceDtype: e.dtype });
  }
  return { tensors, metadata };
}

export type WriteDtype = 'F32' | 'F16' | 'BF16';

/**
 * Serialises float32 tensors (converted to `dtype`), in map order, 8-byte aligned header padded with
 * spaces as the reference writer does. Used to store imported weights and by tests to make fixtures.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, Pick<Tensor, 'shape' | 'data'>>,
  metadata: Record<string, string> = {},
  dtype: WriteDtype = 'F32',
): Uint8Array {
  const size = DTYPE_SIZE[dtype]!;
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numel(t.shape)) throw invalidArgument(`tensor "${name}" has ${t.data.length} values but shape ${fmtShape(t.shape)}`);
    const len = t.data.length * size;
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of tensors.values()) {
    const d = t.data;
    if (dtype === 'F32' && HOST_LE) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), p);
      p += d.byteLength;
    } else if (dtype === 'F32') {
      for (let i = 0; i < d.length; i++, p += 4) dv.setFloat32(p, d[i]!, true);
    } else {
      const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
      for (let i = 0; i < d.length; i++, p += 2) dv.setUint16(p, conv(d[i]!), true);
    }
  }
  return out;
}
