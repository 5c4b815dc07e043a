/**
 * Tensor: the value type that crosses the public API — a shape and a flat
 * row-major Float32Array. It owns no graph and needs no dispose(); kernels never
 * see Tensors, only their `data`.
 */

/** Nested JS arrays of numbers, e.g. `number[][][]` for `[batch, time, features]`. */
export type NestedArray = number | readonly NestedArray[];

export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  constructor(data: Float32Array, shape: readonly number[]) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new RangeError(`tensor: shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** The values as nested JS arrays (a plain number for a rank-0 tensor). */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0]!;
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === this.shape.length - 1 ? this.data[offset + i]! : build(dim + 1, offset + i * stride);
      }
      return out;
    };
    return build(0, 0);
  }

  /** tfjs's `dataSync()`: the flat values (this tensor's own `data`, not a copy). */
  dataSync(): Float32Array {
    return this.data;
  }

  /** tfjs's `arraySync()`: `toArray()`. */
  arraySync(): NestedArray {
    return this.toArray();
  }

  /** tfjs's `array()`: `toArray()`, as a promise. (tfjs's `data()` is this class's `data` field.) */
  array(): Promise<NestedArray> {
    return Promise.resolve(this.toArray());
  }

  /** tfjs's `dispose()`: nothing to free (the garbage collector owns a Tensor's values); kept so tfjs code runs unchanged. */
  dispose(): void {}

  toString(): string {
    return `Tensor [${this.shape.join(', ')}]`;
  }
}

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Make a Tensor from nested arrays (shape inferred, or checked against `shape`),
 * or from flat values with an explicit shape.
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: readonly number[]): Tensor {
  if (ArrayBuffer.isView(values) || (Array.isArray(values) && shape !== undefined && values.every((v) => typeof v === 'number'))) {
    const flat = values as ArrayLike<number>;
    const s = shape ?? [flat.length];
    return new Tensor(Float32Array.from(flat), s);
  }
  if (typeof values === 'number') return new Tensor(Float32Array.of(values), shape ?? []);
  const inferred = inferShape(values as NestedArray, 'tensor');
  if (shape !== undefined && (shape.length !== inferred.length || shape.some((d, i) => d !== inferred[i]))) {
    if (shapeSize(shape) !== shapeSize(inferred)) {
      throw new RangeError(`tensor: values have shape [${inferred.join(', ')}], which does not fit shape [${shape.join(', ')}]`);
    }
  }
  const data = new Float32Array(shapeSize(inferred));
  flattenInto(values as NestedArray, data, 0);
  return new Tensor(data, shape ?? inferred);
}

/** Shape of a nested array; throws naming the first ragged or non-numeric position. */
export function inferShape(values: NestedArray, what: string): number[] {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = (probe as readonly NestedArray[])[0]!;
  }
  const check = (v: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') {
        throw new TypeError(`${what}: expected a number at [${path.join('][')}], got ${describe(v)}`);
      }
      return;
    }
    if (!Array.isArray(v)) {
      throw new TypeError(`${what}: expected an array at [${path.join('][')}] (dimension ${dim}), got ${describe(v)}`);
    }
    if (v.length !== shape[dim]) {
      throw new RangeError(`${what}: ragged array: length ${v.length} at [${path.join('][')}], expected ${shape[dim]} like the first entry`);
    }
    for (let i = 0; i < v.length; i++) check(v[i] as NestedArray, dim + 1, [...path, i]);
  };
  check(values, 0, []);
  return shape;
}

function flattenInto(v: NestedArray, out: Float32Array, offset: number): number {
  if (typeof v === 'number') {
    out[offset] = v;
    return offset + 1;
  }
  for (const e of v) offset = flattenInto(e, out, offset);
  return offset;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v === null) return 'null';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

/** Accept a Tensor or nested arrays at an API boundary. */
export function toTensor(x: Tensor | NestedArray, what: string): Tensor {
  if (x instanceof Tensor) return x;
  if (ArrayBuffer.isView(x)) {
    throw new TypeError(`${what}: a flat typed array has no shape; wrap it as tensor(data, shape)`);
  }
  if (typeof x !== 'number' && !Array.isArray(x)) {
    throw new TypeError(`${what}: expected a Tensor or nested arrays of numbers, got ${describe(x)}`);
  }
  const shape = inferShape(x, what);
  const data = new Float32Array(shapeSize(shape));
  flattenInto(x, data, 0);
  return new Tensor(data, shape);
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? '*' : String(d))).join(', ')}]`;
}
