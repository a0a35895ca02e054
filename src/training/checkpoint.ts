import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../store/atomic-file';
import { CxrError } from '../errors/cxr-error';

/**
 * A training checkpoint: trainable weights, AdamW moments and where the run stands. The data
 * order and augmentation are pure functions of (seed, epoch, index), so the "RNG position" is
 * just `epoch` + `batchInEpoch`; resuming from here replays exactly what an uninterrupted run
 * would have done.
 *
 * File layout: "CXRCKPT1", u32 LE header length, JSON header, then raw little-endian float32
 * tensors in header order, each 4-byte aligned relative to the data start.
 */
export interface CheckpointState {
  /** Optimiser steps taken so far (drives bias correction and the LR schedule). */
  step: number;
  /** Epoch being trained (0-based) and batches of it already consumed. */
  epoch: number;
  batchInEpoch: number;
  /** Free-form trainer bookkeeping (best metric, patience counter, history). JSON-serialisable. */
  meta: Record<string, unknown>;
}

export interface Checkpoint extends CheckpointState {
  /** Tensors by name: parameters by canonical name, moments as `adam.m/<name>`, `adam.v/<name>`. */
  tensors: Map<string, { dims: number[]; data: Float32Array }>;
}

const MAGIC = Buffer.from('CXRCKPT1', 'latin1');

interface Header extends CheckpointState {
  version: 1;
  tensors: { name: string; dims: number[]; offset: number; length: number }[];
}

/** Writes atomically (temp file + fsync + rename): a crash leaves the old or the new checkpoint, never a torn one. */
export function writeCheckpoint(path: string, ckpt: Checkpoint): void {
  const entries: Header['tensors'] = [];
  let offset = 0;
  for (const [name, t] of ckpt.tensors) {
    entries.push({ name, dims: t.dims, offset, length: t.data.length });
    offset += t.data.length * 4;
  }
  const header: Header = { version: 1, step: ckpt.step, epoch: ckpt.epoch, batchInEpoch: ckpt.batchInEpoch, meta: ckpt.meta, tensors: entries };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const parts: Uint8Array[] = [MAGIC, len, json];
  for (const t of ckpt.tensors.values()) parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileAtomic(path, parts);
}

export function readCheckpoint(path: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new CxrError('NOT_FOUND', 'checkpoint file cannot be read', { cause: err });
  }
  const corrupt = (why: string) => new CxrError('DATA_LOSS', `checkpoint is corrupt: ${why}`);
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw corrupt('bad magic');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw corrupt('truncated header');
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as Header;
  } catch {
    throw corrupt('unreadable header');
  }
  if (header.version !== 1) throw corrupt(`unknown version ${String(header.version)}`);
  const dataStart = 12 + hlen;
  // Copy into an aligned buffer: the header length makes the data start unaligned for Float32Array.
  const data = new Uint8Array(buf.length - dataStart);
  data.set(buf.subarray(dataStart));
  const tensors: Checkpoint['tensors'] = new Map();
  for (const t of header.tensors) {
    if (t.offset + t.length * 4 > data.length) throw corrupt(`tensor ${t.name} truncated`);
    tensors.set(t.name, { dims: t.dims, data: new Float32Array(data.buffer, t.offset, t.length) });
  }
  return { step: header.step, epoch: header.epoch, batchInEpoch: header.batchInEpoch, meta: header.meta, tensors };
}
