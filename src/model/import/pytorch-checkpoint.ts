/**
 * PyTorch zip checkpoints (.pth/.pt written by torch.save since 1.6): a stored zip whose entries sit
 * under one archive folder: `<archive>/data.pkl` (the pickled object, storages replaced by
 * persistent ids), `<archive>/data/<key>` (raw storage bytes), `<archive>/byteorder` ("little" or
 * "big"; absent in old files, meaning native = little on every machine that matters) and
 * `<archive>/version`. See torch/serialization.py `_save` / `_load`.
 */
import { unzipSync } from 'fflate';
import { CxrError, invalidArgument } from '../../errors/cxr-error';
import { DTYPE_SIZE, Tensor, TensorMap, decodeToF32, numel } from './tensor';
import { PyDict, TensorRef, isTensorRef, unpickle } from './torch-pickle';

export interface TorchCheckpoint {
  /** The state dict found in the file (see findStateDict), keys as stored. */
  tensors: TensorMap;
  /** Path of the state dict inside the pickled object, e.g. "" (top level) or "model". */
  stateDictPath: string;
  archiveName: string;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

/** Container keys under which training scripts nest the weights ({'model': sd, 'optimizer': ..., 'epoch': ...}). */
const NESTED_KEYS = ['state_dict', 'model', 'model_state_dict', 'module', 'net', 'network', 'teacher'];

export function readTorchCheckpoint(bytes: Uint8Array, what = 'PyTorch checkpoint'): TorchCheckpoint {
  if (!isZip(bytes)) {
    throw invalidArgument(`${what} is not a zip archive: legacy (pre-1.6) torch.save files are not supported; re-save it with a current torch.save`);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw invalidArgument(`${what} is a corrupt or truncated zip archive: ${(e as Error).message}`);
  }
  const names = Object.keys(files);
  const pkl = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    if (names.some((n) => /^[^/]+\/constants\.pkl$/.test(n))) throw invalidArgument(`${what} is a TorchScript archive, not a state dict; export the model's state_dict() instead`);
    throw invalidArgument(`${what} has ${pkl.length} <archive>/data.pkl records (expected exactly one)`);
  }
  const archive = pkl[0]!.slice(0, pkl[0]!.indexOf('/'));
  const byteorderRec = files[`${archive}/byteorder`];
  const byteorder = byteorderRec ? Buffer.from(byteorderRec).toString('latin1') : 'little';
  if (byteorder !== 'little' && byteorder !== 'big') throw invalidArgument(`${what} has an unknown byteorder record ${JSON.stringify(byteorder.slice(0, 20))}`);

  let root: unknown;
  try {
    root = unpickle(files[pkl[0]!]!);
  } catch (e) {
    if (e instanceof CxrError) throw e;
    throw invalidArgument(`${what}: data.pkl could not be read: ${(e as Error).message}`);
  }
  const found = findStateDict(root);
  if (!found) throw invalidArgument(`${what} holds no dict of tensors (looked at the top level and under ${NESTED_KEYS.join(', ')})`);

  const tensors: TensorMap = new Map();
  for (const [k, v] of found.dict) {
    if (!isTensorRef(v)) continue; // non-tensor entries of a state dict (rare: extra_state) carry no weights
    tensors.set(String(k), materialise(String(k), v, files, archive, byteorder === 'little', what));
  }
  return { tensors, stateDictPath: found.path, archiveName: archive };
}

function tensorCount(d: PyDict): number {
  let n = 0;
  for (const v of d.values()) if (isTensorRef(v)) n++;
  return n;
}

/** The top-level dict if it is mostly tensors, else the first nested container key that is. */
export function findStateDict(root: unknown): { dict: PyDict; path: string } | undefined {
  if (!(root instanceof Map)) return undefined;
  const d = root as PyDict;
  if (tensorCount(d) > 0 && tensorCount(d) >= d.size / 2) return { dict: d, path: '' };
  for (const k of NESTED_KEYS) {
    const v = d.get(k);
    if (v instanceof Map) {
      const inner = findStateDict(v);
      if (inner) return { dict: inner.dict, path: inner.path ? `${k}.${inner.path}` : k };
    }
  }
  return undefined;
}

function materialise(
  name: string, ref: TensorRef, files: Record<string, Uint8Array>, archive: string, littleEndian: boolean, what: string,
): Tensor {
  const { storage, offset, size, stride } = ref;
  const rec = files[`${archive}/data/${storage.key}`];
  if (!rec) throw invalidArgument(`${what}: tensor "${name}" refers to storage data/${storage.key}, which is missing from the archive`);
  const el = DTYPE_SIZE[storage.dtype]!;
  if (rec.length !== storage.numel * el) {
    throw invalidArgument(`${what}: storage data/${storage.key} has ${rec.length} bytes, expected ${storage.numel} x ${el} (truncated or corrupt)`);
  }
  const n = numel(size);
  if (n === 0) return { shape: size, data: new Float32Array(0), sourceDtype: storage.dtype };
  let last = offset;
  for (let i = 0; i < size.length; i++) last += (size[i]! - 1) * stride[i]!;
  if (last >= storage.numel) {
    throw invalidArgument(`${what}: tensor "${name}" (offset ${offset}, size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)}) reaches past its storage of ${storage.numel} elements`);
  }
  const whole = decodeToF32(rec, 0, storage.numel, storage.dtype, littleEndian);
  if (isContiguous(size, stride)) return { shape: size, data: whole.slice(offset, offset + n), sourceDtype: storage.dtype };
  // Views saved as-is (e.g. a slice of a fused weight, a transpose) keep their storage; gather them.
  const out = new Float32Array(n);
  const idx = new Array<number>(size.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = offset;
    for (let d = 0; d < size.length; d++) src += idx[d]! * stride[d]!;
    out[i] = whole[src]!;
    for (let d = size.length - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape: size, data: out, sourceDtype: storage.dtype };
}

function isContiguous(size: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d]! !== 1 && stride[d]! !== expect) return false;
    expect *= size[d]!;
  }
  return true;
}
