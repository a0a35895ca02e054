import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import sharp from 'sharp';
import { tempDir } from '../helpers/service';
import { clients, call } from '../helpers/clients';
import { tinyCheckpoint } from '../helpers/checkpoints';
import { serveProcess } from '../helpers/serve-process';
import { loadConfig } from '../../src/config/load-config';
import { importRoot } from '../../src/config/paths';
import { InitKind } from '../../src/api/generated/cxr/v1/common';
import { MediaType } from '../../src/api/generated/cxr/v1/inference_service';

test('SIGTERM lets an in-flight Predict finish, refuses new calls, and exits 0', async () => {
  const d = tempDir();
  writeFileSync(join(importRoot(loadConfig({ env: {}, overrides: { 'data.dir': d.path } })), 'tiny.safetensors'), tinyCheckpoint(3));
  const server = await serveProcess(d.path, { CXR_SHUTDOWN_GRACE_MS: '60000' });
  const c = clients(server.address);
  try {
    await call(c.models.importModel.bind(c.models), {
      name: 'tiny', source: { $case: 'path', value: 'tiny.safetensors' }, initKind: InitKind.INIT_KIND_RANDOM, labels: ['a', 'b', 'c'],
      preprocessing: '', imageSize: 0, architecture: '', keepHead: true, pooling: '', interpolation: '', description: '', serve: true, seed: 0,
    });
    // Enough large images that decoding them takes a few seconds on one decode worker.
    const side = 1536;
    const raw = Buffer.alloc(side * side);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i >> 11)) & 0xff;
    const png = await sharp(raw, { raw: { width: side, height: side, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer();
    const images = Array.from({ length: 12 }, (_, i) => ({ id: String(i), data: png, mediaType: MediaType.MEDIA_TYPE_PNG }));
    let answeredAt = 0;
    const inFlight = call(c.inference.predict.bind(c.inference), { modelName: 'tiny', modelVersion: '', images }).then((r) => {
      answeredAt = Date.now();
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    server.proc.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.results.length, 12, 'the in-flight call completed');
    assert.ok(answeredAt > killedAt, 'the call was still running when SIGTERM arrived');
    const late = clients(server.address);
    await assert.rejects(call(late.models.listModels.bind(late.models), {}, { deadline: Date.now() + 5000 }), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED);
    late.close();
    assert.equal(await server.exited, 0);
  } finally {
    c.close();
    server.proc.kill('SIGKILL');
    d.cleanup();
  }
});
