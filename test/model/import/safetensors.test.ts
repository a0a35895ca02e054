import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSafetensors, writeSafetensors } from '../../../src/model/import/safetensors';
import { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from '../../../src/model/import/tensor';
import { rejectsInvalid as rejects } from '../../helpers/assertions';

function sample(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([
    ['a', { shape: [2, 3], data: Float32Array.from([1, -2, 0.5, 3.25, -0.125, 1024]) }],
    ['b.c', { shape: [3], data: Float32Array.from([0.1, 0.2, -0.3]) }],
    ['scalar', { shape: [], data: Float32Array.from([7]) }],
  ]);
}

test('F32 round trip keeps names, order, shapes, values and metadata', () => {
  const bytes = writeSafetensors(sample(), { format: 'pt' });
  const { tensors, metadata } = readSafetensors(bytes);
  assert.deepEqual([...tensors.keys()], ['a', 'b.c', 'scalar']);
  for (const [k, t] of sample()) {
    assert.deepEqual(tensors.get(k)!.shape, t.shape);
    assert.deepEqual(tensors.get(k)!.data, t.data);
    assert.equal(tensors.get(k)!.sourceDtype, 'F32');
  }
  assert.deepEqual(metadata, { format: 'pt' });
  // header is 8-byte aligned as the reference writer pads it
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
});

test('F16 and BF16 files widen to float32 with the expected rounding', () => {
  for (const [dtype, enc, dec] of [['F16', f32ToF16, f16ToF32], ['BF16', f32ToBf16, bf16ToF32]] as const) {
    const { tensors } = readSafetensors(writeSafetensors(sample(), {}, dtype));
    for (const [k, t] of sample()) {
      const got = tensors.get(k)!;
      assert.equal(got.sourceDtype, dtype);
      for (let i = 0; i < t.data.length; i++) assert.equal(got.data[i], dec(enc(t.data[i]!)), `${dtype} ${k}[${i}]`);
    }
  }
  // IEEE binary16 spec values
  assert.equal(f32ToF16(1), 0x3c00);
  assert.equal(f32ToF16(-2), 0xc000);
  assert.equal(f32ToF16(65504), 0x7bff);
  assert.equal(f32ToF16(1e6), 0x7c00);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(bf16ToF32(0xc040), -3);
});

test('truncated files name the problem', () => {
  const bytes = writeSafetensors(sample());
  rejects(() => readSafetensors(bytes.subarray(0, 5)), /truncated.*header length/);
  rejects(() => readSafetensors(bytes.subarray(0, 20)), /truncated: header says/);
  rejects(() => readSafetensors(bytes.subarray(0, bytes.length - 3)), /truncated: tensor "scalar" ends at byte/);
});

function withHeader(header: unknown, dataLen: number): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('corrupt headers are INVALID_ARGUMENT naming the tensor and problem', () => {
  rejects(() => readSafetensors(withHeader('x', 0)), /not a JSON object/);
  const bad = Buffer.from(withHeader({}, 0)); bad[8] = 0x7b; bad[9] = 0x7b;
  rejects(() => readSafetensors(bad), /not valid JSON/);
  const huge = new Uint8Array(16); new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
  rejects(() => readSafetensors(huge), /exceeds/);
  rejects(() => readSafetensors(withHeader({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, 4)), /"w" has unsupported dtype "Q4"/);
  rejects(() => readSafetensors(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4)), /"w" has an invalid shape/);
  rejects(() => readSafetensors(withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4)), /"w" F32\[2\] needs 8 bytes but data_offsets span 4/);
  rejects(() => readSafetensors(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4)), /"w" has invalid data_offsets/);
  rejects(() => readSafetensors(withHeader({
    w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, v: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
  }, 8)), /"v" overlaps/);
  rejects(() => readSafetensors(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)), /4 unreferenced bytes before tensor "w"/);
  rejects(() => readSafetensors(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12)), /8 trailing bytes/);
  rejects(() => readSafetensors(withHeader({ __metadata__: { a: 1 } }, 0)), /__metadata__\.a is not a string/);
});
