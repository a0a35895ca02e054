import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFamily, mapToCanonical } from '../../../src/model/import/name-mapping';
import type { TensorMap } from '../../../src/model/import/tensor';
import { canonicalWeights, toFamily, TINY } from './vit-checkpoints';

function rename(m: TensorMap, f: (k: string) => string): TensorMap {
  return new Map([...m].map(([k, v]) => [f(k), v]));
}

test('every family maps back to the canonical tensors bit for bit, with its own geometry', () => {
  const g = { ...TINY, registers: 3 };
  const canon = canonicalWeights(g, 2);
  for (const family of ['hf-dinov2', 'dinov2-hub', 'canonical'] as const) {
    const m = mapToCanonical(toFamily(canon, g, family));
    assert.equal(m.family, family);
    assert.deepEqual(m.geometry, { width: 16, depth: 2, patchSize: 4, mlpHidden: 32, registers: 3, layerScale: true, posGrid: 4 });
    assert.deepEqual([...m.tensors.keys()].sort(), [...canon.keys()].sort(), family);
    for (const [k, t] of canon) assert.deepEqual(m.tensors.get(k)!.data, t.data, `${family} ${k}`);
  }
  const timmG = { ...TINY, layerScale: false, classes: 4 };
  const timm = mapToCanonical(toFamily(canonicalWeights(timmG, 3), timmG, 'timm-vit'));
  assert.equal(timm.family, 'timm-vit');
  assert.equal(timm.head?.usable, true);
  assert.deepEqual(timm.head?.weight.shape, [4, 16]);
  assert.deepEqual(mapToCanonical(toFamily(canon, g, 'dinov2-hub')).dropped, ['mask_token']);
});

test('fused qkv splits into q, k, v in that order', () => {
  const canon = canonicalWeights(TINY, 9);
  const hub = toFamily(canon, TINY, 'dinov2-hub');
  const qkv = hub.get('blocks.1.attn.qkv.weight')!.data;
  const m = mapToCanonical(hub);
  const D = TINY.width;
  assert.deepEqual(m.tensors.get('blocks.1.attn.k.weight')!.data, qkv.slice(D * D, 2 * D * D));
  assert.deepEqual(m.tensors.get('blocks.1.attn.v.bias')!.data, canon.get('blocks.1.attn.v.bias')!.data);
});

test('prefixes, chunked blocks and family override', () => {
  const canon = canonicalWeights(TINY, 4);
  const hub = toFamily(canon, TINY, 'dinov2-hub');
  // block_chunks > 0 checkpoints name blocks.<chunk>.<index>
  const chunked = rename(hub, (k) => k.replace(/^blocks\.(\d+)\./, (_, i) => `blocks.0.${i}.`));
  assert.deepEqual(mapToCanonical(chunked).tensors.get('blocks.1.norm1.weight')!.data, canon.get('blocks.1.norm1.weight')!.data);
  assert.deepEqual(detectFamily(rename(hub, (k) => `module.${k}`).keys()), { family: 'dinov2-hub', prefix: 'module.' });
  // a dinov2-hub state dict without mask_token is detected as timm; the user can say otherwise
  const noMask = toFamily(canon, TINY, 'dinov2-hub', { maskToken: false });
  assert.equal(mapToCanonical(noMask).family, 'timm-vit');
  assert.equal(mapToCanonical(noMask, 'dinov2-hub').family, 'dinov2-hub');
  assert.throws(() => mapToCanonical(noMask, 'hf-dinov2'), /not in hf-dinov2 naming/);
});

test('unsupported variants are named', () => {
  const canon = canonicalWeights(TINY, 4);
  const hf = toFamily(canon, TINY, 'hf-dinov2');
  const vitModel = new Map(hf);
  vitModel.set('encoder.layer.0.intermediate.dense.weight', hf.get('encoder.layer.0.mlp.fc1.weight')!);
  assert.throws(() => mapToCanonical(vitModel), /HF ViTModel naming/);
  const swiglu = rename(hf, (k) => k.replace('encoder.layer.1.mlp.fc1', 'encoder.layer.1.mlp.weights_in'));
  assert.throws(() => mapToCanonical(swiglu), /"encoder\.layer\.1\.mlp\.weights_in\.weight" has no counterpart/);
  const timm = toFamily(canon, TINY, 'timm-vit');
  const noCls = new Map(timm);
  const pos = timm.get('pos_embed')!;
  noCls.set('pos_embed', { shape: [1, 16, 16], data: pos.data.slice(16), sourceDtype: 'F32' });
  assert.throws(() => mapToCanonical(noCls), /no_embed_class models are not supported/);
  const partialLs = new Map(timm);
  partialLs.delete('blocks.1.ls2.gamma');
  assert.throws(() => mapToCanonical(partialLs), /no tensor for "blocks\.1\.ls2\.gamma"/);
  assert.throws(() => mapToCanonical(new Map([['fc.weight', pos]])), /does not look like a ViT.*"fc\.weight"/);
});
