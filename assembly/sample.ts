/**
 * AssemblyScript: sampling from an Embedding → LSTM → Dense(softmax) model, one call per
 * step (re-exported by assembly/index.ts, the module's entry, and built with it). A stream
 * that samples one character at a time otherwise crosses into WebAssembly three times and
 * runs the executor, the layers and the draw in JavaScript: at batch 1 that was about 40% of
 * a step beside the recurrent product.
 *
 * lstmSampleStep = lstmStepProjected + denseForward(softmax) + the draw, with the same
 * operations in the same order as those kernels, so the probabilities are theirs bit for
 * bit and the draws are sampleIndex's (src/core/sampling.ts): the uniform is drawn by the
 * caller's Rng and passed in, and the draw runs in f64 exactly as sampleIndex's temperature-1,
 * no-top-k path does. At batch 1 the recurrent product is a matrix-vector product; it runs
 * fused with the gate activations and the cell update (lstmStepOne), accumulating each
 * column in the same order as the GEMM's single-row tiles.
 */
import { actv, bcast, madd } from './simd';
import { denseForward, lstmStepProjected } from './index';

/** Softmax's activation id (Act.softmax in src/backend/ts/activation.ts). */
const SOFTMAX = 10;

/**
 * One sampling step of B streams. ids [B] (indices stored as f32, checked by the caller),
 * table [vocab, 4H] (embedding row · kernel + bias), recurrentKernel [H, 4H] and, for B = 1,
 * the same repacked (lstmPackRecurrent; 0: none, the GEMM runs); h, c [B, H]
 * carried, updated in place; gates [B, 4H] and cAct [B, H] scratch. Then
 * probs = softmax(h · denseKernel + denseBias) [B, V] (denseBias 0: none; pre [B, V]
 * scratch). With draw ≠ 0, out[r] (i32) = the index drawn for row r from probs with
 * uniforms[r] (f64 in [0, 1)), banned (V bytes, 1 = never drawn; 0: none) — or −1 where no
 * allowed index has probability > 0 (the caller draws that row as sampleIndex does).
 */
export function lstmSampleStep(
  B: i32, H: i32, V: i32, act: i32, ract: i32,
  ids: usize, table: usize, recurrentKernel: usize, packed: usize, h: usize, c: usize, gates: usize, cAct: usize,
  denseKernel: usize, denseBias: usize, pre: usize, probs: usize,
  uniforms: usize, banned: usize, draw: i32, out: usize,
): void {
  if (B === 1 && packed !== 0) lstmStepOne(H, act, ract, <i32>load<f32>(ids), table, packed, h, c, gates, cAct);
  else lstmStepProjected(B, H, act, ract, ids, table, recurrentKernel, h, c, gates, cAct);
  denseForward(SOFTMAX, B, H, V, h, denseKernel, denseBias, pre, probs);
  if (draw === 0) return;
  const rb = <usize>V << 2;
  for (let r = 0; r < B; r++) store<i32>(out + (<usize>r << 2), drawRow(probs + <usize>r * rb, V, load<f64>(uniforms + (<usize>r << 3)), banned));
}

/**
 * sampleIndex's temperature-1 draw from one row: weights p_i (0 where banned or not > 0)
 * summed in f64 in index order, u = uniform · total, then u −= w_i until u < 0. −1 when the
 * total is not > 0.
 */
function drawRow(p: usize, V: i32, uniform: f64, banned: usize): i32 {
  let total: f64 = 0;
  for (let i = 0; i < V; i++) total += weight(p, i, banned);
  if (!(total > 0)) return -1;
  let u = uniform * total;
  let last = -1;
  for (let i = 0; i < V; i++) {
    const w = weight(p, i, banned);
    if (w === 0) continue;
    last = i;
    u -= w;
    if (u < 0) return i;
  }
  return last; // rounding at the top end
}

@inline function weight(p: usize, i: i32, banned: usize): f64 {
  const v = <f64>load<f32>(p + (<usize>i << 2));
  return v > 0 && (banned === 0 || load<u8>(banned + <usize>i) === 0) ? v : 0;
}

/**
 * The recurrent kernel [H, 4H] repacked for lstmStepOne (H a multiple of 4): for each group
 * of four hidden units t, for each k, the 16 floats rk[k, g·H + 4t … 4t+3] of gates
 * g = i, f, c, o — one cache line per k, read in order, where the [H, 4H] layout has
 * lstmStepOne touch four lines per k (each line then comes from L2 four times).
 */
export function lstmPackRecurrent(dst: usize, rk: usize, H: i32): void {
  const hb = <usize>H << 2;
  const rowBytes = hb << 2;
  let d = dst;
  for (let j = 0; j < H; j += 4) {
    let p = rk + (<usize>j << 2);
    for (let k = 0; k < H; k++) {
      v128.store(d, v128.load(p));
      v128.store(d, v128.load(p + hb), 16);
      v128.store(d, v128.load(p + 2 * hb), 32);
      v128.store(d, v128.load(p + 3 * hb), 48);
      d += 64;
      p += rowBytes;
    }
  }
}

/**
 * lstmStepProjected for one row, with the matrix-vector product fused into the cell: four
 * hidden units at a time, their four gates' columns (i, f, g, o: 16 sums) accumulated over
 * k from the table row, as the GEMM's single-row tiles accumulate a column (from the row's
 * value, one madd per k in order), then the same activations and cell update as
 * lstmStepRecurrent. The gates are never stored, and h is read only by the product: the new
 * h waits in the gates scratch until every unit is done. `packed` is the recurrent kernel
 * as lstmPackRecurrent lays it out; H a multiple of 4.
 */
function lstmStepOne(H: i32, act: i32, ract: i32, id: i32, table: usize, packed: usize, h: usize, c: usize, gates: usize, cAct: usize): void {
  const hb = <usize>H << 2;
  const src = table + <usize>id * (hb << 2);
  let p = packed;
  for (let j = 0; j < H; j += 4) {
    const q = <usize>j << 2;
    let si = v128.load(src + q);
    let sf = v128.load(src + hb + q);
    let sg = v128.load(src + 2 * hb + q);
    let so = v128.load(src + 3 * hb + q);
    let ph = h;
    const end = h + hb;
    while (ph < end) {
      const x = bcast(ph);
      si = madd(x, v128.load(p), si);
      sf = madd(x, v128.load(p, 16), sf);
      sg = madd(x, v128.load(p, 32), sg);
      so = madd(x, v128.load(p, 48), so);
      p += 64;
      ph += 4;
    }
    const i = actv(ract, si);
    const f = actv(ract, sf);
    const g = actv(act, sg);
    const o = actv(ract, so);
    const cv = madd(f, v128.load(c + q), f32x4.mul(i, g));
    const av = actv(act, cv);
    v128.store(c + q, cv);
    v128.store(cAct + q, av);
    v128.store(gates + q, f32x4.mul(o, av));
  }
  memory.copy(h, gates, hb);
}
