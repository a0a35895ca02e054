import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openStore, Store } from '../../../src/store/store';
import { importModel, ImportModelRequest } from '../../../src/model/import/import-model';
import { readSafetensors, writeSafetensors } from '../../../src/model/import/safetensors';
import { referenceForward } from '../../../src/model/reference-forward';
import { VIT_PRESETS, vitPreset, VitDescription } from '../../../src/model/vit-description';
import { buildInferenceModel } from '../../../src/model/vit-graph';
import { seededUniform } from '../../../src/model/import/head-init';
import { CxrError } from '../../../src/errors/cxr-error';
import type { PosEmbedConvention } from '../../../src/model/import/interpolate-pos-embed';
import type { TensorMap } from '../../../src/model/import/tensor';
import { canonicalWeights, toFamily, TINY, TinyGeometry, Family } from './vit-checkpoints';
import { saveStateDict, torchSave } from './torch-save-writer';
import { reference } from './bicubic-reference';

const LABELS = ['Cardiomegaly', 'Effusion', 'Pneumothorax'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cxr-import-'));
}

function plain(m: TensorMap): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([...m].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
}

async function ortLogits(path: string, desc: VitDescription, pixels: Float32Array, batch: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
  try {
    const S = desc.imageSize;
    const out = await s.run({ pixels: new ort.Tensor('float32', pixels, [batch, 3, S, S]) });
    return out.logits!.data as Float32Array;
  } finally {
    await s.release();
  }
}

function pixelsFor(desc: VitDescription, batch: number): Float32Array {
  const u = seededUniform(99);
  return Float32Array.from({ length: batch * 3 * desc.imageSize ** 2 }, () => u());
}

/** The canonical weights the import must produce: the source backbone, pos_embed resampled by the independent reference. */
function expectedBackbone(c: TensorMap, g: TinyGeometry, targetGrid: number, conv: PosEmbedConvention): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of c) if (!k.startsWith('head.')) out.set(k, t.data);
  if (g.grid !== targetGrid) {
    const D = g.width;
    const pos = c.get('pos_embed')!.data;
    const grid = reference(Float64Array.from(pos.subarray(D)), g.grid, targetGrid, D, conv);
    const p = new Float32Array((1 + targetGrid ** 2) * D);
    p.set(pos.subarray(0, D));
    p.set(Float32Array.from(grid), D);
    out.set('pos_embed', p);
  }
  return out;
}

interface Case {
  name: string;
  family: Family;
  format: 'safetensors' | 'pytorch';
  geometry: TinyGeometry;
  preset: 'vit-tiny-test' | 'vit-tiny-reg-test';
  conv: PosEmbedConvention;
  prefix?: string;
  wrap?: string;
  keepHead?: boolean;
  initKind: string;
  /** the preset without LayerScale (timm ViTs have none) */
  noLayerScale?: boolean;
}

const REG: TinyGeometry = { width: 12, depth: 2, patchSize: 4, mlpHidden: 24, registers: 2, layerScale: false, grid: 3, classes: 0 };

const CASES: Case[] = [
  // HF facebook/dinov2-base layout, checkpoint grid 6 -> model grid 4 (like 37 -> 16), HF resize-to-size rule
  { name: 'HF DINOv2 safetensors + interpolation', family: 'hf-dinov2', format: 'safetensors', geometry: { ...TINY, grid: 6 }, preset: 'vit-tiny-test', conv: 'hf', initKind: 'dinov2' },
  // Dinov2ForImageClassification: "dinov2." prefix, classifier [C, 2D] outside it (dropped for a new label set)
  { name: 'HF DINOv2 with dinov2. prefix', family: 'hf-dinov2', format: 'safetensors', geometry: TINY, preset: 'vit-tiny-test', conv: 'hf', prefix: 'dinov2.', initKind: 'dinov2' },
  // torch hub dinov2_vitb14 .pth: fused qkv, ls gamma, mask_token, scale-factor interpolation
  { name: 'torch hub DINOv2 .pth + interpolation', family: 'dinov2-hub', format: 'pytorch', geometry: { ...TINY, grid: 6 }, preset: 'vit-tiny-test', conv: 'dinov2-hub', initKind: 'dinov2' },
  { name: 'torch hub DINOv2-reg .pth (registers, mean pooling preset)', family: 'dinov2-hub', format: 'pytorch', geometry: REG, preset: 'vit-tiny-reg-test', conv: 'dinov2-hub', initKind: 'dinov2' },
  // timm vit_base_patch16_224.augreg_in21k safetensors (no LayerScale), with head kept for an aligned label set
  { name: 'timm ViT safetensors, head kept', family: 'timm-vit', format: 'safetensors', geometry: { ...TINY, layerScale: false, classes: 3 }, preset: 'vit-tiny-test', noLayerScale: true, conv: 'timm', keepHead: true, initKind: 'imagenet21k' },
  // the study's fine-tuned .pth: timm names nested under 'model' with a DDP "module." prefix, grid 5 -> 4 (antialiased)
  { name: 'study fine-tuned .pth {model: module.*} + timm interpolation', family: 'timm-vit', format: 'pytorch', geometry: { ...TINY, layerScale: false, classes: 3, grid: 5 }, preset: 'vit-tiny-test', noLayerScale: true, conv: 'timm', prefix: 'module.', wrap: 'model', keepHead: true, initKind: 'mimic-cxr' },
];

for (const c of CASES) {
  test(`import: ${c.name} -> ORT output matches the float64 reference forward`, async () => {
    const dir = tmp();
    const store = openStore(join(dir, 'data'));
    try {
      const canon = canonicalWeights(c.geometry, 7);
      const fam = toFamily(canon, c.geometry, c.family, { prefix: c.prefix });
      if (c.prefix === 'dinov2.') {
        fam.set('classifier.weight', { shape: [5, 2 * c.geometry.width], data: new Float32Array(10 * c.geometry.width), sourceDtype: 'F32' });
        fam.set('classifier.bias', { shape: [5], data: new Float32Array(5), sourceDtype: 'F32' });
      }
      const file = join(dir, c.format === 'safetensors' ? 'model.safetensors' : 'model.pth');
      writeFileSync(file, c.format === 'safetensors' ? writeSafetensors(plain(fam)) : saveStateDict(plain(fam), { wrap: c.wrap, archive: 'model' }));
      const req: ImportModelRequest = {
        modelName: 'tiny', source: { path: file }, labels: LABELS, architecture: c.noLayerScale ? { ...VIT_PRESETS[c.preset], layerScale: false } : c.preset, keepHead: c.keepHead,
        initKind: c.initKind === 'mimic-cxr' ? 'mimic-cxr' : undefined, seed: 3,
      };
      const v = await importModel(req, { store });
      assert.equal(v.state, 'READY');
      const desc = vitPreset(c.preset, LABELS.length, c.noLayerScale ? { layerScale: false } : {});
      assert.deepEqual(v.architecture, desc);
      assert.equal(v.provenance.initKind, c.initKind);
      assert.equal(v.provenance.checkpointFormat, `${c.format}/${c.family}`);
      assert.equal(v.provenance.sha256.length, 64);
      assert.equal(v.provenance.headKept, !!c.keepHead);
      const grid = desc.imageSize / desc.patchSize;
      if (c.geometry.grid !== grid) assert.match(v.provenance.posEmbedInterpolation, new RegExp(`^${c.conv}: `));
      else assert.match(v.provenance.posEmbedInterpolation, /^none/);

      const stored = readSafetensors(readFileSync(join(v.dir, v.files.weights!))).tensors;
      const want = expectedBackbone(canon, c.geometry, grid, c.conv);
      for (const [k, w] of want) {
        const got = stored.get(k)!.data;
        const tol = k === 'pos_embed' && c.geometry.grid !== grid ? 2e-6 : 0;
        let max = 0;
        for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(got[i]! - w[i]!));
        assert.ok(max <= tol, `${k}: max diff ${max}`);
      }
      if (c.keepHead) {
        assert.deepEqual(stored.get('head.weight')!.data, canon.get('head.weight')!.data);
        want.set('head.weight', canon.get('head.weight')!.data);
        want.set('head.bias', canon.get('head.bias')!.data);
      } else {
        const hb = stored.get('head.bias')!.data;
        assert.ok(hb.every((x) => x === 0), 'trunc-normal scheme: zero bias');
        want.set('head.weight', stored.get('head.weight')!.data);
        want.set('head.bias', hb);
      }
      const batch = 2;
      const pixels = pixelsFor(desc, batch);
      const ref = referenceForward(desc, want, pixels, batch);
      const got = await ortLogits(join(v.dir, v.files.graph), desc, pixels, batch);
      let max = 0;
      for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(got[i]! - ref[i]!));
      assert.ok(max < 1e-4, `ORT vs reference max abs diff ${max}`);
      assert.ok(readdirSync(join(dir, 'data', 'staging')).length === 0, 'staging emptied');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('import: canonical weights written by the service re-import identically; ONNX files are kept as they are', async () => {
  const dir = tmp();
  const store = openStore(join(dir, 'data'));
  try {
    const canon = canonicalWeights(TINY, 11);
    const file = join(dir, 'hub.pth');
    writeFileSync(file, saveStateDict(plain(toFamily(canon, TINY, 'dinov2-hub')), { dtype: 'BF16' }));
    const v1 = await importModel({ modelName: 'base', source: { path: file }, labels: LABELS, architecture: 'vit-tiny-test', fp16Graph: true }, { store });
    assert.ok(v1.files.graphFp16);
    const weightsPath = join(v1.dir, v1.files.weights!);
    // The stored weights carry their description: no architecture needed on re-import.
    const v2 = await importModel({ modelName: 'again', source: { path: weightsPath }, labels: LABELS, keepHead: true }, { store });
    assert.equal(v2.provenance.checkpointFormat, 'safetensors/canonical');
    assert.equal(v2.provenance.initKind, 'dinov2');
    assert.deepEqual(v2.architecture, v1.architecture);
    assert.deepEqual(readSafetensors(readFileSync(join(v2.dir, v2.files.weights!))).tensors, readSafetensors(readFileSync(weightsPath)).tensors);

    const desc = vitPreset('vit-tiny-test', 3);
    const onnx = join(dir, 'exported.onnx');
    writeFileSync(onnx, buildInferenceModel(desc, new Map([...readSafetensors(readFileSync(weightsPath)).tensors].map(([k, t]) => [k, t.data])), { attention: 'fused' }));
    const v3 = await importModel({ modelName: 'opaque', source: { path: onnx }, labels: LABELS }, { store });
    assert.equal(v3.architecture, null);
    assert.equal(v3.provenance.initKind, 'onnx');
    assert.equal(v3.imageSize, 16);
    assert.equal(v3.usableAsInit, false);
    assert.deepEqual(readFileSync(join(v3.dir, v3.files.graph)), readFileSync(onnx));
    await assert.rejects(importModel({ modelName: 'opaque2', source: { path: onnx }, labels: ['a', 'b'] }, { store }), /outputs 3 logits but 2 labels/);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import: corrupt, truncated, wrong-shape, unknown and unsafe checkpoints fail with INVALID_ARGUMENT and leave nothing behind', async () => {
  const dir = tmp();
  const store = openStore(join(dir, 'data'));
  try {
    const canon = canonicalWeights(TINY, 5);
    const hf = toFamily(canon, TINY, 'hf-dinov2');
    const good = writeSafetensors(plain(hf));
    const pth = saveStateDict(plain(toFamily(canon, TINY, 'dinov2-hub')));
    const wrongShape = new Map(plain(hf)); wrongShape.set('encoder.layer.1.mlp.fc1.weight', { shape: [31, 16], data: new Float32Array(31 * 16) });
    const unknown = new Map(plain(hf)); unknown.set('encoder.layer.0.attention.attention.rotary.weight', { shape: [2], data: new Float32Array(2) });
    const missing = new Map(plain(hf)); missing.delete('encoder.layer.1.attention.output.dense.bias');
    const evil = new Uint8Array(Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cposix\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1')]));
    const cases: [string, Uint8Array, RegExp, Partial<ImportModelRequest>?][] = [
      ['truncated.safetensors', good.subarray(0, good.length - 100), /truncated/],
      ['garbage.bin', new Uint8Array(64).fill(7), /cannot tell the checkpoint format/],
      ['truncated.pth', pth.subarray(0, pth.length - 50), /corrupt or truncated zip/],
      ['shape.safetensors', writeSafetensors(wrongShape), /"encoder\.layer\.1\.mlp\.fc1\.weight" has shape \[31,16\], expected \[32,16\]/],
      ['unknown.safetensors', writeSafetensors(unknown), /"encoder\.layer\.0\.attention\.attention\.rotary\.weight" has no counterpart/],
      ['missing.safetensors', writeSafetensors(missing), /no tensor for "blocks\.1\.attn\.proj\.bias"/],
      ['evil.pth', torchSave(new Map(), {}, { pickleOverride: evil }), /"posix\.system", which is not allowed/],
      ['arch.safetensors', good, /does not match the target architecture: it has width 16 \(description 384\)/, { architecture: 'vit-s16' }],
      ['nohead.safetensors', good, /no classification head/, { keepHead: true }],
      ['bad.onnx', Uint8Array.from([0x08, 0x07, 0x3a, 0x05, 0x0a]), /truncated protobuf|not an ONNX ModelProto/],
    ];
    for (const [name, bytes, pattern, extra] of cases) {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      await assert.rejects(importModel({ modelName: 'm', source: { path: f }, labels: LABELS, architecture: 'vit-tiny-test', ...extra }, { store }), (e: unknown) => {
        assert.ok(e instanceof CxrError, `${name}: ${String(e)}`);
        assert.equal(e.code, 'INVALID_ARGUMENT', `${name}: ${e.message}`);
        assert.match(e.message, pattern, name);
        return true;
      });
    }
    await assert.rejects(importModel({ modelName: 'm', source: { path: join(dir, 'nope.pth') }, labels: LABELS }, { store }), /cannot be read/);
    await assert.rejects(importModel({ modelName: '../x', source: { path: join(dir, 'nope.pth') }, labels: LABELS }, { store }), /model name/);
    assert.deepEqual(store.models.list(), [], 'no rows');
    assert.deepEqual(readdirSync(join(dir, 'data', 'models')), [], 'no model files');
    assert.deepEqual(readdirSync(join(dir, 'data', 'staging')), [], 'no staging leftovers');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

export type { Store };
