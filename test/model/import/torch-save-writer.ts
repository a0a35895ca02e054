/**
 * Test helper: writes .pth files byte-for-byte the way torch.save does (torch/serialization.py
 * `_save` with pickle protocol 2, PyTorchStreamWriter's zip layout from
 * caffe2/serialize/inline_container.cc): records under "<archive>/", stored (no compression), each
 * record's data aligned to 64 bytes with an "FB" padding extra field, records in the order
 * data.pkl, byteorder, data/0..n, version, .data/serialization_id. The pickle mirrors what the
 * Python pickler emits for an OrderedDict state dict: memoised strings and globals, REDUCE of
 * torch._utils._rebuild_tensor_v2 with a BINPERSID storage tuple, SETITEMS batches, then BUILD of
 * the `_metadata` attribute.
 */
import { f32ToBf16, f32ToF16 } from '../../../src/model/import/tensor';

export type TorchDtype = 'F32' | 'F16' | 'BF16';
const STORAGE: Record<TorchDtype, string> = { F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage' };
const SIZE: Record<TorchDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface TorchTensorSpec {
  shape: number[];
  data: Float32Array;
  dtype?: TorchDtype;
  /** Save as a view into a shared storage: storage index to share, element offset and strides. */
  view?: { storageOf: string; offset: number; stride: number[] };
}

/** A pickle-able value: tensors (by name in `tensors`), dicts (Map), lists, str, int, float, bool, null. */
export type PyValue = { tensor: string } | Map<string, PyValue> | PyValue[] | string | number | boolean | null | { global: string; args: PyValue[] };

class PickleWriter {
  private parts: number[] = [];
  private memo = new Map<string, number>();
  constructor(private protocol = 2) {
    this.byte(0x80, protocol);
  }
  byte(...b: number[]): void { this.parts.push(...b); }
  u32(n: number): void { this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff); }
  private extraMemo = 0;
  private memoIndex(): number { return this.memo.size + this.extraMemo; }
  private get(i: number): void { if (i < 256) this.byte(0x68, i); else { this.byte(0x6a); this.u32(i); } }
  str(s: string): void {
    const k = `s:${s}`;
    const m = this.memo.get(k);
    if (m !== undefined) return this.get(m);
    const b = Buffer.from(s, 'utf8');
    this.byte(0x58); this.u32(b.length); this.byte(...b);
    this.memo.set(k, this.memoIndex()); this.emitPut(this.memo.get(k)!);
  }
  private emitPut(i: number): void { if (i < 256) this.byte(0x71, i); else { this.byte(0x72); this.u32(i); } }
  global(mod: string, name: string): void {
    const k = `g:${mod}.${name}`;
    const m = this.memo.get(k);
    if (m !== undefined) return this.get(m);
    this.byte(0x63, ...Buffer.from(`${mod}\n${name}\n`, 'utf8'));
    this.memo.set(k, this.memoIndex()); this.emitPut(this.memo.get(k)!);
  }
  /** Memoise an anonymous object just built (tuples, REDUCE results), as the pickler does. */
  anon(): void { const i = this.memoIndex(); this.extraMemo++; this.emitPut(i); }
  int(n: number): void {
    if (n >= 0 && n <= 0xff) this.byte(0x4b, n);
    else if (n >= 0 && n <= 0xffff) this.byte(0x4d, n & 0xff, n >> 8);
    else if (n >= -(2 ** 31) && n < 2 ** 31) { this.byte(0x4a); this.u32(n >>> 0); }
    else {
      let v = BigInt(n); const out: number[] = [];
      while (v !== 0n && v !== -1n) { out.push(Number(v & 0xffn)); v >>= 8n; }
      if (out.length === 0 || (n >= 0 ? out[out.length - 1]! & 0x80 : !(out[out.length - 1]! & 0x80))) out.push(n >= 0 ? 0 : 0xff);
      this.byte(0x8a, out.length, ...out);
    }
  }
  float(x: number): void { const b = Buffer.alloc(8); b.writeDoubleBE(x); this.byte(0x47, ...b); }
  tuple(items: (() => void)[]): void {
    if (items.length === 0) { this.byte(0x29); return; }
    if (items.length <= 3) { items.forEach((f) => f()); this.byte([0x85, 0x86, 0x87][items.length - 1]!); this.anon(); return; }
    this.byte(0x28); items.forEach((f) => f()); this.byte(0x74); this.anon();
  }
  bytes(): Uint8Array { this.byte(0x2e); return Uint8Array.from(this.parts); }
}

interface Storage { key: string; dtype: TorchDtype; data: Float32Array }

/** Serialises `root` (usually a Map state dict) the way torch.save would. */
export function torchSave(
  root: PyValue,
  tensors: Record<string, TorchTensorSpec>,
  opts: { archive?: string; byteorder?: 'little' | 'big' | null; zip64?: boolean; metadata?: boolean; pickleOverride?: Uint8Array } = {},
): Uint8Array {
  const w = new PickleWriter(2);
  const storages = new Map<string, Storage>();
  const storageFor = (name: string, spec: TorchTensorSpec): Storage => {
    const owner = spec.view ? spec.view.storageOf : name;
    let s = storages.get(owner);
    if (!s) {
      const ownerSpec = tensors[owner]!;
      s = { key: String(storages.size), dtype: ownerSpec.dtype ?? 'F32', data: ownerSpec.data };
      storages.set(owner, s);
    }
    return s;
  };
  const emit = (v: PyValue): void => {
    if (v === null) { w.byte(0x4e); return; }
    if (typeof v === 'boolean') { w.byte(v ? 0x88 : 0x89); return; }
    if (typeof v === 'string') { w.str(v); return; }
    if (typeof v === 'number') { if (Number.isInteger(v)) w.int(v); else w.float(v); return; }
    if (Array.isArray(v)) {
      w.byte(0x5d); w.anon();
      if (v.length) { w.byte(0x28); v.forEach(emit); w.byte(0x65); }
      return;
    }
    if (v instanceof Map) {
      w.global('collections', 'OrderedDict'); w.byte(0x29, 0x52); w.anon();
      const entries = [...v.entries()];
      for (let i = 0; i < entries.length; i += 1000) {
        const batch = entries.slice(i, i + 1000);
        if (batch.length === 1) { emit(batch[0]![0]); emit(batch[0]![1]); w.byte(0x73); continue; }
        w.byte(0x28);
        for (const [k, x] of batch) { emit(k); emit(x); }
        w.byte(0x75);
      }
      if (opts.metadata !== false && entries.some(([, x]) => typeof x === 'object' && x !== null && 'tensor' in x)) {
        // state_dict()'s _metadata attribute: {'_metadata': OrderedDict([('', {'version': 1})])}
        w.byte(0x7d); w.anon(); w.str('_metadata');
        w.global('collections', 'OrderedDict'); w.byte(0x29, 0x52); w.anon();
        w.str(''); w.byte(0x7d); w.anon(); w.str('version'); w.int(1); w.byte(0x73); w.byte(0x73);
        w.byte(0x73); w.byte(0x62);
      }
      return;
    }
    if ('global' in v) {
      const dot = v.global.lastIndexOf('.');
      w.global(v.global.slice(0, dot), v.global.slice(dot + 1));
      w.tuple(v.args.map((a) => () => emit(a)));
      w.byte(0x52); w.anon();
      return;
    }
    const spec = tensors[v.tensor];
    if (!spec) throw new Error(`no tensor ${v.tensor}`);
    const s = storageFor(v.tensor, spec);
    const shape = spec.shape;
    const stride = spec.view?.stride ?? contiguousStride(shape);
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.byte(0x28); // args tuple
    w.byte(0x28); w.str('storage'); w.global('torch', STORAGE[s.dtype]); w.str(s.key); w.str('cpu'); w.int(s.data.length); w.byte(0x74); w.anon();
    w.byte(0x51);
    w.int(spec.view?.offset ?? 0);
    w.tuple(shape.map((d) => () => w.int(d)));
    w.tuple(stride.map((d) => () => w.int(d)));
    w.byte(0x89); // requires_grad False
    w.global('collections', 'OrderedDict'); w.byte(0x29, 0x52); w.anon();
    w.byte(0x74); w.anon();
    w.byte(0x52); w.anon();
  };
  emit(root);
  const pkl = opts.pickleOverride ?? w.bytes();
  const archive = opts.archive ?? 'archive';
  const byteorder = opts.byteorder === undefined ? 'little' : opts.byteorder;
  const records: [string, Uint8Array][] = [[`${archive}/data.pkl`, pkl]];
  if (byteorder) records.push([`${archive}/byteorder`, Buffer.from(byteorder)]);
  for (const s of [...storages.values()].sort((a, b) => Number(a.key) - Number(b.key))) {
    records.push([`${archive}/data/${s.key}`, encode(s.data, s.dtype, byteorder !== 'big')]);
  }
  records.push([`${archive}/version`, Buffer.from('3\n')]);
  records.push([`${archive}/.data/serialization_id`, Buffer.from('1234567890123456789012345678901234567890')]);
  return storedZip(records, opts.zip64 ?? false);
}

function contiguousStride(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

function encode(data: Float32Array, dtype: TorchDtype, le: boolean): Uint8Array {
  const out = new Uint8Array(data.length * SIZE[dtype]);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'F32') dv.setFloat32(i * 4, data[i]!, le);
    else dv.setUint16(i * 2, dtype === 'F16' ? f32ToF16(data[i]!) : f32ToBf16(data[i]!), le);
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; }
  return t;
})();
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A stored zip with 64-byte aligned record data (PyTorchStreamWriter's kFieldAlignment), optionally zip64 (miniz's WRITE_ZIP64). */
export function storedZip(records: [string, Uint8Array][], zip64: boolean): Uint8Array {
  const out: Buffer[] = [];
  let pos = 0;
  const central: Buffer[] = [];
  for (const [name, data] of records) {
    const nameB = Buffer.from(name, 'utf8');
    const z64extra = zip64 ? 20 : 0;
    const base = pos + 30 + nameB.length + z64extra + 4;
    const pad = (64 - (base % 64)) % 64;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(zip64 ? 45 : 20, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(0, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : data.length, 18); local.writeUInt32LE(zip64 ? 0xffffffff : data.length, 22);
    local.writeUInt16LE(nameB.length, 26); local.writeUInt16LE(z64extra + 4 + pad, 28);
    const extra = Buffer.alloc(z64extra + 4 + pad, 0x5a);
    let e = 0;
    if (zip64) { extra.writeUInt16LE(1, 0); extra.writeUInt16LE(16, 2); extra.writeBigUInt64LE(BigInt(data.length), 4); extra.writeBigUInt64LE(BigInt(data.length), 12); e = 20; }
    extra.write('FB', e, 'latin1'); extra.writeUInt16LE(pad, e + 2);
    const offset = pos;
    out.push(local, nameB, extra, Buffer.from(data));
    pos += 30 + nameB.length + extra.length + data.length;
    const cextra = zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (zip64) { cextra.writeUInt16LE(1, 0); cextra.writeUInt16LE(24, 2); cextra.writeBigUInt64LE(BigInt(data.length), 4); cextra.writeBigUInt64LE(BigInt(data.length), 12); cextra.writeBigUInt64LE(BigInt(offset), 20); }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(zip64 ? 45 : 20, 4); c.writeUInt16LE(zip64 ? 45 : 20, 6);
    c.writeUInt32LE(crc32(data), 16);
    c.writeUInt32LE(zip64 ? 0xffffffff : data.length, 20); c.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    c.writeUInt16LE(nameB.length, 28); c.writeUInt16LE(cextra.length, 30);
    c.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    central.push(c, nameB, cextra);
  }
  const cdStart = pos;
  const cd = Buffer.concat(central);
  out.push(cd);
  pos += cd.length;
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0); z.writeBigUInt64LE(44n, 4); z.writeUInt16LE(45, 12); z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(records.length), 24); z.writeBigUInt64LE(BigInt(records.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40); z.writeBigUInt64LE(BigInt(cdStart), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0); loc.writeBigUInt64LE(BigInt(pos), 8); loc.writeUInt32LE(1, 16);
    out.push(z, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : records.length, 8); eocd.writeUInt16LE(zip64 ? 0xffff : records.length, 10);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12); eocd.writeUInt32LE(zip64 ? 0xffffffff : cdStart, 16);
  out.push(eocd);
  return new Uint8Array(Buffer.concat(out));
}

/** Convenience: a flat state dict of contiguous tensors. */
export function saveStateDict(sd: Map<string, { shape: number[]; data: Float32Array }>, opts: Parameters<typeof torchSave>[2] & { dtype?: TorchDtype; wrap?: string } = {}): Uint8Array {
  const tensors: Record<string, TorchTensorSpec> = {};
  const root = new Map<string, PyValue>();
  for (const [k, t] of sd) { tensors[k] = { shape: t.shape, data: t.data, dtype: opts.dtype }; root.set(k, { tensor: k }); }
  const top: PyValue = opts.wrap ? new Map<string, PyValue>([[opts.wrap, root], ['epoch', 7], ['best_auc', 0.91]]) : root;
  return torchSave(top, tensors, opts);
}
