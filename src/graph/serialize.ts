import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { invalidArgument } from '../errors/cxr-error';
import { ONNX_DTYPE } from './dtype';
import { Attribute, Graph, Initializer, Node } from './graph';
import { Shape } from './shape';

// Field numbers from onnx/onnx.proto (checked against the published proto).
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OPSET = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, type: 20 } as const;
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
const ENTRY = { key: 1, value: 2 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1, param: 2 } as const;

/** Protobuf messages are limited to 2 GiB; above this, initializers must live in a data file. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** IR version matching each opset (onnx/docs/Versioning.md): older runtimes reject newer IRs. */
export function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

interface ExternalPlacement {
  location: string;
  offsets: Map<string, number>;
}

function writeAttribute(w: BinaryWriter, name: string, a: Attribute): void {
  w.tag(ATTR.name, WireType.LengthDelimited).string(name);
  w.tag(ATTR.type, WireType.Varint).int32(ATTR_TYPE[a.kind]);
  switch (a.kind) {
    case 'float': w.tag(ATTR.f, WireType.Bit32).float(a.value); break;
    case 'int': w.tag(ATTR.i, WireType.Varint).int64(a.value); break;
    case 'string': w.tag(ATTR.s, WireType.LengthDelimited).bytes(new TextEncoder().encode(a.value)); break;
    case 'floats': for (const v of a.value) w.tag(ATTR.floats, WireType.Bit32).float(v); break;
    case 'ints': for (const v of a.value) w.tag(ATTR.ints, WireType.Varint).int64(v); break;
  }
}

function writeNode(w: BinaryWriter, n: Node): void {
  for (const i of n.inputs) w.tag(NODE.input, WireType.LengthDelimited).string(i);
  for (const o of n.outputs) w.tag(NODE.output, WireType.LengthDelimited).string(o);
  w.tag(NODE.name, WireType.LengthDelimited).string(n.name);
  w.tag(NODE.opType, WireType.LengthDelimited).string(n.opType);
  for (const [k, a] of Object.entries(n.attributes)) {
    w.tag(NODE.attribute, WireType.LengthDelimited).fork();
    writeAttribute(w, k, a);
    w.join();
  }
  if (n.domain) w.tag(NODE.domain, WireType.LengthDelimited).string(n.domain);
}

/** TensorProto fields except raw_data (written separately so weights are copied once, not per nesting level). */
function writeTensorHeader(w: BinaryWriter, t: Initializer, ext: ExternalPlacement | undefined): void {
  for (const d of t.shape) w.tag(TENSOR.dims, WireType.Varint).int64(d);
  w.tag(TENSOR.dataType, WireType.Varint).int32(ONNX_DTYPE[t.dtype]);
  w.tag(TENSOR.name, WireType.LengthDelimited).string(t.name);
  const offset = ext?.offsets.get(t.name);
  if (ext && offset !== undefined) {
    const entries: [string, string][] = [['location', ext.location], ['offset', String(offset)], ['length', String(t.data.byteLength)]];
    for (const [k, v] of entries) {
      w.tag(TENSOR.externalData, WireType.LengthDelimited).fork();
      w.tag(ENTRY.key, WireType.LengthDelimited).string(k);
      w.tag(ENTRY.value, WireType.LengthDelimited).string(v);
      w.join();
    }
    w.tag(TENSOR.dataLocation, WireType.Varint).int32(1);
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Tag + length prefix of a length-delimited field. */
function lengthPrefix(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | WireType.LengthDelimited), ...varint(length)]);
}

function writeValueInfo(w: BinaryWriter, name: string, elemType: number, shape: Shape): void {
  w.tag(VALUE_INFO.name, WireType.LengthDelimited).string(name);
  w.tag(VALUE_INFO.type, WireType.LengthDelimited).fork();
  w.tag(TYPE.tensorType, WireType.LengthDelimited).fork();
  w.tag(TENSOR_TYPE.elemType, WireType.Varint).int32(elemType);
  w.tag(TENSOR_TYPE.shape, WireType.LengthDelimited).fork();
  for (const d of shape) {
    w.tag(SHAPE.dim, WireType.LengthDelimited).fork();
    if (typeof d === 'number') w.tag(DIM.value, WireType.Varint).int64(d);
    else w.tag(DIM.param, WireType.LengthDelimited).string(d);
    w.join();
  }
  w.join().join().join();
}

/**
 * The ModelProto as byte segments whose concatenation is the message. Initializer bytes are
 * referenced, not copied, so a 350 MB ViT-B is copied once (or streamed to a file) instead of
 * once per nesting level as a fork/join writer would.
 */
function encodeSegments(g: Graph, ext: ExternalPlacement | undefined): Uint8Array[] {
  const head = new BinaryWriter();
  for (const n of g.nodes) {
    head.tag(GRAPH.node, WireType.LengthDelimited).fork();
    writeNode(head, n);
    head.join();
  }
  head.tag(GRAPH.name, WireType.LengthDelimited).string(g.name);
  const graphParts: Uint8Array[] = [head.finish()];
  for (const t of g.initializers.values()) {
    const w = new BinaryWriter();
    writeTensorHeader(w, t, ext);
    const header = w.finish();
    const inline = !(ext && ext.offsets.has(t.name));
    const rawPrefix = inline ? lengthPrefix(TENSOR.rawData, t.data.byteLength) : new Uint8Array(0);
    const len = header.byteLength + (inline ? rawPrefix.byteLength + t.data.byteLength : 0);
    graphParts.push(lengthPrefix(GRAPH.initializer, len), header);
    if (inline) graphParts.push(rawPrefix, t.data);
  }
  const tail = new BinaryWriter();
  for (const [field, names] of [[GRAPH.input, g.inputs], [GRAPH.output, g.outputs]] as const) {
    for (const name of names) {
      const v = g.info(name);
      tail.tag(field, WireType.LengthDelimited).fork();
      writeValueInfo(tail, name, ONNX_DTYPE[v.dtype], v.shape);
      tail.join();
    }
  }
  graphParts.push(tail.finish());
  const graphLen = graphParts.reduce((a, b) => a + b.byteLength, 0);

  const model = new BinaryWriter();
  model.tag(MODEL.irVersion, WireType.Varint).int64(irVersionFor(g.opset));
  model.tag(MODEL.producerName, WireType.LengthDelimited).string('cxr-vit');
  model.tag(MODEL.producerVersion, WireType.LengthDelimited).string('0.1.0');
  const opsets: [string, number][] = [['', g.opset], ...g.domains];
  for (const [domain, version] of opsets) {
    model.tag(MODEL.opsetImport, WireType.LengthDelimited).fork();
    if (domain) model.tag(OPSET.domain, WireType.LengthDelimited).string(domain);
    model.tag(OPSET.version, WireType.Varint).int64(version);
    model.join();
  }
  return [model.finish(), lengthPrefix(MODEL.graph, graphLen), ...graphParts];
}

function encode(g: Graph, ext: ExternalPlacement | undefined): Uint8Array {
  const parts = encodeSegments(g, ext);
  const out = new Uint8Array(parts.reduce((a, b) => a + b.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function checkGraph(g: Graph): void {
  if (g.outputs.length === 0) throw invalidArgument(`graph '${g.name}' has no outputs`);
}

/** ModelProto bytes with every initializer inline (raw_data). Throws when over the 2 GiB limit. */
export function serializeModel(g: Graph): Uint8Array {
  checkGraph(g);
  if (g.initializerBytes() > PROTOBUF_LIMIT - 64 * 1024 * 1024) {
    throw invalidArgument(`graph '${g.name}' holds ${g.initializerBytes()} bytes of weights, over protobuf's 2 GiB limit: save it with saveModel (external data)`);
  }
  return encode(g, undefined);
}

export interface SaveOptions {
  /** 'auto' (default): external data only when the weights pass 2 GiB; true: always. */
  externalData?: 'auto' | boolean;
  /** Initializers smaller than this stay inline (default 1024 bytes). */
  externalMinBytes?: number;
}

/**
 * Writes `path` (and `<file>.data` beside it when weights go external). ONNX Runtime must then
 * load the model by path (not from bytes) so that it can resolve the data file.
 * Returns the paths written.
 */
export function saveModel(g: Graph, path: string, opts: SaveOptions = {}): string[] {
  checkGraph(g);
  const mode = opts.externalData ?? 'auto';
  const external = mode === true || (mode === 'auto' && g.initializerBytes() > PROTOBUF_LIMIT - 64 * 1024 * 1024);
  const written: string[] = [];
  let placement: ExternalPlacement | undefined;
  if (external) {
    const location = `${basename(path)}.data`;
    const dataPath = join(dirname(path), location);
    placement = { location, offsets: new Map() };
    const fd = openSync(dataPath, 'w');
    try {
      let offset = 0;
      const minBytes = opts.externalMinBytes ?? 1024;
      for (const t of g.initializers.values()) {
        if (t.data.byteLength < minBytes) continue;
        // 4 KiB alignment lets the runtime memory-map tensors in place.
        const aligned = Math.ceil(offset / 4096) * 4096;
        placement.offsets.set(t.name, aligned);
        writeAll(fd, t.data, aligned);
        offset = aligned + t.data.byteLength;
      }
    } finally {
      closeSync(fd);
    }
    written.push(dataPath);
  }
  const fd = openSync(path, 'w');
  try {
    let pos = 0;
    for (const part of encodeSegments(g, placement)) {
      writeAll(fd, part, pos);
      pos += part.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  written.unshift(path);
  return written;
}

// writeSync may write less than asked (large buffers); loop until the whole chunk is on disk.
function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done, position + done);
}
