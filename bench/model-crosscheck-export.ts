// Writes a tiny ViT (random weights), its ONNX graphs, pixels, our ORT logits and our float64
// reference logits, plus check.py, into a folder. check.py (needs torch, timm, transformers,
// onnxruntime) rebuilds the same model in timm VisionTransformer and in HF Dinov2Model and compares:
// it is the check of our ViT semantics against the upstream implementations themselves.
// Usage: node --import tsx bench/model-crosscheck-export.ts <dir>; then python3 <dir>/check.py
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { seededUniform } from '../src/graph/gradient-check';
import { referenceForward } from '../src/model/reference-forward';
import { parameterShapes, vitPreset } from '../src/model/vit-description';
import { AttentionForm, buildInferenceModel } from '../src/model/vit-graph';

const dir = process.argv[2] ?? 'tmp/crosscheck';
mkdirSync(dir, { recursive: true });
const desc = vitPreset('vit-tiny-test', 3, { imageSize: 32, patchSize: 8, width: 64, heads: 4, mlpRatio: 4, depth: 2 });
const shapes = parameterShapes(desc);
const weights = new Map<string, Float32Array>();
let k = 0;
const manifest: { name: string; shape: number[]; offset: number }[] = [];
let offset = 0;
for (const [name, shape] of shapes) {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = seededUniform(n, 500 + k++, -1, 1);
  const fan = shape.length >= 2 ? n / shape[0]! : 1;
  const a = Float32Array.from(u, (v) => (name.includes('norm') && name.endsWith('weight') ? 1 + 0.3 * v : name.endsWith('gamma') ? 0.5 + 0.4 * v : name.endsWith('weight') ? (1.5 * v) / Math.sqrt(fan) : 0.3 * v));
  weights.set(name, a);
  manifest.push({ name, shape, offset });
  offset += a.byteLength;
}
const blob = new Uint8Array(offset);
for (const m of manifest) blob.set(new Uint8Array(weights.get(m.name)!.buffer), m.offset);
writeFileSync(join(dir, 'weights.bin'), blob);
const batch = 2;
const S = desc.imageSize;
const pixels = Float32Array.from(seededUniform(batch * 3 * S * S, 99, 0, 1));
writeFileSync(join(dir, 'pixels.bin'), new Uint8Array(pixels.buffer));
writeFileSync(join(dir, 'reference.bin'), new Uint8Array(referenceForward(desc, weights, pixels, batch).buffer));
(async () => {
  const forms: AttentionForm[] = ['plain', 'fused', 'fused-mha', 'onnx-attention'];
  for (const form of forms) {
    const bytes = buildInferenceModel(desc, weights, { attention: form });
    writeFileSync(join(dir, `model-${form}.onnx`), bytes);
    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({ pixels: new ort.Tensor('float32', pixels, [batch, 3, S, S]) });
    writeFileSync(join(dir, `ours-${form}.bin`), new Uint8Array((out['logits']!.data as Float32Array).buffer));
  }
  writeFileSync(join(dir, 'model-fp16.onnx'), buildInferenceModel(desc, weights, { attention: 'fused', dtype: 'float16' }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ desc, batch, manifest, forms }, null, 1));
  writeFileSync(join(dir, 'check.py'), pyScript());
  console.log(`wrote ${dir}`);
})();

function pyScript(): string {
  return String.raw`
import json, os, sys, numpy as np, torch
d = os.path.dirname(os.path.abspath(__file__))
cfg = json.load(open(os.path.join(d, 'config.json')))
desc, B = cfg['desc'], cfg['batch']
blob = open(os.path.join(d, 'weights.bin'), 'rb').read()
W = {m['name']: torch.from_numpy(np.frombuffer(blob, np.float32, int(np.prod(m['shape'])), m['offset']).reshape(m['shape']).copy()).double() for m in cfg['manifest']}
S, D, L, C = desc['imageSize'], desc['width'], desc['depth'], desc['numLabels']
px = torch.from_numpy(np.fromfile(os.path.join(d, 'pixels.bin'), np.float32).reshape(B, 3, S, S)).double()
ref = np.fromfile(os.path.join(d, 'reference.bin'), np.float64).reshape(B, C)
res = {}
import timm
from timm.models.vision_transformer import VisionTransformer
m = VisionTransformer(img_size=S, patch_size=desc['patchSize'], embed_dim=D, depth=L, num_heads=desc['heads'], mlp_ratio=desc['mlpRatio'], qkv_bias=True, init_values=1.0, num_classes=C, global_pool='token').double().eval()
sd = {'patch_embed.proj.weight': W['patch_embed.weight'], 'patch_embed.proj.bias': W['patch_embed.bias'], 'cls_token': W['cls_token'], 'pos_embed': W['pos_embed'], 'norm.weight': W['norm.weight'], 'norm.bias': W['norm.bias'], 'head.weight': W['head.weight'], 'head.bias': W['head.bias']}
for i in range(L):
    p = f'blocks.{i}.'
    for n in ['norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'attn.proj.weight', 'attn.proj.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias', 'ls1.gamma', 'ls2.gamma']:
        sd[p + n] = W[p + n]
    sd[p + 'attn.qkv.weight'] = torch.cat([W[p + 'attn.q.weight'], W[p + 'attn.k.weight'], W[p + 'attn.v.weight']], 0)
    sd[p + 'attn.qkv.bias'] = torch.cat([W[p + 'attn.q.bias'], W[p + 'attn.k.bias'], W[p + 'attn.v.bias']], 0)
missing = m.load_state_dict(sd, strict=True)
with torch.no_grad():
    timm_out = m(px).numpy()
res['timm_vs_reference_maxabs'] = float(np.abs(timm_out - ref).max())
from transformers import Dinov2Config, Dinov2Model
hc = Dinov2Config(hidden_size=D, num_hidden_layers=L, num_attention_heads=desc['heads'], mlp_ratio=desc['mlpRatio'], image_size=S, patch_size=desc['patchSize'], layerscale_value=1.0, layer_norm_eps=desc['layerNormEps'], hidden_act='gelu', qkv_bias=True)
hm = Dinov2Model(hc).double().eval()
hsd = {'embeddings.cls_token': W['cls_token'], 'embeddings.position_embeddings': W['pos_embed'], 'embeddings.patch_embeddings.projection.weight': W['patch_embed.weight'], 'embeddings.patch_embeddings.projection.bias': W['patch_embed.bias'], 'layernorm.weight': W['norm.weight'], 'layernorm.bias': W['norm.bias'], 'embeddings.mask_token': torch.zeros(1, D, dtype=torch.float64)}
for i in range(L):
    p, q = f'blocks.{i}.', f'encoder.layer.{i}.'
    for a, b in [('norm1', 'norm1'), ('norm2', 'norm2'), ('attn.q', 'attention.attention.query'), ('attn.k', 'attention.attention.key'), ('attn.v', 'attention.attention.value'), ('attn.proj', 'attention.output.dense'), ('mlp.fc1', 'mlp.fc1'), ('mlp.fc2', 'mlp.fc2')]:
        hsd[q + b + '.weight'] = W[p + a + '.weight']; hsd[q + b + '.bias'] = W[p + a + '.bias']
    hsd[q + 'layer_scale1.lambda1'] = W[p + 'ls1.gamma']; hsd[q + 'layer_scale2.lambda1'] = W[p + 'ls2.gamma']
hm.load_state_dict(hsd, strict=True)
with torch.no_grad():
    h = hm(pixel_values=px).last_hidden_state[:, 0]
    hf_out = (h @ W['head.weight'].T + W['head.bias']).numpy()
res['hf_dinov2_vs_reference_maxabs'] = float(np.abs(hf_out - ref).max())
import onnxruntime as ort
res['onnxruntime_python'] = ort.__version__
for f in cfg['forms']:
    ours = np.fromfile(os.path.join(d, f'ours-{f}.bin'), np.float32).reshape(B, C)
    res[f'ours_node_{f}_vs_timm_maxabs'] = float(np.abs(ours - timm_out).max())
    s = ort.InferenceSession(os.path.join(d, f'model-{f}.onnx'), providers=['CPUExecutionProvider'])
    y = s.run(['logits'], {'pixels': px.float().numpy()})[0]
    res[f'ort_python_{f}_vs_timm_maxabs'] = float(np.abs(y - timm_out).max())
s = ort.InferenceSession(os.path.join(d, 'model-fp16.onnx'), providers=['CPUExecutionProvider'])
y = s.run(['logits'], {'pixels': px.float().numpy()})[0]
res['fp16_fused_cpu_vs_timm_maxabs'] = float(np.abs(y - timm_out).max())
res['logit_scale_maxabs'] = float(np.abs(timm_out).max())
print(json.dumps(res, indent=1))
`;
}
