/**
 * Weight bytes of the TF.js layers-model format, as tfjs (`tf.io.encodeWeights` /
 * `decodeWeights`) and the tensorflowjs converter (`write_weights.py`) write them:
 *
 * - `weightsManifest` is a list of groups `{paths, weights}`; the shards of every group,
 *   in order, concatenated group after group, hold the values of every entry, in manifest
 *   order, back to back with no padding (a 6-byte uint8 weight leaves the next float32
 *   at an odd offset). Shards split the byte stream at any byte, even inside a weight.
 * - Values are little-endian. An entry's `dtype` is the dtype of the tensor it decodes to
 *   (float32 for a quantized float weight); `quantization.dtype` is how it is stored:
 *   uint8/uint16 with `value = q·scale + min` (converter: `{dtype, min, scale,
 *   original_dtype}`), or float16 (IEEE half precision).
 *
 * Browser-safe: ArrayBuffer / DataView / typed arrays only.
 */
import { ModelFormatError, table, show } from '../core/errors.js';

/** Dtypes a manifest entry may name. rnnkit decodes all but 'string' and 'complex64'. */
export type WeightDtype = 'float32' | 'int32' | 'bool' | 'uint8' | 'uint16' | 'float16' | 'string' | 'complex64';

/** How a weight is stored when quantized; dequantized on decode. */
export interface WeightQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  /** uint8/uint16: value = q·scale + min. */
  scale?: number;
  min?: number;
  /** Written by the tensorflowjs converter ('float32'); informative only. */
  original_dtype?: string;
}

/** One entry of a weights manifest group. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  quantization?: WeightQuantization;
  /** tfjs: 'model' or 'optimizer' (weights of a stateful optimizer). */
  group?: string;
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightEntry[];
}

export type WeightsManifest = WeightsManifestGroup[];

/** A decoded weight: its shape and float32 values (row-major). */
export interface StoredWeight {
  shape: number[];
  data: Float32Array;
  /** The manifest entry's group ('optimizer' for optimizer state), when it has one. */
  group?: string;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const BYTES: Readonly<Record<string, number>> = table({ float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 });
const SUPPORTED = 'float32, int32, bool, uint8, uint16, float16';

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

// ---------------------------------------------------------------------------------------
// float16
// ---------------------------------------------------------------------------------------

/** IEEE 754 half-precision bits (0..65535) → the number they encode (exact in float32). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A number → the nearest IEEE 754 half-precision bits (round half to even; overflow → ±Infinity). */
export function float32ToFloat16(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(Math.fround(value));
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // zero or subnormal: units of 2^-24, round half to even (0x400 is exactly the smallest normal)
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp -= 1; // guard against log2 rounding
  else if (2 ** (exp + 1) <= a) exp += 1;
  let mant = roundHalfEven((a / 2 ** exp - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    exp += 1;
  }
  if (exp > 15) return sign | 0x7c00;
  return sign | ((exp + 15) << 10) | mant;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// ---------------------------------------------------------------------------------------
// encode
// ---------------------------------------------------------------------------------------

/** float32 weights → manifest entries and their little-endian bytes, concatenated in order. */
export function encodeWeights(entries: readonly { name: string; shape: readonly number[]; data: Float32Array; group?: string | undefined }[]): {
  specs: WeightEntry[];
  data: ArrayBuffer;
} {
  const specs: WeightEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const e of entries) {
    const size = e.shape.reduce((p, d) => p * d, 1);
    if (e.data.length !== size) throw new RangeError(`encodeWeights: weight '${e.name}' has shape ${fmtShape(e.shape)} (${size} values) but ${e.data.length} values`);
    if (seen.has(e.name)) throw new RangeError(`encodeWeights: two weights are named '${e.name}'`);
    seen.add(e.name);
    const spec: WeightEntry = { name: e.name, shape: [...e.shape], dtype: 'float32' };
    if (e.group !== undefined) spec.group = e.group;
    specs.push(spec);
    total += e.data.length * 4;
  }
  const out = new ArrayBuffer(total);
  const bytes = new Uint8Array(out);
  const view = new DataView(out);
  let offset = 0;
  for (const e of entries) {
    if (LITTLE_ENDIAN_HOST) bytes.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), offset);
    else for (let i = 0; i < e.data.length; i++) view.setFloat32(offset + 4 * i, e.data[i]!, true);
    offset += e.data.byteLength;
  }
  return { specs, data: out };
}

/** Join shards (in manifest order) into one buffer. */
export function concatShards(buffers: readonly (ArrayBuffer | ArrayBufferView)[]): ArrayBuffer {
  const views = buffers.map((b) => (ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b)));
  const out = new Uint8Array(views.reduce((n, v) => n + v.byteLength, 0));
  let offset = 0;
  for (const v of views) {
    out.set(v, offset);
    offset += v.byteLength;
  }
  return out.buffer;
}

// ---------------------------------------------------------------------------------------
// decode
// ---------------------------------------------------------------------------------------

interface Plan {
  spec: WeightEntry;
  size: number;
  storage: string;
  offset: number;
  bytes: number;
}

function checkSpec(spec: unknown, index: number, where: string): WeightEntry {
  if (spec === null || typeof spec !== 'object') throw new ModelFormatError(`${where}: weightsManifest entry ${index} is not an object`);
  const s = spec as Partial<WeightEntry>;
  if (typeof s.name !== 'string' || s.name === '') throw new ModelFormatError(`${where}: weightsManifest entry ${index} has no name`);
  if (!Array.isArray(s.shape) || !s.shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new ModelFormatError(`${where}: weight '${s.name}' has an invalid shape ${show(s.shape)?.slice(0, 80)}; expected a list of non-negative integers`);
  }
  if (typeof s.dtype !== 'string') throw new ModelFormatError(`${where}: weight '${s.name}' has no dtype`);
  if (s.group !== undefined && s.group !== null && typeof s.group !== 'string') throw new ModelFormatError(`${where}: weight '${s.name}' has a group ${show(s.group)?.slice(0, 80)}; expected a string`);
  return s as WeightEntry;
}

function storageOf(spec: WeightEntry, where: string): string {
  const q = spec.quantization;
  if (q !== undefined && q !== null) {
    if (typeof q !== 'object') throw new ModelFormatError(`${where}: weight '${spec.name}' has an invalid quantization ${JSON.stringify(q)}`);
    const qd = (q as { dtype?: unknown }).dtype;
    if (qd !== 'uint8' && qd !== 'uint16' && qd !== 'float16') {
      throw new ModelFormatError(`${where}: weight '${spec.name}' has unknown quantization dtype ${JSON.stringify(qd)}; supported: uint8, uint16, float16`);
    }
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') {
      throw new ModelFormatError(`${where}: weight '${spec.name}' is quantized (${qd}) but has dtype '${spec.dtype}'; quantized weights decode to float32 or int32`);
    }
    if (qd === 'float16' && spec.dtype !== 'float32') {
      throw new ModelFormatError(`${where}: weight '${spec.name}' is float16-quantized but has dtype '${spec.dtype}'; float16 only stores float32 weights`);
    }
    if (qd !== 'float16' && (typeof q.scale !== 'number' || !Number.isFinite(q.scale) || typeof q.min !== 'number' || !Number.isFinite(q.min))) {
      throw new ModelFormatError(
        `${where}: weight '${spec.name}' is quantized to ${qd} but its quantization lacks a finite scale and min (found scale ${JSON.stringify(q.scale)}, min ${JSON.stringify(q.min)})`,
      );
    }
    return qd;
  }
  if (BYTES[spec.dtype] === undefined) {
    throw new ModelFormatError(`${where}: weight '${spec.name}' has dtype '${String(spec.dtype)}', which rnnkit cannot load; supported dtypes: ${SUPPORTED}`);
  }
  return spec.dtype;
}

/** One weight of a manifest group, as laid out in the group's bytes. */
export interface LayoutWeight {
  name: string;
  shape: number[];
  storage: string;
  bytes: number;
}

/**
 * A weights manifest checked before any file is read: per group (in order) the bytes its
 * files must hold together, its weights, and its paths with the place each is written in
 * model.json (`weightsManifest[0].paths[1]`), for messages.
 */
export interface ManifestLayout {
  total: number;
  groups: { bytes: number; weights: LayoutWeight[]; paths: { path: string; at: string }[] }[];
}

/**
 * Check a weights manifest (groups of {paths, weights}) before any file is read: every group
 * an object, its paths non-empty strings (where they may lead is the reader's check), its
 * weights valid entries with non-negative safe-integer shapes; the bytes they need together
 * are refused above `maxBytes`.
 */
export function manifestLayout(manifest: unknown, maxBytes: number, where: string): ManifestLayout {
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${where}: weightsManifest must be a list`);
  let total = 0;
  const groups = manifest.map((g, gi) => {
    const at = `${where}: weightsManifest[${gi}]`;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new ModelFormatError(`${at} must be an object with paths and weights`);
    const { paths, weights } = g as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths)) throw new ModelFormatError(`${at}.paths must be a list of file names`);
    const named = paths.map((p, pi) => {
      if (typeof p !== 'string' || p === '') throw new ModelFormatError(`${at}.paths[${pi}] must be a non-empty file name, got ${show(p)?.slice(0, 80)}`);
      if (p.includes('\0')) throw new ModelFormatError(`${at}.paths[${pi}] ${JSON.stringify(p)} holds a NUL character`);
      return { path: p, at: `weightsManifest[${gi}].paths[${pi}]` };
    });
    if (!Array.isArray(weights)) throw new ModelFormatError(`${at}.weights must be a list`);
    let bytes = 0;
    const laid = weights.map((raw, wi) => {
      const spec = checkSpec(raw, wi, at);
      const storage = storageOf(spec, at);
      let size = BYTES[storage]!;
      for (const d of spec.shape) size *= d;
      if (!Number.isSafeInteger(size)) throw new ModelFormatError(`${at}: weight '${spec.name}' ${fmtShape(spec.shape)} is too large`);
      total += size;
      bytes += size;
      if (total > maxBytes) throw new ModelFormatError(`${at}: the weights need more than ${maxBytes} bytes (up to '${spec.name}' ${fmtShape(spec.shape)}); loadModel's maxBytes option sets the limit`);
      return { name: spec.name, shape: spec.shape, storage, bytes: size };
    });
    return { bytes, weights: laid, paths: named };
  });
  return { total, groups };
}

/** The bytes a weights manifest needs (see manifestLayout). */
export function manifestBytes(manifest: unknown, maxBytes: number, where: string): number {
  return manifestLayout(manifest, maxBytes, where).total;
}

/**
 * Compare the sizes of a manifest's files (`sizes[g][k]`: group g's k-th path, from stat or
 * from what a server sent) with what each group needs, before the bytes are decoded: a
 * group's files hold exactly its weights (tfjs and the converter write them so). A mismatch
 * is a ModelFormatError naming the file(s), both sizes, and for too few bytes the weight
 * where the data ends.
 */
export function checkShardSizes(layout: ManifestLayout, sizes: readonly (readonly number[])[], where: string): void {
  const found = sizes.reduce((n, g) => n + g.reduce((a, b) => a + b, 0), 0);
  layout.groups.forEach((g, gi) => {
    const have = sizes[gi] ?? [];
    const sum = have.reduce((a, b) => a + b, 0);
    if (sum === g.bytes) return;
    if (g.paths.length === 0) throw new ModelFormatError(`${where}: weightsManifest[${gi}] lists ${g.weights.length} weights (${g.bytes} bytes) but no files to read them from (its paths are empty)`);
    const files =
      g.paths.length === 1
        ? `weights file ${JSON.stringify(g.paths[0]!.path)} (${g.paths[0]!.at}) holds ${sum} bytes`
        : `the weight files of weightsManifest[${gi}] (${g.paths.map((p, k) => `${JSON.stringify(p.path)} ${have[k] ?? 0} bytes`).join(', ')}) hold ${sum} bytes together`;
    const totals = found === layout.total ? '' : `; weight data has ${found} bytes but the manifest needs ${layout.total}`;
    if (sum > g.bytes) {
      throw new ModelFormatError(
        `${where}: ${files} but the manifest needs only ${g.bytes} for ${g.paths.length === 1 ? 'it' : 'them'}${totals}: the .bin files do not belong to this model.json, or a weight is missing from its manifest`,
      );
    }
    let end = 0;
    const cut = g.weights.find((w) => (end += w.bytes) > sum)!;
    const complete = g.weights.indexOf(cut);
    throw new ModelFormatError(
      `${where}: ${files} but the manifest needs ${g.bytes} for ${g.paths.length === 1 ? 'it' : 'them'}${totals} ` +
        `(the data ends inside '${cut.name}' ${fmtShape(cut.shape)} ${cut.storage}, ${complete} of ${g.weights.length} weights of this group complete). Is a .bin shard missing or truncated?`,
    );
  });
}

/**
 * Decode weight bytes (all shards concatenated, see concatShards) with the manifest's
 * entries (all groups' `weights`, in order). Quantized entries are dequantized; every
 * value comes back as float32. Throws ModelFormatError when the byte count does not
 * match the manifest, for unsupported dtypes, and for duplicate names.
 */
export function decodeWeights(data: ArrayBuffer | ArrayBufferView, specs: readonly WeightEntry[], where: string): Map<string, StoredWeight> {
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  if (!Array.isArray(specs)) throw new ModelFormatError(`${where}: the weights manifest's weights must be a list`);
  const plans: Plan[] = [];
  const names = new Set<string>();
  let offset = 0;
  specs.forEach((raw, i) => {
    const spec = checkSpec(raw, i, where);
    if (names.has(spec.name)) throw new ModelFormatError(`${where}: the weights manifest lists weight '${spec.name}' twice`);
    names.add(spec.name);
    const storage = storageOf(spec, where);
    const size = spec.shape.reduce((p, d) => p * d, 1);
    const n = size * BYTES[storage]!;
    plans.push({ spec, size, storage, offset, bytes: n });
    offset += n;
  });
  const needed = offset;
  const found = bytes.byteLength;
  if (found < needed) {
    const cut = plans.find((p) => p.offset + p.bytes > found)!;
    const complete = plans.indexOf(cut);
    throw new ModelFormatError(
      `${where}: weight data has ${found} bytes but the manifest needs ${needed} (weights up to '${cut.spec.name}' need ${cut.offset + cut.bytes} bytes; ` +
        `the data ends inside '${cut.spec.name}' ${fmtShape(cut.spec.shape)} ${cut.storage}, ${complete} of ${plans.length} weights complete). ` +
        `Is a .bin shard missing or truncated?`,
    );
  }
  if (found > needed) {
    const last = plans.length === 0 ? 'none' : `'${plans[plans.length - 1]!.spec.name}'`;
    throw new ModelFormatError(
      `${where}: weight data has ${found} bytes but the manifest needs only ${needed}: ${found - needed} extra bytes after the last weight (${last}); ` +
        `the .bin shards do not belong to this model.json, or a weight is missing from its manifest`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, StoredWeight>();
  for (const p of plans) {
    const values = decodeOne(p, bytes, view, where);
    const w: StoredWeight = { shape: [...p.spec.shape], data: values };
    if (typeof p.spec.group === 'string') w.group = p.spec.group;
    out.set(p.spec.name, w);
  }
  return out;
}

function decodeOne(p: Plan, bytes: Uint8Array, view: DataView, where: string): Float32Array {
  const { size, offset, storage, spec } = p;
  const out = new Float32Array(size);
  switch (storage) {
    case 'float32':
      if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + p.bytes));
      else for (let i = 0; i < size; i++) out[i] = view.getFloat32(offset + 4 * i, true);
      return out;
    case 'int32':
      for (let i = 0; i < size; i++) out[i] = view.getInt32(offset + 4 * i, true);
      return out;
    case 'bool':
      for (let i = 0; i < size; i++) out[i] = bytes[offset + i] !== 0 ? 1 : 0;
      return out;
    case 'float16':
      for (let i = 0; i < size; i++) out[i] = float16ToFloat32(view.getUint16(offset + 2 * i, true));
      return out;
    case 'uint8':
    case 'uint16': {
      const q = spec.quantization;
      const wide = storage === 'uint16';
      const read = (i: number): number => (wide ? view.getUint16(offset + 2 * i, true) : bytes[offset + i]!);
      if (q === undefined || q === null) {
        for (let i = 0; i < size; i++) out[i] = read(i);
        return out;
      }
      // tfjs: float32 values = q·scale + min (computed in float64, stored as float32); int32 rounds.
      const scale = q.scale!;
      const min = q.min!;
      const round = spec.dtype === 'int32';
      for (let i = 0; i < size; i++) {
        const v = read(i) * scale + min;
        out[i] = round ? Math.round(v) : v;
      }
      return out;
    }
    default:
      throw new ModelFormatError(`${where}: weight '${spec.name}' has unsupported storage dtype '${storage}'`);
  }
}

// ---------------------------------------------------------------------------------------
// match stored names to a model's weights
// ---------------------------------------------------------------------------------------

/** A weight the model needs: `layer` is the top-level layer name; `name` the rest (e.g. 'kernel', 'forward_lstm/kernel'). */
export interface ExpectedWeight {
  key: string;
  layer: string;
  name: string;
  shape: readonly number[];
}

/** Keras RNN cell scopes ('lstm_cell', 'gru_cell_3', 'simple_rnn_cell', 'cell'): not part of rnnkit's names. */
const CELL_SCOPE = /(^|_)cell(_\d+)?$/;

function splitStored(name: string): string[] {
  const base = name.endsWith(':0') ? name.slice(0, -2) : name;
  return base.split('/');
}

/**
 * The TensorFlow.js converter names a Keras 3 Bidirectional's halves after the forward
 * layer, each with its direction put in front once more: the halves 'forward_lstm' and
 * 'backward_lstm' are stored as 'bidirectional/forward_forward_lstm/kernel' and
 * 'bidirectional/backward_forward_lstm/kernel'.
 */
function keras3TfjsHalf(stored: string, want: string): boolean {
  if (want.startsWith('forward_')) return stored === `forward_${want}`;
  if (want.startsWith('backward_')) return stored === `backward_forward_${want.slice('backward_'.length)}`;
  return false;
}

/**
 * How well a stored name fits an expected weight: 2 = same layer, weight name and
 * scopes (after dropping Keras cell scopes and a ':0' suffix); 1 = same layer and weight
 * name with no scope where one is expected (Keras 2 TimeDistributed stores
 * 'time_distributed/kernel' for the inner Dense); 0 = no match.
 */
function fit(stored: string[], expected: ExpectedWeight): 0 | 1 | 2 {
  if (stored.length < 2 || stored[0] !== expected.layer) return 0;
  const want = expected.name.split('/');
  if (stored[stored.length - 1] !== want[want.length - 1]) return 0;
  const middle = stored.slice(1, -1);
  const wantMiddle = want.slice(0, -1);
  const same = (m: readonly string[]): boolean => m.length === wantMiddle.length && m.every((c, i) => c === wantMiddle[i] || (i === 0 && keras3TfjsHalf(c, wantMiddle[0]!)));
  // A Keras cell scope is the last one; a layer may itself be named like one ('forward_encoder_cell').
  if (same(middle) || (middle.length > 0 && CELL_SCOPE.test(middle[middle.length - 1]!) && same(middle.slice(0, -1)))) return 2;
  if (middle.length === 0 && wantMiddle.length > 0) return 1;
  return 0;
}

/**
 * A name scope around every stored weight: TensorFlow 1 graphs and some converters store a
 * model's variables under its scope ('AttSeq2Seq/embedding/embeddings', 'sequential/dense/kernel').
 * Dropped (in place) only where no stored name begins with a layer of the model and every one
 * begins with the same scope, named by no layer, with a weight path after it: then no name could
 * match as stored, and each still has to match exactly without it.
 */
function dropOuterScope(stored: { parts: string[] }[], expected: readonly ExpectedWeight[]): void {
  const layers = new Set(expected.map((e) => e.layer));
  const scope = stored[0]?.parts[0];
  if (scope === undefined || layers.has(scope)) return;
  if (!stored.every((s) => s.parts.length >= 3 && s.parts[0] === scope)) return;
  for (const s of stored) s.parts = s.parts.slice(1);
}

/** A few stored names for a refusal: those of no layer of the model first (they show what went wrong), then the count. */
function storedSample(stored: readonly { name: string; parts: string[] }[], expected: readonly ExpectedWeight[]): string {
  if (stored.length === 0) return 'none';
  const layers = new Set(expected.map((e) => e.layer));
  const shown = [...stored.filter((s) => !layers.has(s.parts[0]!)), ...stored.filter((s) => layers.has(s.parts[0]!))].slice(0, 3);
  return `${shown.map((t) => `'${t.name}'`).join(', ')}${stored.length > 3 ? `, … ${stored.length} in all` : ''}`;
}

/**
 * Keras 3's Bidirectional as the TensorFlow.js converter writes it from a legacy .h5 (Keras 3.14,
 * converter 4.22): its halves stored without the Bidirectional's own scope
 * ('forward_lstm/lstm_cell/kernel' for layer 'bidirectional'). Where a stored name's first scope
 * names no layer of the model but is a half of exactly one Bidirectional that no stored name
 * begins with, that layer's name is put in front (in place); each then has to match exactly.
 */
function scopeBidirectionalHalves(stored: { parts: string[] }[], expected: readonly ExpectedWeight[]): void {
  const layers = new Set(expected.map((e) => e.layer));
  const owners = new Map<string, Set<string>>();
  for (const e of expected) {
    const half = e.name.split('/')[0]!;
    if (!/^(forward|backward)_/.test(half) || !e.name.includes('/') || stored.some((s) => s.parts[0] === e.layer)) continue;
    owners.set(half, (owners.get(half) ?? new Set()).add(e.layer));
  }
  for (const s of stored) {
    const owner = owners.get(s.parts[0]!);
    if (owner?.size === 1 && !layers.has(s.parts[0]!)) s.parts = [...owner, ...s.parts];
  }
}

/**
 * Find each expected weight among the stored ones and return their values in
 * `expected` order. Tolerates the naming styles files use: 'lstm/kernel' (rnnkit, tfjs),
 * 'lstm/lstm_cell/kernel' (Keras 2/3, converter), a ':0' suffix, Bidirectional
 * 'bidirectional/forward_lstm/lstm_cell/kernel', TimeDistributed 'time_distributed/kernel'
 * or 'time_distributed/dense/kernel'. Stored weights whose manifest group is 'optimizer'
 * are not model weights and are ignored. Throws ModelFormatError for a missing weight,
 * a stored weight no model weight takes, a wrong shape, and ambiguous names.
 */
export function matchWeights(expected: readonly ExpectedWeight[], available: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array; group?: string }>, where: string): Float32Array[] {
  const stored = [...available.entries()].filter(([, w]) => w.group !== 'optimizer').map(([name, w]) => ({ name, parts: splitStored(name), w }));
  dropOuterScope(stored, expected);
  scopeBidirectionalHalves(stored, expected);
  const claimedBy = new Map<string, string>();
  const out: Float32Array[] = [];
  for (const e of expected) {
    let best = 0;
    let candidates: typeof stored = [];
    for (const s of stored) {
      const f = fit(s.parts, e);
      if (f === 0 || f < best) continue;
      if (f > best) {
        best = f;
        candidates = [];
      }
      candidates.push(s);
    }
    if (candidates.length === 0) {
      const ofLayer = stored.filter((s) => s.parts[0] === e.layer).map((s) => `'${s.name}'`);
      throw new ModelFormatError(
        `${where}: weight '${e.key}' (shape ${fmtShape(e.shape)}) is missing from the weight data; ` +
          (ofLayer.length > 0
            ? `stored weights of layer '${e.layer}': ${ofLayer.join(', ')}`
            : `no stored weight belongs to layer '${e.layer}' (stored: ${storedSample(stored, expected)})`),
      );
    }
    if (candidates.length > 1) {
      throw new ModelFormatError(`${where}: weight '${e.key}' is ambiguous: stored weights ${candidates.map((c) => `'${c.name}'`).join(' and ')} all match it`);
    }
    const s = candidates[0]!;
    const other = claimedBy.get(s.name);
    if (other !== undefined) {
      throw new ModelFormatError(`${where}: stored weight '${s.name}' is ambiguous: it matches both '${other}' and '${e.key}'`);
    }
    claimedBy.set(s.name, e.key);
    const shape = s.w.shape;
    if (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i])) {
      throw new ModelFormatError(`${where}: weight '${e.key}' has the wrong shape: the model expects ${fmtShape(e.shape)}, stored weight '${s.name}' has ${fmtShape(shape)}`);
    }
    out.push(s.w.data);
  }
  const extra = stored.filter((s) => !claimedBy.has(s.name));
  if (extra.length > 0) {
    const e = extra[0]!;
    const layerExpected = expected.filter((x) => x.layer === e.parts[0]).map((x) => `'${x.key}'`);
    throw new ModelFormatError(
      `${where}: stored weight '${e.name}' ${fmtShape(e.w.shape)} matches no weight of the model` +
        (extra.length > 1 ? ` (${extra.length} such stored weights: ${extra.map((x) => `'${x.name}'`).join(', ')})` : '') +
        (layerExpected.length > 0 ? `; layer '${e.parts[0]}' has ${layerExpected.join(', ')}` : `; the model has no layer '${e.parts[0]}'`),
    );
  }
  return out;
}
