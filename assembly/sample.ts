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
import { SIGMOID, TANH, actv, bcast, madd } from './simd';
import { denseForward, lstmStepProjected } from './index';

/** Softmax's activation id (Act.softmax in src/backend/ts/activation.ts). */
const SOFTMAX = 10;

/**
 * One sampling step of B streams, its operands read from `args`: 23 i32 in the order of
 * sampleStep's parameters, `draw` left out (passed as two dozen arguments, the call from
 * JavaScript allocated on every step). ids [B] (indices stored as f32, checked by the
 * caller), table [vocab, 4H] (embedding row · kernel + bias), recurrentKernel [H, 4H] and, for B = 1,
 * the same repacked (lstmPackRecurrent; 0: none, the GEMM runs); h, c [B, H]
 * carried, updated in place; gates [B, 4H] and cAct [B, H] scratch. Then
 * probs = softmax(h · denseKernel + denseBias) [B, V] (denseBias 0: none; pre [B, V]
 * scratch). With draw ≠ 0, out[r] (i32) = the index drawn for row r from probs with
 * uniforms[r] (f64 in [0, 1)), banned (V bytes, 1 = never drawn; 0: none) — or −1 where no
 * allowed index has probability > 0 (the caller draws that row as sampleIndex does).
 * int8 ≠ 0: the recurrent product in 8-bit weights instead (lstmQuantizeRecurrent's int8 and
 * scales; hq scratch of H + 2 i16), every row through lstmStepInt8.
 */
export function lstmSampleStep(args: usize, draw: i32): void {
  sampleStep(
    arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4),
    arg(args, 5), arg(args, 6), arg(args, 7), arg(args, 8), arg(args, 9), arg(args, 10), arg(args, 11), arg(args, 12),
    arg(args, 13), arg(args, 14), arg(args, 15), arg(args, 16),
    arg(args, 17), arg(args, 18), draw, arg(args, 19),
    arg(args, 20), arg(args, 21), arg(args, 22),
  );
}

@inline function arg(args: usize, k: i32): i32 {
  return load<i32>(args + (<usize>k << 2));
}

function sampleStep(
  B: i32, H: i32, V: i32, act: i32, ract: i32,
  ids: usize, table: usize, recurrentKernel: usize, packed: usize, h: usize, c: usize, gates: usize, cAct: usize,
  denseKernel: usize, denseBias: usize, pre: usize, probs: usize,
  uniforms: usize, banned: usize, draw: i32, out: usize,
  int8: usize, scales: usize, hq: usize,
): void {
  if (int8 !== 0) {
    const hb = <usize>H << 2;
    for (let r = 0; r < B; r++) {
      const o = <usize>r * hb;
      lstmStepInt8(H, act, ract, <i32>load<f32>(ids + (<usize>r << 2)), table, int8, scales, hq, h + o, c + o, gates, cAct + o);
    }
  } else if (B === 1 && packed !== 0) lstmStepOne(H, act, ract, <i32>load<f32>(ids), table, packed, h, c, gates, cAct);
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
  const end = h + hb;
  // The product first, every group's 16 sums into the gates scratch (i, f, g, o of four units
  // together), so the activations of one group never wait between two groups' loads.
  for (let j = 0; j < H; j += 4) {
    const q = <usize>j << 2;
    let si = v128.load(src + q);
    let sf = v128.load(src + hb + q);
    let sg = v128.load(src + 2 * hb + q);
    let so = v128.load(src + 3 * hb + q);
    let ph = h;
    while (ph < end) {
      const x = bcast(ph);
      si = madd(x, v128.load(p), si);
      sf = madd(x, v128.load(p, 16), sf);
      sg = madd(x, v128.load(p, 32), sg);
      so = madd(x, v128.load(p, 48), so);
      p += 64;
      ph += 4;
    }
    const gq = gates + (q << 2);
    v128.store(gq, si);
    v128.store(gq, sf, 16);
    v128.store(gq, sg, 32);
    v128.store(gq, so, 48);
  }
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) cellPassOne(TANH, SIGMOID, H, gates, c, cAct, h);
  else cellPassOne(act, ract, H, gates, c, cAct, h);
}

/** lstmStepOne's second pass: the gate sums (i, f, g, o of four units together) through the activations and the cell update; the new h into h. */
@inline function cellPassOne(act: i32, ract: i32, H: i32, gates: usize, c: usize, cAct: usize, h: usize): void {
  for (let j = 0; j < H; j += 4) {
    const q = <usize>j << 2;
    const gq = gates + (q << 2);
    const i = actv(ract, v128.load(gq));
    const f = actv(ract, v128.load(gq, 16));
    const g = actv(act, v128.load(gq, 32));
    const o = actv(ract, v128.load(gq, 48));
    const cv = madd(f, v128.load(c + q), f32x4.mul(i, g));
    const av = actv(act, cv);
    v128.store(c + q, cv);
    v128.store(cAct + q, av);
    v128.store(h + q, f32x4.mul(o, av));
  }
}

// ---------------------------------------------------------------- int8 (stream precision 'int8')

/**
 * The recurrent kernel [H, 4H] in 8 bits for lstmStepInt8 (H a multiple of 4): per column
 * (one gate of one unit) the scale max_k |w| / 127 into scales [4H] and round(w / scale) as
 * i8, laid out for i32x4.dot_i16x8_s: per group of four units, per pair of k (H rounded up to
 * even, the odd k's partner 0), per gate i, f, c, o, per unit, the pair's two weights — 32
 * bytes per pair read in order.
 */
export function lstmQuantizeRecurrent(dst: usize, scales: usize, rk: usize, H: i32): void {
  const G = 4 * H;
  for (let col = 0; col < G; col++) {
    let m: f32 = 0;
    for (let k = 0; k < H; k++) m = max(m, abs(load<f32>(rk + ((<usize>k * <usize>G + <usize>col) << 2))));
    store<f32>(scales + (<usize>col << 2), m / 127);
  }
  const K2 = (H + 1) & ~1;
  let d = dst;
  for (let j = 0; j < H; j += 4) {
    for (let k = 0; k < K2; k += 2) {
      for (let g = 0; g < 4; g++) {
        for (let u = 0; u < 4; u++) {
          const col = g * H + j + u;
          const sc = load<f32>(scales + (<usize>col << 2));
          for (let e = 0; e < 2; e++) {
            const kk = k + e;
            let q: i32 = 0;
            if (kk < H && sc > 0) q = min(127, max(-127, <i32>nearest(load<f32>(rk + ((<usize>kk * <usize>G + <usize>col) << 2)) / sc)));
            store<i8>(d, <i8>q);
            d++;
          }
        }
      }
    }
  }
}

/**
 * One row's step (as lstmStepOne) with the recurrent product in integers: h quantised to
 * i16 at this step's scale max|h| / L (L = 32767, or less where H·127·L would overflow the
 * i32 sums), each gate column Σ_k hq_k · wq_k by i32x4.dot_i16x8_s (8 products per
 * instruction against 4 multiply-adds in f32), then table row + sum · (h scale · column
 * scale), the activations and the cell update in f32 as lstmStepOne.
 */
function lstmStepInt8(H: i32, act: i32, ract: i32, id: i32, table: usize, qw: usize, scales: usize, hq: usize, h: usize, c: usize, gates: usize, cAct: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) lstmStepInt8Body(H, TANH, SIGMOID, id, table, qw, scales, hq, h, c, gates, cAct);
  else lstmStepInt8Body(H, act, ract, id, table, qw, scales, hq, h, c, gates, cAct);
}

@inline function lstmStepInt8Body(H: i32, act: i32, ract: i32, id: i32, table: usize, qw: usize, scales: usize, hq: usize, h: usize, c: usize, gates: usize, cAct: usize): void {
  const hb = <usize>H << 2;
  const src = table + <usize>id * (hb << 2);
  const K2 = (H + 1) & ~1;
  // h → i16 eight at a time (H is a multiple of 4: a last four through the same vector code).
  let mv = f32x4.splat(0);
  for (let k = 0; k < H; k += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(h + (<usize>k << 2))));
  const m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  const L = <f32>min<f64>(32767, Math.floor(2147483647 / (<f64>K2 * 127)));
  const inv: f32 = m > 0 ? L / m : 0;
  const iv = f32x4.splat(inv);
  let k = 0;
  for (; k + 8 <= H; k += 8) {
    const lo = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(h + (<usize>k << 2)), iv)));
    const hi = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(h + (<usize>k << 2), 16), iv)));
    v128.store(hq + (<usize>k << 1), i16x8.narrow_i32x4_s(lo, hi));
  }
  if (k < H) {
    const lo = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(h + (<usize>k << 2)), iv)));
    store<i64>(hq + (<usize>k << 1), i64x2.extract_lane(i16x8.narrow_i32x4_s(lo, lo), 0));
  }
  store<i16>(hq + (<usize>H << 1), 0);
  const sh = f32x4.splat(m > 0 ? m / L : 0);
  let p = qw;
  for (let j = 0; j < H; j += 4) {
    let ai = i32x4.splat(0);
    let af = i32x4.splat(0);
    let ag = i32x4.splat(0);
    let ao = i32x4.splat(0);
    for (let k = 0; k < K2; k += 2) {
      const x = v128.load32_splat(hq + (<usize>k << 1));
      ai = i32x4.add(ai, i32x4.dot_i16x8_s(x, v128.load8x8_s(p)));
      af = i32x4.add(af, i32x4.dot_i16x8_s(x, v128.load8x8_s(p, 8)));
      ag = i32x4.add(ag, i32x4.dot_i16x8_s(x, v128.load8x8_s(p, 16)));
      ao = i32x4.add(ao, i32x4.dot_i16x8_s(x, v128.load8x8_s(p, 24)));
      p += 32;
    }
    const q = <usize>j << 2;
    const si = f32x4.add(v128.load(src + q), f32x4.mul(f32x4.convert_i32x4_s(ai), f32x4.mul(sh, v128.load(scales + q))));
    const sf = f32x4.add(v128.load(src + hb + q), f32x4.mul(f32x4.convert_i32x4_s(af), f32x4.mul(sh, v128.load(scales + hb + q))));
    const sg = f32x4.add(v128.load(src + 2 * hb + q), f32x4.mul(f32x4.convert_i32x4_s(ag), f32x4.mul(sh, v128.load(scales + 2 * hb + q))));
    const so = f32x4.add(v128.load(src + 3 * hb + q), f32x4.mul(f32x4.convert_i32x4_s(ao), f32x4.mul(sh, v128.load(scales + 3 * hb + q))));
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
