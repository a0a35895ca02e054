/**
 * A restricted pickle virtual machine for PyTorch state dicts.
 *
 * Pickle is a program: GLOBAL names any importable callable and REDUCE calls it, which is how a
 * malicious .pth runs code. This VM implements the data opcodes of protocols 2-5 and resolves
 * GLOBAL against a fixed table of the few names torch.save emits for state dicts of tensors
 * (torch/_utils.py rebuild functions, torch.*Storage dtype tags, collections.OrderedDict). Any
 * other global is refused with INVALID_ARGUMENT naming it; nothing is ever imported or executed,
 * and the "calls" below are plain record constructors.
 */
import { invalidArgument } from '../../errors/cxr-error';

/** A reference to a storage record: torch.save's persistent id ('storage', type, key, location, numel). */
export interface StorageRef {
  kind: 'storage';
  dtype: string;
  key: string;
  location: string;
  numel: number;
}

/** What torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) describes. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

/** A Python dict / OrderedDict. Keys are str or int in every state dict we accept. */
export type PyDict = Map<string | number, unknown>;

class GlobalRef {
  constructor(readonly qualified: string) {}
}

const MARK = Symbol('mark');

/** torch.<X>Storage -> safetensors dtype spelling (torch/storage.py _dtype_to_storage_type_map). */
const STORAGE_DTYPES: Readonly<Record<string, string>> = {
  'torch.FloatStorage': 'F32', 'torch.DoubleStorage': 'F64', 'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16', 'torch.LongStorage': 'I64', 'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16', 'torch.CharStorage': 'I8', 'torch.ByteStorage': 'U8', 'torch.BoolStorage': 'BOOL',
};

const CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

function isAllowedGlobal(q: string): boolean {
  return CALLABLES.has(q) || q in STORAGE_DTYPES;
}

function bad(msg: string): Error {
  return invalidArgument(`PyTorch checkpoint: ${msg}`);
}

function asIntList(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) throw bad(`${what} is not a tuple of non-negative integers`);
  return v as number[];
}

function call(fn: GlobalRef, args: unknown): unknown {
  if (!Array.isArray(args)) throw bad(`arguments of ${fn.qualified} are not a tuple`);
  switch (fn.qualified) {
    case 'collections.OrderedDict':
      if (args.length !== 0) throw bad('OrderedDict with constructor arguments is not supported');
      return new Map();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (!isStorageRef(storage)) throw bad(`${fn.qualified} got something other than a storage`);
      if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw bad('tensor storage offset is not a non-negative integer');
      const sz = asIntList(size, 'tensor size');
      const st = asIntList(stride, 'tensor stride');
      if (sz.length !== st.length) throw bad(`tensor size ${JSON.stringify(sz)} and stride ${JSON.stringify(st)} differ in rank`);
      return { kind: 'tensor', storage, offset: offset as number, size: sz, stride: st } satisfies TensorRef;
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      if (!isTensorRef(args[0])) throw bad(`${fn.qualified} got something other than a tensor`);
      return args[0];
    default:
      throw bad(`"${fn.qualified}" cannot be called (it only tags storage dtypes)`);
  }
}

export function isStorageRef(v: unknown): v is StorageRef {
  return typeof v === 'object' && v !== null && (v as StorageRef).kind === 'storage';
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor';
}

function persistentLoad(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw bad(`unsupported persistent id ${JSON.stringify(pid)?.slice(0, 80)}`);
  const [, type, key, location, n] = pid;
  if (!(type instanceof GlobalRef) || !(type.qualified in STORAGE_DTYPES)) throw bad('persistent id does not name a torch storage type');
  if (typeof key !== 'string' || !/^[A-Za-z0-9_]+$/.test(key)) throw bad(`invalid storage key ${JSON.stringify(key)}`);
  if (!Number.isSafeInteger(n) || (n as number) < 0) throw bad(`storage ${key} has an invalid element count`);
  return { kind: 'storage', dtype: STORAGE_DTYPES[type.qualified]!, key, location: String(location), numel: n as number };
}

/** Runs the pickle in `data` and returns its top-level object (dicts as Map, tuples/lists as arrays). */
export function unpickle(data: Uint8Array): unknown {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number): void => {
    if (n < 0 || pos + n > data.length) throw bad(`pickle is truncated at byte ${pos} (needs ${n} more bytes)`);
  };
  const u8 = (): number => { need(1); return data[pos++]!; };
  const u16 = (): number => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const bytesOf = (n: number): Uint8Array => { need(n); const b = data.subarray(pos, pos + n); pos += n; return b; };
  const utf8 = (n: number): string => Buffer.from(bytesOf(n)).toString('utf8');
  const latin1 = (n: number): string => Buffer.from(bytesOf(n)).toString('latin1');
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw bad('pickle is truncated inside a GLOBAL name');
    const s = Buffer.from(data.subarray(pos, end)).toString('utf8');
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]!)) throw bad(`pickle stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw bad(`pickle stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw bad(`pickle MARK missing at byte ${pos}`);
    return stack.splice(m);
  };
  const global = (q: string): GlobalRef => {
    if (!isAllowedGlobal(q)) {
      throw invalidArgument(`PyTorch checkpoint references "${q}", which is not allowed: only state dicts of tensors are read and nothing in a checkpoint is executed`);
    }
    return new GlobalRef(q);
  };
  const dictOf = (v: unknown, op: string): PyDict => {
    if (!(v instanceof Map)) throw bad(`${op} on something other than a dict`);
    return v as PyDict;
  };
  const key = (k: unknown): string | number => {
    if (typeof k !== 'string' && typeof k !== 'number') throw bad('dict key is neither str nor int');
    return k;
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) throw bad(`pickle memo ${i} is not defined`);
    return memo.get(i);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: bytesOf(8); break; // FRAME: framing is irrelevant when the whole pickle is in memory
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) throw bad('pickle ended with an unbalanced stack');
        return stack[0];
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { // DICT
        const items = popMark();
        const d: PyDict = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x58: stack.push(utf8(u32())); break; // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x8d: { need(8); const n = Number(dv.getBigUint64(pos, true)); pos += 8; stack.push(utf8(n)); break; } // BINUNICODE8
      case 0x55: stack.push(latin1(u8())); break; // SHORT_BINSTRING (py2 str)
      case 0x54: stack.push(latin1(u32())); break; // BINSTRING
      case 0x43: stack.push(bytesOf(u8())); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytesOf(u32())); break; // BINBYTES
      case 0x4a: { need(4); stack.push(dv.getInt32(pos, true)); pos += 4; break; } // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: case 0x8b: { // LONG1 / LONG4: little-endian two's complement
        const n = op === 0x8a ? u8() : u32();
        const b = bytesOf(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw bad(`integer ${v} is out of range`);
        stack.push(Number(v));
        break;
      }
      case 0x47: { need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x63: { const mod = line(); const name = line(); stack.push(global(`${mod}.${name}`)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(); const mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') throw bad('STACK_GLOBAL operands are not strings');
        stack.push(global(`${mod}.${name}`));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(); const fn = pop();
        if (!(fn instanceof GlobalRef)) throw bad(`REDUCE on a non-callable at byte ${at}`);
        stack.push(call(fn, args));
        break;
      }
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      case 0x62: { // BUILD: only the OrderedDict._metadata of state dicts (module versions) gets here; it is dropped
        const state = pop(); const obj = top();
        if (!(obj instanceof Map) || !(state instanceof Map || state === null || Array.isArray(state))) {
          throw bad(`BUILD (setting object state) is only supported on dicts, at byte ${at}`);
        }
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); dictOf(top(), 'SETITEM').set(key(k), v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = dictOf(top(), 'SETITEMS');
        for (let i = 0; i + 1 < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
        break;
      }
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) throw bad('APPEND on a non-list'); l.push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l)) throw bad('APPENDS on a non-list'); l.push(...items); break; } // APPENDS
      default:
        throw bad(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} (only state dicts of tensors are read)`);
    }
  }
}
