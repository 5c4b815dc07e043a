/**
 * ONNX external data: a tensor whose contents live in another file (data_location EXTERNAL,
 * external_data {location, offset, length, checksum}), as torch.onnx.export writes for
 * models over 2 GB and its newer exporter writes by default (`model.onnx.data`).
 *
 * Where the bytes come from: `options.externalData` (the files' bytes by location, as
 * written in the model — the way for a browser, or for bytes held in memory) when given,
 * else, when loadOnnx was given a path (Node), the files next to the model, read by
 * node.ts readFileRanges (inside the model's directory, links resolved, ranges checked
 * against each file's size and maxBytes before anything is read). Given bytes and no
 * externalData, such a model is refused, naming the tensor and the file. The checksum
 * (SHA-1) key is accepted and not verified; the element count of each tensor is checked
 * against the bytes it gets (import.ts readConst).
 */
import { ModelFormatError, show } from '../../core/errors.js';
import { readFileRanges, type FileRange } from '../node.js';
import type { ModelData, TensorData } from './decode.js';

/** The files' bytes by location, for models loaded from bytes. */
export type ExternalFiles = Readonly<Record<string, ArrayBuffer | ArrayBufferView>>;

const KEYS = ['location', 'offset', 'length', 'checksum'];

/** A tensor's external_data entries, checked: a location, and an offset and length that are decimal integers. */
export function externalRange(t: TensorData, where: string): FileRange {
  const label = `tensor '${t.name}' (byte ${t.offset})`;
  const get = new Map<string, string>();
  for (const [k, v] of t.externalData ?? []) {
    if (!KEYS.includes(k)) throw new ModelFormatError(`${where}: ${label}: external_data key ${JSON.stringify(k)} (read: ${KEYS.join(', ')})`);
    if (get.has(k)) throw new ModelFormatError(`${where}: ${label}: external_data key '${k}' given twice`);
    get.set(k, v);
  }
  const location = get.get('location');
  if (location === undefined || location === '') throw new ModelFormatError(`${where}: ${label} keeps its data in an external file but names none (external_data has no location)`);
  const int = (k: string): number | null => {
    const v = get.get(k);
    if (v === undefined) return null;
    const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw new ModelFormatError(`${where}: ${label}: external_data ${k} ${JSON.stringify(v.slice(0, 40))} is not a non-negative integer`);
    return n;
  };
  return { location, offset: int('offset') ?? 0, length: int('length'), label };
}

/** Every tensor of the model with external data: initializers and Constant nodes' values. */
function externalTensors(m: ModelData): TensorData[] {
  const out = m.graph.initializers.filter((t) => t.external);
  for (const n of m.graph.nodes) for (const a of n.attributes.values()) if (a.type === 'tensor' && a.value.external) out.push(a.value);
  return out;
}

/**
 * The bytes of every external tensor of `m`: from `files` when given, else from the files
 * next to `modelPath` (Node), else refused. Empty when no tensor is external.
 */
export async function resolveExternal(m: ModelData, where: string, modelPath: string | null, files: ExternalFiles | undefined, maxBytes: number): Promise<Map<TensorData, Uint8Array>> {
  const tensors = externalTensors(m);
  const out = new Map<TensorData, Uint8Array>();
  if (tensors.length === 0) return out;
  const ranges = tensors.map((t) => externalRange(t, where));
  if (files !== undefined) {
    let total = 0;
    ranges.forEach((r, i) => {
      const f = Object.prototype.hasOwnProperty.call(files, r.location) ? files[r.location] : undefined;
      if (f === undefined) throw new ModelFormatError(`${where}: ${r.label} keeps its data in external file ${JSON.stringify(r.location)}, which options.externalData does not hold (it holds ${Object.keys(files).map((k) => JSON.stringify(k)).join(', ') || 'nothing'})`);
      if (!(f instanceof ArrayBuffer || ArrayBuffer.isView(f))) throw new TypeError(`${where}: options.externalData[${JSON.stringify(r.location)}] must be an ArrayBuffer or typed array, got ${show(f)?.slice(0, 60)}`);
      const bytes = ArrayBuffer.isView(f) ? new Uint8Array(f.buffer, f.byteOffset, f.byteLength) : new Uint8Array(f);
      const length = r.length ?? bytes.length - r.offset;
      if (r.offset > bytes.length || length < 0 || r.offset + length > bytes.length) throw new ModelFormatError(`${where}: ${r.label}: external data file ${JSON.stringify(r.location)} holds ${bytes.length} bytes; offset ${r.offset} and length ${r.length ?? '(to the end)'} reach past its end`);
      total += length;
      if (total > maxBytes) throw new ModelFormatError(`${where}: ${r.label}: the external data is more than maxBytes leaves after the model file (${maxBytes} bytes)`);
      out.set(tensors[i]!, bytes.subarray(r.offset, r.offset + length));
    });
    return out;
  }
  if (modelPath === null) {
    const r = ranges[0]!;
    throw new ModelFormatError(
      `${where}: ${r.label} keeps its data in external file ${JSON.stringify(r.location)}${ranges.length > 1 ? ` (and ${ranges.length - 1} more tensor(s))` : ''}, which loadOnnx cannot find from bytes alone: pass the model's file path (Node), or the file's bytes as options.externalData[${JSON.stringify(r.location)}]`,
    );
  }
  const bytes = await readFileRanges(modelPath, ranges, maxBytes, 'loadOnnx');
  tensors.forEach((t, i) => out.set(t, bytes[i]!));
  return out;
}
