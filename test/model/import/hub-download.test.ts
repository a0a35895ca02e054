import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubDownload, hubUrl } from '../../../src/model/import/hub-download';
import { importModel } from '../../../src/model/import/import-model';
import { writeSafetensors } from '../../../src/model/import/safetensors';
import { openStore } from '../../../src/store/store';
import { CxrError } from '../../../src/errors/cxr-error';
import { canonicalWeights, toFamily, TINY } from './vit-checkpoints';

const weights = writeSafetensors(new Map([...toFamily(canonicalWeights(TINY, 4), TINY, 'hf-dinov2')].map(([k, t]) => [k, { shape: t.shape, data: t.data }])));
const sha = createHash('sha256').update(weights).digest('hex');

interface Hub { server: Server; endpoint: string; requests: string[]; auth: (string | undefined)[] }

/** A hub in Hugging Face's URL layout: /{repo}/resolve/{revision}/{file}, LFS files redirected to a CDN path. */
async function startHub(): Promise<Hub> {
  const requests: string[] = [];
  const auth: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url!);
    auth.push(req.headers.authorization);
    const url = req.url!;
    if (url === '/facebook/dinov2-base/resolve/main/model.safetensors') {
      res.writeHead(302, { location: '/cdn/blob/abc', 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(weights.length) });
      return res.end();
    }
    if (url === '/cdn/blob/abc') {
      res.writeHead(200, { 'content-length': weights.length, 'x-linked-etag': `"${sha}"` });
      return res.end(Buffer.from(weights));
    }
    if (url === '/org/truncated/resolve/main/model.safetensors') {
      res.writeHead(200, { 'content-length': weights.length });
      res.write(Buffer.from(weights.subarray(0, 1000)));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (url === '/org/corrupt/resolve/v1.0/model.safetensors') {
      res.writeHead(200, { 'content-length': weights.length, 'x-linked-etag': `"${'0'.repeat(64)}"` });
      return res.end(Buffer.from(weights));
    }
    if (url === '/org/gated/resolve/main/model.safetensors') { res.writeHead(401); return res.end(); }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Entry not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, auth };
}

async function code(p: Promise<unknown>, want: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CxrError, String(e));
    assert.equal(e.code, want, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('hub URLs follow the HF layout and reject path tricks', () => {
  assert.equal(hubUrl('https://huggingface.co', 'facebook/dinov2-base', 'main', 'model.safetensors'), 'https://huggingface.co/facebook/dinov2-base/resolve/main/model.safetensors');
  assert.equal(hubUrl('https://mirror.example/hf/', 'timm/vit_base_patch16_224.augreg_in21k', 'refs/pr/1', 'sub/model.safetensors'),
    'https://mirror.example/hf/timm/vit_base_patch16_224.augreg_in21k/resolve/refs%2Fpr%2F1/sub/model.safetensors');
  assert.throws(() => hubUrl('https://h', '../etc', 'main', 'x'), /not of the form owner\/name/);
  assert.throws(() => hubUrl('https://h', 'a/b', 'main', '../x'), /not a plain relative path/);
  assert.throws(() => hubUrl('file:///x', 'a/b', 'main', 'x'), /http\(s\)/);
});

test('downloads stream to a file with sha256 checked; 404, 401, truncation, corruption and size limit fail cleanly', async () => {
  const hub = await startHub();
  const dest = mkdtempSync(join(tmpdir(), 'cxr-hub-'));
  try {
    const r = await hubDownload({ repo: 'facebook/dinov2-base', filename: 'model.safetensors', endpoint: hub.endpoint, destDir: dest, token: 'secret' });
    assert.equal(r.sha256, sha);
    assert.equal(r.bytes, weights.length);
    assert.deepEqual(readFileSync(r.path), Buffer.from(weights));
    assert.deepEqual(hub.requests.slice(0, 2), ['/facebook/dinov2-base/resolve/main/model.safetensors', '/cdn/blob/abc']);
    assert.equal(hub.auth[0], 'Bearer secret');
    rmSync(r.path);

    await code(hubDownload({ repo: 'facebook/nope', filename: 'model.safetensors', endpoint: hub.endpoint, destDir: dest }), 'NOT_FOUND', /HTTP 404/);
    await code(hubDownload({ repo: 'org/gated', filename: 'model.safetensors', endpoint: hub.endpoint, destDir: dest }), 'PERMISSION_DENIED', /HF_TOKEN/);
    await code(hubDownload({ repo: 'org/truncated', filename: 'model.safetensors', endpoint: hub.endpoint, destDir: dest }), 'UNAVAILABLE', /broke off|truncated/);
    await code(hubDownload({ repo: 'org/corrupt', filename: 'model.safetensors', revision: 'v1.0', endpoint: hub.endpoint, destDir: dest }), 'DATA_LOSS', /differs from the hub/);
    await code(hubDownload({ repo: 'facebook/dinov2-base', filename: 'model.safetensors', endpoint: hub.endpoint, destDir: dest, maxBytes: 1000 }), 'RESOURCE_EXHAUSTED', /import limit/);
    assert.deepEqual(readdirSync(dest), [], 'no partial files');
  } finally {
    hub.server.close();
    rmSync(dest, { recursive: true, force: true });
  }
});

test('importModel with a hub source (HF_ENDPOINT honoured) registers a READY version; a failed download registers nothing', async () => {
  const hub = await startHub();
  const dir = mkdtempSync(join(tmpdir(), 'cxr-hub-import-'));
  const store = openStore(join(dir, 'data'));
  const saved = process.env.HF_ENDPOINT;
  try {
    process.env.HF_ENDPOINT = hub.endpoint;
    const v = await importModel({ modelName: 'dino', source: { hub: { repo: 'facebook/dinov2-base' } }, labels: ['a', 'b'], architecture: 'vit-tiny-test' }, { store });
    assert.equal(v.state, 'READY');
    assert.equal(v.provenance.sha256, sha);
    assert.equal(v.provenance.source, `hub:${hub.endpoint}/facebook/dinov2-base/resolve/main/model.safetensors`);
    assert.deepEqual(readdirSync(v.dir).sort(), ['labels.txt', 'model.onnx', 'provenance.json', 'weights.safetensors']);
    await code(importModel({ modelName: 'dino2', source: { hub: { repo: 'org/truncated' } }, labels: ['a', 'b'] }, { store }), 'UNAVAILABLE', /broke off|truncated/);
    assert.deepEqual(store.models.list().map((m) => m.name), ['dino']);
    assert.deepEqual(readdirSync(join(dir, 'data', 'staging')), []);
  } finally {
    if (saved === undefined) delete process.env.HF_ENDPOINT; else process.env.HF_ENDPOINT = saved;
    store.close();
    hub.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
