/** ONNX import tests: a model read by loadOnnx against onnxruntime-node on the same bytes, and refusals. */
import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import type { Rng } from '../../src/core/rng.js';
import { loadOnnx, OnnxImportError, tensor, type Model, type Tensor } from '../../src/index.js';

/** The largest |a[i] − b[i]| (the lengths must agree). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** How the ONNX graph's input is laid out, given rnnkit's [B, T, F]: as it is, time-major, or channels first. */
export type OnnxLayout = 'btf' | 'tbf' | 'bft';

/** x [B, T, F] (row-major) in `layout`, with its dims. */
function laidOut(x: Float32Array, [B, T, F]: number[], layout: OnnxLayout): { data: Float32Array; dims: number[] } {
  if (layout === 'btf') return { data: x, dims: [B!, T!, F!] };
  const out = new Float32Array(x.length);
  for (let b = 0; b < B!; b++) {
    for (let t = 0; t < T!; t++) {
      for (let f = 0; f < F!; f++) out[layout === 'tbf' ? (t * B! + b) * F! + f : (b * F! + f) * T! + t] = x[(b * T! + t) * F! + f]!;
    }
  }
  return { data: out, dims: layout === 'tbf' ? [T!, B!, F!] : [B!, F!, T!] };
}

/**
 * rnnkit's predictions against onnxruntime's on the same bytes, at each rnnkit input shape
 * (random inputs in [−1.5, 1.5) from `rng`): asserts the largest absolute difference is at
 * most `tol` and returns it. Rank-3 shapes may be fed to ONNX in another `layout`.
 */
export async function agreesWithOnnxruntime(
  m: Model,
  bytes: Uint8Array,
  shapes: number[][],
  rng: Rng,
  o: { layout?: OnnxLayout; sessionOptions?: ort.InferenceSession.SessionOptions; tol?: number } = {},
): Promise<number> {
  const session = await ort.InferenceSession.create(bytes, o.sessionOptions ?? {});
  let worst = 0;
  for (const dims of shapes) {
    const x = Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.uniformIn(-1.5, 1.5));
    const fed = dims.length === 3 ? laidOut(x, dims, o.layout ?? 'btf') : { data: x, dims };
    const want = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', fed.data, fed.dims) }))[session.outputNames[0]!]!;
    const got = m.predict(tensor(Array.from(x), dims)) as Tensor;
    assert.deepEqual(got.shape, [...want.dims]);
    const w = want.data as Float32Array;
    assert.equal(got.data.length, w.length);
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - w[i]!));
  }
  const tol = o.tol ?? 1e-5;
  assert.ok(worst <= tol, `max |rnnkit - onnxruntime| = ${worst}`);
  return worst;
}

/** loadOnnx refuses `bytes` with an OnnxImportError matching `pattern`. */
export async function refusedOnnx(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(loadOnnx(bytes), (e: Error) => {
    assert.ok(e instanceof OnnxImportError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}
