/**
 * A protobuf decoder for the ONNX messages the importer reads (ModelProto down to
 * TensorProto and the value infos' shapes), the reading twin of proto.ts.
 *
 * The bytes are untrusted: every length is checked against the bytes left in its enclosing
 * message before anything is read or allocated, varints stop at ten bytes, unknown fields
 * are skipped by wire type (groups, deprecated in proto3 and never written by ONNX, are
 * refused), and the schema itself bounds the nesting: the decoder follows
 * Model → Graph → Node → Attribute → Tensor and Graph → ValueInfo → Type → Shape → Dim, and
 * a node's one-graph attribute (a Loop's body, which loop.ts reads as a recurrent cell) down
 * to MAX_GRAPH_DEPTH graphs below the main one; deeper graphs and the repeated-graphs field
 * are recorded as such, not decoded (If / Scan and nested Loops are not imported, so nothing
 * would read them). Tensor contents stay views into the
 * input (no copy) until the importer converts them, after checking their element counts.
 * Every malformed input is a ModelFormatError naming the message, the field and the byte
 * offset.
 */
import { ModelFormatError } from '../../core/errors.js';

/** TensorProto.DataType values and their element sizes in raw_data (0: not readable here). */
export const ELEM_BYTES: Readonly<Record<number, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<number, number>, { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 }),
);

export const DTYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<number, string>, {
    1: 'float',
    2: 'uint8',
    3: 'int8',
    4: 'uint16',
    5: 'int16',
    6: 'int32',
    7: 'int64',
    8: 'string',
    9: 'bool',
    10: 'float16',
    11: 'double',
    12: 'uint32',
    13: 'uint64',
    14: 'complex64',
    15: 'complex128',
    16: 'bfloat16',
  }),
);

export interface TensorData {
  readonly name: string;
  readonly dtype: number;
  readonly dims: readonly number[];
  /** Where the contents were: raw_data (little endian), or one of the typed repeated fields. */
  readonly raw: Uint8Array | null;
  readonly floats: readonly number[] | null;
  /** int32_data / int64_data / uint64_data values (int64 beyond 2^53 rounded; only Slice bounds reach there). */
  readonly ints: readonly number[] | null;
  readonly doubles: readonly number[] | null;
  /** data_location EXTERNAL or external_data entries: contents in another file (see external.ts). */
  readonly external: boolean;
  /** The external_data key / value pairs as written (location, offset, length, checksum…). */
  readonly externalData?: readonly (readonly [string, string])[];
  /** Offset of the TensorProto in the file, for messages. */
  readonly offset: number;
}

export type AttributeValue =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: TensorData }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  /** A subgraph (field g): a Loop's body. */
  | { readonly type: 'graph'; readonly value: GraphData }
  /** graphs, sparse tensors, type protos, tensor lists, graphs nested too deep: present but not decoded. */
  | { readonly type: 'other'; readonly value: string };

export interface NodeData {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
  readonly offset: number;
}

export interface ValueInfoData {
  readonly name: string;
  /** Element type of a tensor type, 0 when the type is not a tensor or not given. */
  readonly dtype: number;
  /** Per axis: a size, or a symbolic name / null when unknown; null for the whole when no shape. */
  readonly dims: readonly (number | string | null)[] | null;
}

export interface GraphData {
  readonly name: string;
  readonly nodes: readonly NodeData[];
  readonly initializers: readonly TensorData[];
  readonly inputs: readonly ValueInfoData[];
  readonly outputs: readonly ValueInfoData[];
  /** Field numbers of graph fields present that the importer does not support (sparse initializers). */
  readonly sparseInitializers: number;
}

export interface ModelData {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  /** Opset version per domain ('' = ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
  readonly graph: GraphData;
  /** ModelProto.functions count: model-local functions, which the importer does not inline. */
  readonly functions: number;
}

/**
 * Subgraphs decoded below the main graph: 1 is a Loop body; a body's own subgraphs (a Loop in
 * a Loop, which nothing imports) stay undecoded, so a file cannot nest graphs to exhaust the
 * stack.
 */
const MAX_GRAPH_DEPTH = 1;

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start-group', 'end-group', '32-bit', 'wire type 6', 'wire type 7'];

/** A cursor over one message's bytes [pos, end). */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    readonly where: string,
  ) {
    this.pos = start;
  }

  fail(what: string, at = this.pos): never {
    throw new ModelFormatError(`${this.where}: ${what} at byte ${at}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a Number (int64 two's complement read as signed; values past 2^53 rounded). */
  varint(what: string): number {
    const start = this.pos;
    let small = 0;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(`${what}: varint runs past the end of its message`, start);
      const b = this.buf[this.pos++]!;
      // Up to four bytes fit a Number exactly; longer ones (negative int64s are ten bytes) go through BigInt.
      if (i < 4) small += (b & 0x7f) * 2 ** (7 * i);
      else big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return i < 4 ? small : Number(BigInt.asIntN(64, big | BigInt(small)));
    }
    this.fail(`${what}: varint longer than 10 bytes`, start);
  }

  /** The [start, end) of a length-delimited field's payload, checked against the bytes left. */
  span(what: string): [number, number] {
    const at = this.pos;
    const n = this.varint(what);
    if (n < 0 || n > this.end - this.pos) this.fail(`${what}: length ${n} but ${this.end - this.pos} bytes left in the message`, at);
    const s = this.pos;
    this.pos += n;
    return [s, s + n];
  }

  bytes(what: string): Uint8Array {
    const [s, e] = this.span(what);
    return this.buf.subarray(s, e);
  }

  string(what: string): string {
    const b = this.bytes(what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      this.fail(`${what}: not valid UTF-8`, this.pos - b.length);
    }
  }

  sub(what: string): Reader {
    const [s, e] = this.span(what);
    return new Reader(this.buf, s, e, this.where);
  }

  fixed32(what: string): number {
    if (this.end - this.pos < 4) this.fail(`${what}: 4-byte value runs past the end of its message`);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  fixed64(what: string): number {
    if (this.end - this.pos < 8) this.fail(`${what}: 8-byte value runs past the end of its message`);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Skip a field of an unknown number by its wire type. */
  skip(wire: number, what: string): void {
    if (wire === 0) this.varint(what);
    else if (wire === 1) {
      if (this.end - this.pos < 8) this.fail(`${what}: 8-byte value runs past the end of its message`);
      this.pos += 8;
    } else if (wire === 2) this.span(what);
    else if (wire === 5) {
      if (this.end - this.pos < 4) this.fail(`${what}: 4-byte value runs past the end of its message`);
      this.pos += 4;
    } else this.fail(`${what}: ${WIRE_NAMES[wire]} is not accepted`);
  }

  /** Each field: calls `on(field, wire)`, which reads it and returns true, or returns false to have it skipped. */
  fields(message: string, on: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const at = this.pos;
      const tag = this.varint(`${message} field tag`);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field <= 0 || field > 536_870_911) this.fail(`${message}: invalid field number ${field}`, at);
      if (!on(field, wire)) this.skip(wire, `${message} field ${field}`);
    }
  }

  expect(wire: number, want: number, what: string): void {
    if (wire !== want) this.fail(`${what}: expected ${WIRE_NAMES[want]}, found ${WIRE_NAMES[wire]}`);
  }

  /** A repeated varint field, packed (wire 2) or not (wire 0). */
  varints(wire: number, out: number[], what: string): void {
    if (wire === 0) out.push(this.varint(what));
    else if (wire === 2) {
      const r = this.sub(what);
      while (!r.done) out.push(r.varint(what));
    } else this.fail(`${what}: expected varints, found ${WIRE_NAMES[wire]}`);
  }

  /** A repeated float field, packed or not. */
  floats(wire: number, out: number[], what: string): void {
    if (wire === 5) out.push(this.fixed32(what));
    else if (wire === 2) {
      const r = this.sub(what);
      if ((r.end - r.pos) % 4 !== 0) this.fail(`${what}: packed floats of ${r.end - r.pos} bytes, not a multiple of 4`);
      while (!r.done) out.push(r.fixed32(what));
    } else this.fail(`${what}: expected floats, found ${WIRE_NAMES[wire]}`);
  }

  doubles(wire: number, out: number[], what: string): void {
    if (wire === 1) out.push(this.fixed64(what));
    else if (wire === 2) {
      const r = this.sub(what);
      if ((r.end - r.pos) % 8 !== 0) this.fail(`${what}: packed doubles of ${r.end - r.pos} bytes, not a multiple of 8`);
      while (!r.done) out.push(r.fixed64(what));
    } else this.fail(`${what}: expected doubles, found ${WIRE_NAMES[wire]}`);
  }
}

function readTensor(r: Reader): TensorData {
  const offset = r.pos;
  let name = '';
  let dtype = 0;
  const dims: number[] = [];
  let raw: Uint8Array | null = null;
  let floats: number[] | null = null;
  let ints: number[] | null = null;
  let doubles: number[] | null = null;
  let external = false;
  const externalData: [string, string][] = [];
  r.fields('TensorProto', (f, w) => {
    switch (f) {
      case 1:
        r.varints(w, dims, 'TensorProto.dims');
        return true;
      case 2:
        r.expect(w, 0, 'TensorProto.data_type');
        dtype = r.varint('TensorProto.data_type');
        return true;
      case 3:
        r.fail('TensorProto.segment: segmented tensors are not supported');
        break;
      case 4:
        r.floats(w, (floats ??= []), 'TensorProto.float_data');
        return true;
      case 5:
      case 7:
      case 11:
        r.varints(w, (ints ??= []), `TensorProto.${f === 5 ? 'int32' : f === 7 ? 'int64' : 'uint64'}_data`);
        return true;
      case 8:
        r.expect(w, 2, 'TensorProto.name');
        name = r.string('TensorProto.name');
        return true;
      case 9:
        r.expect(w, 2, 'TensorProto.raw_data');
        raw = r.bytes('TensorProto.raw_data');
        return true;
      case 10:
        r.doubles(w, (doubles ??= []), 'TensorProto.double_data');
        return true;
      case 13: {
        // StringStringEntryProto {key 1, value 2}
        r.expect(w, 2, 'TensorProto.external_data');
        const e = r.sub('TensorProto.external_data');
        let key = '';
        let value = '';
        e.fields('StringStringEntryProto', (f2, w2) => {
          if (f2 !== 1 && f2 !== 2) return false;
          e.expect(w2, 2, `TensorProto.external_data.${f2 === 1 ? 'key' : 'value'}`);
          if (f2 === 1) key = e.string('TensorProto.external_data.key');
          else value = e.string('TensorProto.external_data.value');
          return true;
        });
        external = true;
        externalData.push([key, value]);
        return true;
      }
      case 14:
        r.expect(w, 0, 'TensorProto.data_location');
        if (r.varint('TensorProto.data_location') === 1) external = true;
        return true;
    }
    return false;
  });
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) r.fail(`TensorProto '${name}': dimension ${d} is not a non-negative integer`, offset);
  return { name, dtype, dims, raw, floats, ints, doubles, external, externalData, offset };
}

function readAttribute(r: Reader, depth: number): [string, AttributeValue] {
  let name = '';
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: Uint8Array | undefined;
  let t: TensorData | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: Uint8Array[] = [];
  const others: string[] = [];
  let g: GraphData | undefined;
  r.fields('AttributeProto', (field, w) => {
    switch (field) {
      case 1:
        r.expect(w, 2, 'AttributeProto.name');
        name = r.string('AttributeProto.name');
        return true;
      case 20:
        r.expect(w, 0, 'AttributeProto.type');
        type = r.varint('AttributeProto.type');
        return true;
      case 2:
        r.expect(w, 5, 'AttributeProto.f');
        f = r.fixed32('AttributeProto.f');
        return true;
      case 3:
        r.expect(w, 0, 'AttributeProto.i');
        i = r.varint('AttributeProto.i');
        return true;
      case 4:
        r.expect(w, 2, 'AttributeProto.s');
        s = r.bytes('AttributeProto.s');
        return true;
      case 5:
        r.expect(w, 2, 'AttributeProto.t');
        t = readTensor(r.sub('AttributeProto.t'));
        return true;
      case 7:
        r.floats(w, floats, 'AttributeProto.floats');
        return true;
      case 8:
        r.varints(w, ints, 'AttributeProto.ints');
        return true;
      case 9:
        r.expect(w, 2, 'AttributeProto.strings');
        strings.push(r.bytes('AttributeProto.strings'));
        return true;
      case 6:
        // A graph nested deeper (or a second g) is recorded below, not decoded.
        if (depth >= MAX_GRAPH_DEPTH || g !== undefined) {
          others.push('graph');
          return false;
        }
        r.expect(w, 2, 'AttributeProto.g');
        g = readGraph(r.sub('AttributeProto.g'), depth + 1);
        return true;
      case 10:
      case 11:
      case 14:
      case 15:
      case 22:
      case 23:
        others.push(['', '', '', '', '', '', 'graph', '', '', '', 'tensors', 'graphs', '', '', 'type_proto', 'type_protos', '', '', '', '', '', '', 'sparse_tensor', 'sparse_tensors'][field]!);
        return false;
    }
    return false;
  });
  const text = (b: Uint8Array): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return r.fail(`attribute '${name}': a string that is not valid UTF-8`);
    }
  };
  // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8. Old
  // files may leave `type` out (IR < 0.0.2); then the one value present decides.
  if ((type === 1 || type === 0) && f !== undefined) return [name, { type: 'float', value: f }];
  if ((type === 2 || type === 0) && i !== undefined) return [name, { type: 'int', value: i }];
  if ((type === 3 || type === 0) && s !== undefined) return [name, { type: 'string', value: text(s) }];
  if ((type === 4 || type === 0) && t !== undefined) return [name, { type: 'tensor', value: t }];
  if (type === 6 || (type === 0 && floats.length > 0)) return [name, { type: 'floats', value: floats }];
  if (type === 7 || (type === 0 && ints.length > 0)) return [name, { type: 'ints', value: ints }];
  if (type === 8 || (type === 0 && strings.length > 0)) return [name, { type: 'strings', value: strings.map(text) }];
  if ((type === 5 || type === 0) && g !== undefined) return [name, { type: 'graph', value: g }];
  if (type === 1) return [name, { type: 'float', value: 0 }];
  if (type === 2) return [name, { type: 'int', value: 0 }];
  if (type === 3) return [name, { type: 'string', value: '' }];
  return [name, { type: 'other', value: others[0] ?? `type ${type}` }];
}

function readNode(r: Reader, depth: number): NodeData {
  const offset = r.pos;
  const inputs: string[] = [];
  const outputs: string[] = [];
  let name = '';
  let opType = '';
  let domain = '';
  const attributes = new Map<string, AttributeValue>();
  r.fields('NodeProto', (f, w) => {
    switch (f) {
      case 1:
        r.expect(w, 2, 'NodeProto.input');
        inputs.push(r.string('NodeProto.input'));
        return true;
      case 2:
        r.expect(w, 2, 'NodeProto.output');
        outputs.push(r.string('NodeProto.output'));
        return true;
      case 3:
        r.expect(w, 2, 'NodeProto.name');
        name = r.string('NodeProto.name');
        return true;
      case 4:
        r.expect(w, 2, 'NodeProto.op_type');
        opType = r.string('NodeProto.op_type');
        return true;
      case 7:
        r.expect(w, 2, 'NodeProto.domain');
        domain = r.string('NodeProto.domain');
        return true;
      case 5: {
        r.expect(w, 2, 'NodeProto.attribute');
        const at = r.pos;
        const [k, v] = readAttribute(r.sub('NodeProto.attribute'), depth);
        if (attributes.has(k)) r.fail(`node '${name || opType}': attribute '${k}' given twice`, at);
        attributes.set(k, v);
        return true;
      }
    }
    return false;
  });
  return { opType, domain, name, inputs, outputs, attributes, offset };
}

function readValueInfo(r: Reader): ValueInfoData {
  let name = '';
  let dtype = 0;
  let dims: (number | string | null)[] | null = null;
  r.fields('ValueInfoProto', (f, w) => {
    if (f === 1) {
      r.expect(w, 2, 'ValueInfoProto.name');
      name = r.string('ValueInfoProto.name');
      return true;
    }
    if (f !== 2) return false;
    r.expect(w, 2, 'ValueInfoProto.type');
    const type = r.sub('TypeProto');
    type.fields('TypeProto', (tf, tw) => {
      if (tf !== 1) return false; // sequence, map, optional, sparse types: dtype stays 0
      type.expect(tw, 2, 'TypeProto.tensor_type');
      const tensor = type.sub('TypeProto.Tensor');
      tensor.fields('TypeProto.Tensor', (ef, ew) => {
        if (ef === 1) {
          tensor.expect(ew, 0, 'TypeProto.Tensor.elem_type');
          dtype = tensor.varint('TypeProto.Tensor.elem_type');
          return true;
        }
        if (ef !== 2) return false;
        tensor.expect(ew, 2, 'TypeProto.Tensor.shape');
        const shape = tensor.sub('TensorShapeProto');
        dims = [];
        shape.fields('TensorShapeProto', (sf, sw) => {
          if (sf !== 1) return false;
          shape.expect(sw, 2, 'TensorShapeProto.dim');
          const dim = shape.sub('TensorShapeProto.Dimension');
          let d: number | string | null = null;
          dim.fields('TensorShapeProto.Dimension', (df, dw) => {
            if (df === 1) {
              dim.expect(dw, 0, 'Dimension.dim_value');
              d = dim.varint('Dimension.dim_value');
              return true;
            }
            if (df === 2) {
              dim.expect(dw, 2, 'Dimension.dim_param');
              d = dim.string('Dimension.dim_param');
              return true;
            }
            return false;
          });
          dims!.push(d);
          return true;
        });
        return true;
      });
      return true;
    });
    return true;
  });
  return { name, dtype, dims };
}

function readGraph(r: Reader, depth: number): GraphData {
  let name = '';
  const nodes: NodeData[] = [];
  const initializers: TensorData[] = [];
  const inputs: ValueInfoData[] = [];
  const outputs: ValueInfoData[] = [];
  let sparseInitializers = 0;
  r.fields('GraphProto', (f, w) => {
    switch (f) {
      case 1:
        r.expect(w, 2, 'GraphProto.node');
        nodes.push(readNode(r.sub('GraphProto.node'), depth));
        return true;
      case 2:
        r.expect(w, 2, 'GraphProto.name');
        name = r.string('GraphProto.name');
        return true;
      case 5:
        r.expect(w, 2, 'GraphProto.initializer');
        initializers.push(readTensor(r.sub('GraphProto.initializer')));
        return true;
      case 11:
        r.expect(w, 2, 'GraphProto.input');
        inputs.push(readValueInfo(r.sub('GraphProto.input')));
        return true;
      case 12:
        r.expect(w, 2, 'GraphProto.output');
        outputs.push(readValueInfo(r.sub('GraphProto.output')));
        return true;
      case 15:
        sparseInitializers++;
        return false;
    }
    return false;
  });
  return { name, nodes, initializers, inputs, outputs, sparseInitializers };
}

/** Decode ModelProto bytes; `where` names the source in errors. */
export function decodeModel(bytes: Uint8Array, where: string): ModelData {
  const r = new Reader(bytes, 0, bytes.length, where);
  let irVersion = 0;
  let producerName = '';
  let producerVersion = '';
  const opsets = new Map<string, number>();
  let graph: GraphData | null = null;
  let functions = 0;
  r.fields('ModelProto', (f, w) => {
    switch (f) {
      case 1:
        r.expect(w, 0, 'ModelProto.ir_version');
        irVersion = r.varint('ModelProto.ir_version');
        return true;
      case 2:
        r.expect(w, 2, 'ModelProto.producer_name');
        producerName = r.string('ModelProto.producer_name');
        return true;
      case 3:
        r.expect(w, 2, 'ModelProto.producer_version');
        producerVersion = r.string('ModelProto.producer_version');
        return true;
      case 7:
        r.expect(w, 2, 'ModelProto.graph');
        if (graph !== null) r.fail('ModelProto.graph given twice');
        graph = readGraph(r.sub('ModelProto.graph'), 0);
        return true;
      case 8: {
        r.expect(w, 2, 'ModelProto.opset_import');
        const o = r.sub('ModelProto.opset_import');
        let domain = '';
        let version = 0;
        o.fields('OperatorSetIdProto', (of, ow) => {
          if (of === 1) {
            o.expect(ow, 2, 'OperatorSetIdProto.domain');
            domain = o.string('OperatorSetIdProto.domain');
            return true;
          }
          if (of === 2) {
            o.expect(ow, 0, 'OperatorSetIdProto.version');
            version = o.varint('OperatorSetIdProto.version');
            return true;
          }
          return false;
        });
        opsets.set(domain === 'ai.onnx' ? '' : domain, version);
        return true;
      }
      case 25:
        functions++;
        return false;
    }
    return false;
  });
  if (graph === null) {
    throw new ModelFormatError(`${where}: not an ONNX model: no ModelProto.graph in ${bytes.length} bytes${bytes.length === 0 ? '' : ` (first bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`}`);
  }
  return { irVersion, producerName, producerVersion, opsets, graph, functions };
}
