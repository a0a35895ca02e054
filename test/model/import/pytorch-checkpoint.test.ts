import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { unzipSync } from 'fflate';
import { readTorchCheckpoint } from '../../../src/model/import/pytorch-checkpoint';
import { unpickle } from '../../../src/model/import/torch-pickle';
import { rejectsInvalid as rejects } from '../../helpers/assertions';
import { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from '../../../src/model/import/tensor';
import { PyValue, saveStateDict, storedZip, torchSave } from './torch-save-writer';

function sd(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([
    ['blocks.0.attn.qkv.weight', { shape: [6, 2], data: Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2) }],
    ['blocks.0.attn.qkv.bias', { shape: [6], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ['cls_token', { shape: [1, 1, 2], data: Float32Array.from([0.25, -0.75]) }],
  ]);
}

test('torch.save layout: archive folder, 64-byte aligned records, version, byteorder', () => {
  const bytes = saveStateDict(sd(), { archive: 'dinov2_vitb14_pretrain' });
  const files = unzipSync(bytes);
  assert.deepEqual(Object.keys(files), [
    'dinov2_vitb14_pretrain/data.pkl', 'dinov2_vitb14_pretrain/byteorder', 'dinov2_vitb14_pretrain/data/0',
    'dinov2_vitb14_pretrain/data/1', 'dinov2_vitb14_pretrain/data/2', 'dinov2_vitb14_pretrain/version',
    'dinov2_vitb14_pretrain/.data/serialization_id',
  ]);
  assert.equal(Buffer.from(files['dinov2_vitb14_pretrain/version']!).toString(), '3\n');
  // each record's data starts at a multiple of 64 (PyTorchStreamWriter alignment)
  const data0 = Buffer.from(bytes).indexOf(Buffer.from(files['dinov2_vitb14_pretrain/data/0']!));
  assert.equal(data0 % 64, 0);
});

test('state dicts round-trip in every dtype, byte order, zip64 and nesting', () => {
  const cases: [string, Parameters<typeof saveStateDict>[1], (x: number) => number][] = [
    ['f32', {}, (x) => x],
    ['f16', { dtype: 'F16' }, (x) => f16ToF32(f32ToF16(x))],
    ['bf16', { dtype: 'BF16' }, (x) => bf16ToF32(f32ToBf16(x))],
    ['big-endian', { byteorder: 'big' }, (x) => x],
    ['no byteorder record', { byteorder: null }, (x) => x],
    ['zip64', { zip64: true }, (x) => x],
    ['nested under "model"', { wrap: 'model' }, (x) => x],
    ['nested under "state_dict"', { wrap: 'state_dict' }, (x) => x],
  ];
  for (const [name, opts, round] of cases) {
    const ck = readTorchCheckpoint(saveStateDict(sd(), opts));
    assert.deepEqual([...ck.tensors.keys()], [...sd().keys()], name);
    for (const [k, t] of sd()) {
      const got = ck.tensors.get(k)!;
      assert.deepEqual(got.shape, t.shape, `${name} ${k}`);
      assert.deepEqual([...got.data], [...t.data].map(round), `${name} ${k}`);
    }
    assert.equal(ck.stateDictPath, opts?.wrap ?? '', name);
  }
});

test('views into shared storages (offset, transposed strides) are gathered', () => {
  const base = Float32Array.from({ length: 12 }, (_, i) => i);
  const bytes = torchSave(new Map<string, PyValue>([['base', { tensor: 'base' }], ['t', { tensor: 't' }], ['row', { tensor: 'row' }]]), {
    base: { shape: [3, 4], data: base },
    t: { shape: [4, 3], data: base, view: { storageOf: 'base', offset: 0, stride: [1, 4] } },
    row: { shape: [4], data: base, view: { storageOf: 'base', offset: 8, stride: [1] } },
  });
  const ck = readTorchCheckpoint(bytes);
  assert.equal(Object.keys(unzipSync(bytes)).filter((n) => n.includes('/data/')).length, 1, 'one shared storage');
  assert.deepEqual([...ck.tensors.get('t')!.data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual([...ck.tensors.get('row')!.data], [8, 9, 10, 11]);
});

test('code-executing globals are refused by name, nothing runs', () => {
  // c os\nsystem\n (S'echo pwned' tR. : the classic malicious pickle, protocol 2 framing
  const evil = Uint8Array.from([0x80, 0x02, ...Buffer.from('cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.', 'latin1')]);
  rejects(() => unpickle(evil), /references "os\.system", which is not allowed/);
  const inZip = torchSave(new Map(), {}, { pickleOverride: evil });
  rejects(() => readTorchCheckpoint(inZip), /"os\.system"/);
  const builtins = Uint8Array.from([0x80, 0x02, ...Buffer.from('cbuiltins\neval\n.', 'latin1')]);
  rejects(() => unpickle(builtins), /"builtins\.eval"/);
  // STACK_GLOBAL (protocol 4) goes through the same check
  const stackGlobal = Uint8Array.from([0x80, 0x04, 0x8c, 0x05, ...Buffer.from('posix'), 0x8c, 0x06, ...Buffer.from('system'), 0x93, 0x2e]);
  rejects(() => unpickle(stackGlobal), /"posix\.system"/);
  // allowed names may not be abused: a storage type is not callable
  const callStorage = Uint8Array.from([0x80, 0x02, ...Buffer.from('ctorch\nFloatStorage\n)R.', 'latin1')]);
  rejects(() => unpickle(callStorage), /cannot be called/);
});

test('corrupt, truncated and foreign files are INVALID_ARGUMENT naming the problem', () => {
  const good = saveStateDict(sd());
  rejects(() => readTorchCheckpoint(good.subarray(0, good.length - 30)), /corrupt or truncated zip/);
  rejects(() => readTorchCheckpoint(Uint8Array.from([0x80, 0x02, 0x8a, 0x0a])), /not a zip archive: legacy/);
  const files = unzipSync(good);
  const drop = (name: string): [string, Uint8Array][] => Object.entries(files).filter(([n]) => n !== name);
  rejects(() => readTorchCheckpoint(storedZip(drop('archive/data/1'), false)), /"blocks\.0\.attn\.qkv\.bias" refers to storage data\/1, which is missing/);
  const short = Object.entries(files).map(([n, d]) => [n, n === 'archive/data/0' ? d.subarray(0, 20) : d] as [string, Uint8Array]);
  rejects(() => readTorchCheckpoint(storedZip(short, false)), /storage data\/0 has 20 bytes, expected 12 x 4/);
  const pkl = files['archive/data.pkl']!;
  const cut = Object.entries(files).map(([n, d]) => [n, n === 'archive/data.pkl' ? d.subarray(0, pkl.length - 40) : d] as [string, Uint8Array]);
  rejects(() => readTorchCheckpoint(storedZip(cut, false)), /pickle is truncated|stack underflow|MARK missing|unbalanced/);
  rejects(() => readTorchCheckpoint(storedZip([['m/constants.pkl', new Uint8Array(1)], ['m/code/x.py', new Uint8Array(1)]], false)), /TorchScript archive/);
  rejects(() => readTorchCheckpoint(torchSave(new Map<string, PyValue>([['epoch', 3]]), {})), /holds no dict of tensors/);
  const odd = Object.entries(files).map(([n, d]) => [n, n === 'archive/byteorder' ? Buffer.from('middle') : d] as [string, Uint8Array]);
  rejects(() => readTorchCheckpoint(storedZip(odd, false)), /unknown byteorder record "middle"/);
});

const hasPython = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;

// Python's own pickler writes the pickle, using stand-ins for torch's classes registered under
// the same module names: what torch.save emits differs only in the storage bytes.
const PY_FAKE_TORCH = `
import sys, types, pickle, collections, io, base64, json
torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils; torch._utils = utils
class FloatStorage: pass
class HalfStorage: pass
FloatStorage.__module__ = HalfStorage.__module__ = 'torch'
torch.FloatStorage = FloatStorage; torch.HalfStorage = HalfStorage
def _rebuild_tensor_v2(*a): return ('T',) + a
_rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
def _rebuild_parameter(*a): return ('P',) + a
_rebuild_parameter.__module__ = 'torch._utils'; utils._rebuild_parameter = _rebuild_parameter
class S:
    def __init__(s, key, n, t): s.key, s.n, s.t = key, n, t
class T:
    def __init__(s, st, off, size, stride): s.a = (st, off, size, stride, False, collections.OrderedDict())
    def __reduce_ex__(s, p): return (_rebuild_tensor_v2, s.a)
class Param:
    def __init__(s, t): s.t = t
    def __reduce_ex__(s, p): return (_rebuild_parameter, (s.t, True, collections.OrderedDict()))
def pid(o):
    if isinstance(o, S): return ('storage', o.t, o.key, 'cpu', o.n)
    return None
s0 = S('0', 6, FloatStorage); s1 = S('1', 3, HalfStorage)
sd = collections.OrderedDict()
sd['w'] = T(s0, 0, (2, 3), (3, 1))
sd['wt'] = T(s0, 0, (3, 2), (1, 3))
sd['h'] = Param(T(s1, 1, (2,), (1,)))
sd._metadata = collections.OrderedDict([('', {'version': 1}), ('w', {'version': 2})])
ck = {'model': sd, 'epoch': 12, 'args': {'lr': 1e-5, 'name': 'vit'}, 'best': [0.5, 0.25]}
for proto in (2, 4):
    b = io.BytesIO(); p = pickle.Pickler(b, protocol=proto); p.persistent_id = pid; p.dump(ck)
    print(base64.b64encode(b.getvalue()).decode())
`;

test('reads pickles written by Python\'s own pickler (protocols 2 and 4)', { skip: hasPython ? false : 'python3 not available: cross-check against Python\'s pickler skipped' }, () => {
  const r = spawnSync('python3', ['-c', PY_FAKE_TORCH], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  const s0 = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  const s1 = new Uint8Array(3 * 2);
  new DataView(s1.buffer).setUint16(2, f32ToF16(0.5), true);
  new DataView(s1.buffer).setUint16(4, f32ToF16(-1.5), true);
  for (const line of lines) {
    const pkl = Buffer.from(line, 'base64');
    const zip = storedZip([['ck/data.pkl', pkl], ['ck/byteorder', Buffer.from('little')], ['ck/data/0', s0], ['ck/data/1', s1]], false);
    const ck = readTorchCheckpoint(zip);
    assert.equal(ck.stateDictPath, 'model');
    assert.deepEqual([...ck.tensors.keys()], ['w', 'wt', 'h']);
    assert.deepEqual([...ck.tensors.get('w')!.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...ck.tensors.get('wt')!.data], [1, 4, 2, 5, 3, 6]);
    assert.deepEqual([...ck.tensors.get('h')!.data], [0.5, -1.5]);
    assert.equal(ck.tensors.get('h')!.sourceDtype, 'F16');
  }
});

// The reverse: Python's unpickler, restricted to the same names, reads what the test writer emits.
const PY_READ = `
import sys, pickle, io, json, base64, zipfile, collections
class R(pickle.Unpickler):
    def find_class(self, mod, name):
        q = mod + '.' + name
        if q == 'torch._utils._rebuild_tensor_v2': return lambda st, off, size, stride, rg, hooks: {'storage': st, 'offset': off, 'size': list(size), 'stride': list(stride)}
        if q == 'collections.OrderedDict': return collections.OrderedDict
        if q in ('torch.FloatStorage', 'torch.HalfStorage', 'torch.BFloat16Storage'): return q
        raise pickle.UnpicklingError('forbidden ' + q)
    def persistent_load(self, pid): return list(pid)
z = zipfile.ZipFile(io.BytesIO(base64.b64decode(sys.stdin.read())))
assert z.testzip() is None
print(json.dumps(R(io.BytesIO(z.read('archive/data.pkl'))).load()))
`;

test('Python\'s unpickler and zipfile read the test writer\'s .pth (layout cross-check)', { skip: hasPython ? false : 'python3 not available: cross-check skipped' }, () => {
  for (const zip64 of [false, true]) {
    const bytes = saveStateDict(sd(), { dtype: 'F16', zip64 });
    const r = spawnSync('python3', ['-c', PY_READ], { input: Buffer.from(bytes).toString('base64'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const obj = JSON.parse(r.stdout) as Record<string, { storage: unknown[]; size: number[]; stride: number[] }>;
    assert.deepEqual(Object.keys(obj), [...sd().keys()]);
    assert.deepEqual(obj['blocks.0.attn.qkv.weight'], { storage: ['storage', 'torch.HalfStorage', '0', 'cpu', 12], offset: 0, size: [6, 2], stride: [2, 1] });
  }
});
