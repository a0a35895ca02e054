/**
 * Checks that a file exported elsewhere is an ONNX ModelProto the service can serve as-is:
 * one float image input shaped like [N,3,S,S] (dims may be symbolic) and one output. Only the few
 * protobuf fields needed are decoded (onnx.proto: ModelProto.ir_version=1, graph=7;
 * GraphProto.initializer=5, input=11, output=12; ValueInfoProto.name=1, type=2;
 * TypeProto.tensor_type=1; Tensor.elem_type=1, shape=2; TensorShapeProto.dim=1;
 * Dimension.dim_value=1, dim_param=2; TensorProto.name=8).
 */
import { invalidArgument } from '../../errors/cxr-error';

export interface OnnxSignature {
  irVersion: number;
  input: { name: string; dims: (number | string)[] };
  output: { name: string; dims: (number | string)[] };
  /** Image side S, when static. */
  imageSize?: number;
  /** Label count C of a [N,C] output, when static. */
  classes?: number;
}

type Field = { no: number; wire: number; value: number | Uint8Array };

function fields(buf: Uint8Array, what: string): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw invalidArgument(`${what}: truncated protobuf`);
      const b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
    throw invalidArgument(`${what}: malformed protobuf varint`);
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (no === 0) throw invalidArgument(`${what}: malformed protobuf (field number 0)`);
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) { if (pos + 8 > buf.length) throw invalidArgument(`${what}: truncated protobuf`); pos += 8; }
    else if (wire === 5) { if (pos + 4 > buf.length) throw invalidArgument(`${what}: truncated protobuf`); pos += 4; }
    else if (wire === 2) {
      const n = varint();
      if (pos + n > buf.length) throw invalidArgument(`${what}: truncated protobuf (field ${no} needs ${n} bytes, ${buf.length - pos} left)`);
      out.push({ no, wire, value: buf.subarray(pos, pos + n) });
      pos += n;
    } else throw invalidArgument(`${what}: malformed protobuf (wire type ${wire})`);
  }
  return out;
}

const sub = (fs: Field[], no: number): Uint8Array[] => fs.filter((f) => f.no === no && f.wire === 2).map((f) => f.value as Uint8Array);
const str = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

const FLOAT = 1;

function valueInfo(b: Uint8Array, what: string): { name: string; elemType: number; dims: (number | string)[] } {
  const f = fields(b, what);
  const name = str(sub(f, 1)[0]);
  const type = sub(f, 2)[0];
  const tensorType = type ? sub(fields(type, what), 1)[0] : undefined;
  if (!tensorType) return { name, elemType: 0, dims: [] };
  const tt = fields(tensorType, what);
  const elemType = (tt.find((x) => x.no === 1 && x.wire === 0)?.value as number) ?? 0;
  const shape = sub(tt, 2)[0];
  const dims = shape ? sub(fields(shape, what), 1).map((d) => {
    const df = fields(d, what);
    const v = df.find((x) => x.no === 1 && x.wire === 0);
    if (v) return v.value as number;
    return str(sub(df, 2)[0]) || '?';
  }) : [];
  return { name, elemType, dims };
}

export function checkOnnxModel(bytes: Uint8Array, what = 'ONNX file'): OnnxSignature {
  const model = fields(bytes, what);
  const ir = model.find((f) => f.no === 1 && f.wire === 0);
  const graphs = sub(model, 7);
  if (!ir || graphs.length !== 1) throw invalidArgument(`${what} is not an ONNX ModelProto (no ir_version or graph)`);
  const g = fields(graphs[0]!, what);
  const initNames = new Set(sub(g, 5).map((t) => str(sub(fields(t, what), 8)[0])));
  // Older exporters list initializers among the inputs; they are weights, not feeds.
  const inputs = sub(g, 11).map((b) => valueInfo(b, what)).filter((v) => !initNames.has(v.name));
  const outputs = sub(g, 12).map((b) => valueInfo(b, what));
  if (inputs.length !== 1) throw invalidArgument(`${what} has ${inputs.length} graph inputs (${inputs.map((i) => i.name).join(', ')}); an image classifier has exactly one`);
  if (outputs.length !== 1) throw invalidArgument(`${what} has ${outputs.length} graph outputs; exactly one (the logits) is supported`);
  const inp = inputs[0]!;
  const out = outputs[0]!;
  if (inp.elemType !== FLOAT) throw invalidArgument(`${what} input "${inp.name}" is not float32 (elem_type ${inp.elemType})`);
  const d = inp.dims;
  const okDim = (x: number | string | undefined, want?: number): boolean => typeof x === 'string' || (typeof x === 'number' && (want === undefined ? x > 0 : x === want));
  if (d.length !== 4 || !okDim(d[0]) || !okDim(d[1], 3) || !okDim(d[2]) || !okDim(d[3]) || (typeof d[2] === 'number' && typeof d[3] === 'number' && d[2] !== d[3])) {
    throw invalidArgument(`${what} input "${inp.name}" has shape [${d.join(',')}], expected [N,3,S,S]`);
  }
  if (out.elemType !== FLOAT) throw invalidArgument(`${what} output "${out.name}" is not float32 (elem_type ${out.elemType})`);
  if (out.dims.length !== 2) throw invalidArgument(`${what} output "${out.name}" has shape [${out.dims.join(',')}], expected [N,C]`);
  return {
    irVersion: ir.value as number,
    input: { name: inp.name, dims: d },
    output: { name: out.name, dims: out.dims },
    imageSize: typeof d[2] === 'number' ? d[2] : undefined,
    classes: typeof out.dims[1] === 'number' ? out.dims[1] : undefined,
  };
}
