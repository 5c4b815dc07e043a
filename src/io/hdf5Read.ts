/**
 * Reading HDF5 files (Keras's `.h5` files and the `model.weights.h5` inside a `.keras` zip)
 * with jsfive, as untrusted input: the size, signature and end-of-file address checked
 * before jsfive parses anything, attribute counts and dataset sizes bounded by the bytes at
 * hand, filtered (compressed) datasets refused, and whatever jsfive throws on a damaged file
 * turned into a ModelFormatError naming the file.
 */
import { ModelFormatError, show } from '../core/errors.js';
import { lfsNote } from './lfsPointer.js';

/** HDF5's signature (the superblock of a file without a user block starts the file). */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export const FLOAT_DTYPES = new Set(['<f4', '>f4', '<f8', '>f8']);
const INT_DTYPES = new Set(['<i8', '>i8', '<i4', '>i4', '<u8', '>u8', '<u4', '>u4']);

/**
 * A weight dataset's reader after its dtype is checked: float32 and float64 values; integers
 * too for a weight Keras keeps as an integer (`integral`, Normalization's count), read as
 * numbers (int64 may come as BigInt). Anything else is a ModelFormatError naming `at`.
 */
export function weightReader(d: H5Dataset, integral: boolean, at: string): () => Float32Array {
  const dtype = typeof d.dtype === 'string' ? d.dtype : JSON.stringify(d.dtype);
  if (FLOAT_DTYPES.has(dtype)) return () => Float32Array.from(d.value as ArrayLike<number>);
  if (integral && INT_DTYPES.has(dtype)) return () => Float32Array.from(d.value as ArrayLike<number | bigint>, (v) => Number(v));
  throw new ModelFormatError(`${at}: dtype ${dtype}; rnnkit reads float32 and float64 weights${integral ? ' (and integers for this count)' : ''}`);
}

export type H5Group = import('jsfive').Group;
export type H5Dataset = import('jsfive').Dataset;

export const isDataset = (v: unknown): v is H5Dataset => v instanceof Object && 'shape' in v;

/** Every dataset under a group, by its path there, with its shape; values not read. */
export function datasetsUnder(root: H5Group, at: string): Map<string, H5Dataset> {
  const found = new Map<string, H5Dataset>();
  const walk = (g: H5Group, path: string, depth: number): void => {
    if (depth > 32) throw new ModelFormatError(`${at}: groups nested more than 32 deep at ${path}`);
    for (const k of g.keys) {
      const p = path === '' ? k : `${path}/${k}`;
      const child = g.get(k);
      if (isDataset(child)) {
        if (found.size >= 100_000) throw new ModelFormatError(`${at}: more than 100000 datasets`);
        const shape: unknown = child.shape;
        if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new ModelFormatError(`${at}: ${p}: shape ${show(shape)} is not a list of sizes`);
        // jsfive inflates a compressed chunk whole, however far it expands (a zip bomb);
        // Keras writes its weights unfiltered.
        const dobj = (child as unknown as { _dataobjects?: { filter_pipeline?: unknown } })._dataobjects;
        if (dobj === undefined) throw new Error("this jsfive version does not expose a dataset's filters");
        if (dobj.filter_pipeline !== null && dobj.filter_pipeline !== undefined) throw new ModelFormatError(`${at}: ${p}: a compressed or filtered dataset; rnnkit reads weights stored unfiltered, as Keras writes them`);
        found.set(p, child);
      } else walk(child as H5Group, p, depth + 1);
    }
  };
  walk(root, '', 0);
  return found;
}

/**
 * The values the datasets hold, refused over maxBytes (4 bytes a value) or over what the
 * file can hold: weights are stored unfiltered, at least 4 bytes a value, so a shape
 * claiming more is damaged (and jsfive would allocate it before reading past the end).
 */
export function countValues(datasets: Map<string, H5Dataset>, fileBytes: number, at: string, maxBytes: number): number {
  let values = 0;
  for (const d of datasets.values()) values += d.shape.reduce((a, b) => a * b, 1);
  if (4 * values > maxBytes) throw new ModelFormatError(`${at}: its datasets hold ${values} values, more than the ${maxBytes} bytes accepted (the maxBytes option)`);
  if (4 * values > fileBytes) throw new ModelFormatError(`${at}: its datasets claim ${values} values, more than the file's ${fileBytes} bytes can hold (a damaged shape)`);
  return values;
}

/**
 * The superblock's end-of-file address against the bytes at hand: a truncated file is
 * refused here, as the HDF5 library refuses it, instead of reading past the end (jsfive
 * gives short arrays or garbage there rather than failing).
 */
function checkEndOfFile(data: Uint8Array, where: string): void {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bad = (why: string): ModelFormatError => new ModelFormatError(`${where}: not a readable HDF5 file: ${why}`);
  if (data.length < 48) throw bad(`${data.length} bytes, shorter than its superblock (a truncated file)`);
  const version = data[8]!;
  // Superblock v0/v1: sizes at 13; base, free-space, end-of-file, driver addresses from 24 (v1: 28). v2/v3: sizes at 9, addresses from 12.
  const size = version <= 1 ? data[13]! : version <= 3 ? data[9]! : -1;
  if (size !== 4 && size !== 8) throw bad(`superblock version ${version} with ${size}-byte offsets is not supported`);
  const at = (version === 0 ? 24 : version === 1 ? 28 : 12) + 2 * size;
  const read = (p: number): number => (size === 4 ? dv.getUint32(p, true) : Number(dv.getBigUint64(p, true)));
  const base = read(at - 2 * size);
  const eof = read(at);
  if (base + eof > data.length) throw bad(`its superblock says it ends at byte ${base + eof}, but it has ${data.length} bytes (a truncated file)`);
}

/** The parsed file (jsfive, imported here), after the size, signature and end-of-file checks. */
export async function openH5(data: Uint8Array, where: string, maxBytes: number): Promise<H5Group> {
  if (data.byteLength > maxBytes) throw new ModelFormatError(`${where}: ${data.byteLength} bytes, more than the ${maxBytes} accepted (the maxBytes option)`);
  if (data.byteLength < SIGNATURE.length || SIGNATURE.some((b, i) => data[i] !== b)) throw new ModelFormatError(`${where}: not an HDF5 file (no HDF5 signature at its start)${lfsNote(data)}`);
  checkEndOfFile(data, where);
  let hdf5: typeof import('jsfive');
  try {
    hdf5 = await import('jsfive');
  } catch (e) {
    throw new Error(`${where}: reading HDF5 needs the 'jsfive' package (a dependency of rnnkit; in a browser without a bundler, map it with an import map): ${(e as Error).message}`);
  }
  const file = reading(where, () => new hdf5.File(data.slice().buffer as ArrayBuffer, where));
  guardAttributes(file);
  return file;
}

/**
 * jsfive reads an attribute's values into `new Array(count)` with the count its dataspace
 * claims, and reads past the end of the file as empty strings: one damaged dimension (a
 * byte flip made 12 names into 1.5 billion) exhausts the heap. Every value of an attribute
 * takes at least one byte of the buffer it is read from, so a larger count is refused before
 * anything is allocated. The guard wraps the method on jsfive's (unexported) DataObjects
 * prototype, once.
 */
function guardAttributes(file: H5Group): void {
  const dobj = (file as unknown as { _dataobjects?: object })._dataobjects;
  const proto = dobj === undefined ? undefined : (Object.getPrototypeOf(dobj) as Record<string | symbol, unknown>);
  if (proto === undefined || typeof proto._attr_value !== 'function') throw new Error("this jsfive version does not read attributes as rnnkit expects (DataObjects._attr_value)");
  if (proto[GUARDED] === true) return;
  const read = proto._attr_value as (this: unknown, dtype: unknown, buf: { byteLength: number }, count: number, offset: number) => unknown;
  proto._attr_value = function (this: unknown, dtype: unknown, buf: { byteLength: number }, count: number, offset: number): unknown {
    if (!(Number.isSafeInteger(count) && count >= 0 && count <= buf.byteLength)) throw new Error(`an attribute claims ${count} values, more than the ${buf.byteLength} bytes they are read from hold`);
    return read.call(this, dtype, buf, count, offset);
  };
  proto[GUARDED] = true;
}

const GUARDED = Symbol.for('rnnkit.jsfiveAttributeGuard');

/**
 * jsfive parses lazily and throws anything (TypeErrors, RangeErrors, strings) on a damaged
 * file: every read of the file happens inside this wrapper, which makes them ModelFormatErrors.
 */
export function reading<T>(where: string, fn: () => T): T {
  // jsfive console.warns (with the raw bytes of a damaged name) when an attribute's type is
  // one it cannot read, and gives null: rnnkit refuses such a value where it needs it, so the
  // warning is silenced while the (synchronous) read runs.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return fn();
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    // The reader's own words ("thing is not a function") say little; they follow the diagnosis.
    throw new ModelFormatError(`${where}: not a readable HDF5 file (damaged or cut short: the HDF5 reader stopped with: ${e instanceof Error ? e.message : String(e)})`);
  } finally {
    console.warn = warn;
  }
}

