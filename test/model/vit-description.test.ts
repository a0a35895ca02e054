import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialWeights, parameterShapes, tokenCount, vitPreset } from '../../src/model/vit-description';

const count = (m: Map<string, number[]>): number => [...m.values()].reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);

test('ViT-B/16 has the parameter count of timm vit_base_patch16_224 (1000 classes)', () => {
  assert.equal(count(parameterShapes(vitPreset('vit-b16-in21k', 1000))), 86_567_656);
  assert.equal(tokenCount(vitPreset('vit-b16-in21k', 1)), 197);
});

test('DINOv2 ViT-B/14 at 224 px: 16x16 grid, LayerScale, position table for 257 tokens', () => {
  const d = vitPreset('dinov2-vitb14', 5);
  const s = parameterShapes(d);
  assert.deepEqual(s.get('pos_embed'), [1, 257, 768]);
  assert.deepEqual(s.get('patch_embed.weight'), [768, 3, 14, 14]);
  assert.deepEqual(s.get('blocks.11.ls2.gamma'), [768]);
  assert.deepEqual(s.get('head.weight'), [5, 768]);
  assert.equal(s.has('reg_tokens'), false);
  assert.deepEqual(parameterShapes(vitPreset('dinov2-vitb14-reg', 5)).get('reg_tokens'), [1, 4, 768]);
  assert.equal(d.layerNormEps, 1e-6);
});

test('initial weights: reference init, deterministic per seed', () => {
  const d = vitPreset('vit-tiny-test', 3);
  const a = initialWeights(d, 42);
  const b = initialWeights(d, 42);
  const c = initialWeights(d, 43);
  assert.deepEqual(a.get('blocks.0.attn.q.weight'), b.get('blocks.0.attn.q.weight'));
  assert.notDeepEqual(a.get('blocks.0.attn.q.weight'), c.get('blocks.0.attn.q.weight'));
  assert.ok(a.get('head.bias')!.every((v) => v === 0));
  assert.ok(a.get('blocks.1.ls1.gamma')!.every((v) => Math.abs(v - 1e-5) < 1e-12));
  assert.ok(a.get('norm.weight')!.every((v) => v === 1));
  const w = a.get('blocks.0.mlp.fc1.weight')!;
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(std > 0.013 && std < 0.022, `std ${std}`);
  assert.ok(w.every((v) => Math.abs(v) <= 0.04 + 1e-7));
});
