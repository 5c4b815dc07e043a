/**
 * The few ONNX protobuf messages the exporter writes, encoded by hand: a protobuf
 * library would be the package's first runtime dependency for ~150 lines of varints.
 * Field numbers are onnx.proto's (onnx/onnx, proto2 syntax: repeated scalars are
 * written unpacked, which every reader accepts). Tensor contents go to raw_data, little
 * endian, as the ONNX spec asks.
 */

/** TensorProto.DataType values used here. */
export const DType = { float: 1, int32: 6, int64: 7, bool: 9 } as const;
export type DTypeId = (typeof DType)[keyof typeof DType];

/** A growable byte buffer with protobuf's wire encodings. */
class Writer {
  private buf = new Uint8Array(256);
  private n = 0;

  private grow(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** Varint of a non-negative or negative integer (negative int64 as ten bytes, two's complement). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.grow(10);
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      this.buf[this.n++] = byte;
    } while (x !== 0n);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.grow(4);
    new DataView(this.buf.buffer).setFloat32(this.n, v, true);
    this.n += 4;
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.grow(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export type AttrValue = number | string | readonly number[] | readonly string[] | { float: number } | { floats: readonly number[] };

/** One attribute: integers (INT/INTS) unless wrapped as {float}/{floats}; strings as STRING/STRINGS. */
export interface Attr {
  readonly name: string;
  readonly value: AttrValue;
}

export interface NodeDef {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name: string;
  readonly attrs: readonly Attr[];
}

export interface TensorDef {
  readonly name: string;
  readonly dtype: DTypeId;
  readonly dims: readonly number[];
  /** Little-endian contents. */
  readonly raw: Uint8Array;
  /** external_data key / value pairs instead of raw (data_location EXTERNAL); tests write these. */
  readonly external?: readonly (readonly [string, string])[];
}

/** A graph input or output: element type and dims (a string is a symbolic dim). */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DTypeId;
  readonly dims: readonly (number | string)[];
}

export interface ModelDef {
  readonly irVersion: number;
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graphName: string;
  readonly docString: string;
  readonly nodes: readonly NodeDef[];
  readonly initializers: readonly TensorDef[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

// AttributeProto.AttributeType
const A_FLOAT = 1;
const A_INT = 2;
const A_STRING = 3;
const A_FLOATS = 6;
const A_INTS = 7;
const A_STRINGS = 8;

function writeAttr(w: Writer, a: Attr): void {
  w.string(1, a.name);
  const v = a.value;
  if (typeof v === 'number') {
    w.int(3, v);
    w.int(20, A_INT);
  } else if (typeof v === 'string') {
    w.string(4, v);
    w.int(20, A_STRING);
  } else if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') {
      for (const s of v as string[]) w.string(9, s);
      w.int(20, A_STRINGS);
    } else {
      for (const x of v as number[]) w.int(8, x);
      w.int(20, A_INTS);
    }
  } else if ('float' in (v as object)) {
    w.float(2, (v as { float: number }).float);
    w.int(20, A_FLOAT);
  } else {
    for (const x of (v as { floats: readonly number[] }).floats) w.float(7, x);
    w.int(20, A_FLOATS);
  }
}

function writeNode(w: Writer, n: NodeDef): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const a of n.attrs) w.message(5, (m) => writeAttr(m, a));
}

function writeTensor(w: Writer, t: TensorDef): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dtype);
  w.string(8, t.name);
  if (t.external === undefined) w.bytes(9, t.raw);
  else {
    for (const [k, v] of t.external) w.message(13, (e) => (e.string(1, k), e.string(2, v)));
    w.int(14, 1);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  // TypeProto.tensor_type (1) → TypeProto.Tensor {elem_type 1, shape 2 → TensorShapeProto {dim 1 → {dim_value 1 | dim_param 2}}}
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.dtype);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** ModelProto bytes. */
export function encodeModel(m: ModelDef): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString !== '') w.string(6, m.docString);
  w.message(7, (g) => {
    for (const n of m.nodes) g.message(1, (x) => writeNode(x, n));
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (x) => writeTensor(x, t));
    for (const v of m.inputs) g.message(11, (x) => writeValueInfo(x, v));
    for (const v of m.outputs) g.message(12, (x) => writeValueInfo(x, v));
  });
  // OperatorSetIdProto for the default domain ('' is the ai.onnx domain; domain field left out).
  w.message(8, (o) => o.int(2, m.opset));
  return w.finish();
}
