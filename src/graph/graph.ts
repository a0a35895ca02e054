import { invalidArgument } from '../errors/cxr-error';
import { DType, DTYPE_BYTES, fromRawBytes, toRawBytes } from './dtype';
import { Dim, Shape, isStatic, numel, shapeToString } from './shape';

/** A typed value of the graph: a graph input, an initializer or a node output. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

/** AttributeProto payloads; the kind picks the AttributeType written. */
export type Attribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] };

export const attr = {
  float: (value: number): Attribute => ({ kind: 'float', value }),
  int: (value: number): Attribute => ({ kind: 'int', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
  floats: (value: number[]): Attribute => ({ kind: 'floats', value }),
  ints: (value: number[]): Attribute => ({ kind: 'ints', value }),
};

export interface Node {
  readonly name: string;
  readonly opType: string;
  /** '' is the default ONNX domain. */
  readonly domain: string;
  /** '' marks an omitted optional input. */
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attributes: Readonly<Record<string, Attribute>>;
}

export interface Initializer {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Little-endian raw_data bytes. */
  readonly data: Uint8Array;
}

export interface GraphOptions {
  name?: string;
  /** Default-domain opset; 17 unless asked (23 enables the standard Attention op). */
  opset?: number;
}

export interface NodeSpec {
  opType: string;
  domain?: string;
  inputs: string[];
  /** dtype + shape of each output; shape inference is done by the op builders. */
  outputs: { dtype: DType; shape: Shape }[];
  attributes?: Record<string, Attribute>;
  /** Prefix for the generated output/node names. */
  name?: string;
}

/**
 * The IR: an append-only list of nodes. Appending requires every input to exist already, so
 * the node list is always in topological order, which the serialiser and autodiff rely on.
 */
export class Graph {
  readonly name: string;
  readonly opset: number;
  readonly nodes: Node[] = [];
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];
  readonly initializers = new Map<string, Initializer>();
  /** Non-default domains in use, with their versions (com.microsoft -> 1). */
  readonly domains = new Map<string, number>();
  private readonly values = new Map<string, ValueInfo>();
  private readonly producers = new Map<string, Node>();
  private counter = 0;

  constructor(opts: GraphOptions = {}) {
    this.name = opts.name ?? 'graph';
    this.opset = opts.opset ?? 17;
    if (!Number.isInteger(this.opset) || this.opset < 17 || this.opset > 23) {
      throw invalidArgument(`opset ${opts.opset} is not supported (use 17..23)`);
    }
  }

  /** A fresh name with the given prefix (never collides with an existing value). */
  uniqueName(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.values.has(n));
    return n;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  info(name: string): ValueInfo {
    const v = this.values.get(name);
    if (!v) throw invalidArgument(`graph has no value named '${name}'`);
    return v;
  }

  dtype(name: string): DType {
    return this.info(name).dtype;
  }

  shape(name: string): Shape {
    return this.info(name).shape;
  }

  /** The node that produces `name`, or undefined for inputs and initializers. */
  producer(name: string): Node | undefined {
    return this.producers.get(name);
  }

  private define(name: string, dtype: DType, shape: Shape): void {
    if (this.values.has(name)) throw invalidArgument(`value '${name}' is defined twice`);
    this.values.set(name, { name, dtype, shape: [...shape] });
  }

  input(name: string, dtype: DType, shape: Shape): string {
    this.define(name, dtype, shape);
    this.inputs.push(name);
    return name;
  }

  /** Marks a value as a graph output, renaming it through Identity when `as` differs. */
  output(value: string, as?: string): string {
    this.info(value);
    let name = value;
    if (as !== undefined && as !== value) {
      const info = this.info(value);
      this.define(as, info.dtype, info.shape);
      this.pushNode({ name: this.uniqueName('Identity'), opType: 'Identity', domain: '', inputs: [value], outputs: [as], attributes: {} });
      name = as;
    }
    if (!this.outputs.includes(name)) this.outputs.push(name);
    return name;
  }

  /** A named initializer from values (numbers) or ready raw bytes. */
  initializer(name: string, dtype: DType, shape: readonly number[], data: ArrayLike<number> | Uint8Array): string {
    const bytes = data instanceof Uint8Array && dtype !== 'uint8' && dtype !== 'bool' ? data : toRawBytes(data as ArrayLike<number>, dtype);
    if (bytes.byteLength !== numel(shape) * DTYPE_BYTES[dtype]) {
      throw invalidArgument(`initializer '${name}': ${bytes.byteLength} bytes do not fit ${dtype}${shapeToString(shape)}`);
    }
    this.define(name, dtype, shape);
    this.initializers.set(name, { name, dtype, shape: [...shape], data: bytes });
    return name;
  }

  /** An anonymous constant initializer. */
  constant(values: ArrayLike<number>, dtype: DType, shape: readonly number[] = [values.length]): string {
    return this.initializer(this.uniqueName('const'), dtype, shape, values);
  }

  /** A scalar constant of the same element type as `like` (so rules stay dtype-generic). */
  scalarLike(value: number, like: string): string {
    return this.constant([value], this.dtype(like), []);
  }

  /** int64 1-D constant (shapes, axes, slice bounds). */
  ints(values: readonly number[]): string {
    return this.constant(values, 'int64', [values.length]);
  }

  /** Values of a constant initializer, or undefined if `name` is not one. */
  constantValue(name: string): number[] | undefined {
    const init = this.initializers.get(name);
    return init ? fromRawBytes(init.data, init.dtype) : undefined;
  }

  /** Appends a node and defines its outputs; returns the output names. */
  addNode(spec: NodeSpec): string[] {
    for (const i of spec.inputs) if (i !== '') this.info(i);
    const prefix = spec.name ?? spec.opType;
    const outputs = spec.outputs.map((o) => {
      const n = this.uniqueName(prefix);
      this.define(n, o.dtype, o.shape);
      return n;
    });
    const domain = spec.domain ?? '';
    if (domain !== '' && !this.domains.has(domain)) this.domains.set(domain, 1);
    this.pushNode({ name: this.uniqueName(`${prefix}_node`), opType: spec.opType, domain, inputs: [...spec.inputs], outputs, attributes: spec.attributes ?? {} });
    return outputs;
  }

  /** addNode for the common single-output case. */
  op(opType: string, inputs: string[], dtype: DType, shape: Shape, attributes?: Record<string, Attribute>, domain?: string): string {
    return this.addNode({ opType, inputs, outputs: [{ dtype, shape }], attributes, domain })[0]!;
  }

  private pushNode(n: Node): void {
    this.nodes.push(n);
    for (const o of n.outputs) this.producers.set(o, n);
  }

  /** Total initializer bytes (decides whether external data is needed). */
  initializerBytes(): number {
    let s = 0;
    for (const i of this.initializers.values()) s += i.data.byteLength;
    return s;
  }
}

export function staticShape(g: Graph, name: string): number[] {
  const s = g.shape(name);
  if (!isStatic(s)) throw invalidArgument(`value '${name}' needs a static shape here, has ${shapeToString(s)}`);
  return [...s];
}

export type { Dim, Shape };
