/**
 * AssemblyScript: the GRU cell for resetAfter = false, re-exported by assembly/index.ts
 * (the module's entry) and built with it. Same conventions as the cells there: byte
 * pointers into the shared memory, gate order z, r, h in rows 3H floats apart, [B, H]
 * states, tails through the vector code one lane at a time so they round like the body.
 *
 * The candidate's recurrent product takes r ⊙ hPrev, so a step is two products
 * (src/backend/wasm/gru.ts) with a cell kernel after each:
 *   pre_zr += hPrev · U_zr                                (GEMM)
 *   z, r = ract(pre_zr);  rh = r ⊙ hPrev                  gruCellForwardZR
 *   pre_h += rh · U_h                                      (GEMM)
 *   hh = act(pre_h);  h = z ⊙ hState + (1 − z) ⊙ hh       gruCellForwardH
 * hPrev is the state the step multiplies (recurrent dropout applied), hState the
 * previous output itself (undropped), as in src/backend/ts/gru.ts. Backward:
 *   dpre_z = ract'(dh ⊙ (hState − hh)), dpre_h = act'(dh ⊙ (1 − z)), dhNext = dh ⊙ z
 *                                                           gruCellBackwardZH
 *   drh = dpre_h · U_hᵀ                                    (GEMM)
 *   dpre_r = ract'(drh ⊙ hPrev);  dhPrev = drh ⊙ r         gruCellBackwardR
 *   dhPrev += dpre_zr · U_zrᵀ                              (GEMM)
 *
 * SimpleRNN needs nothing here: its step is the GEMM and the activation kernels.
 */
import { SIGMOID, TANH, actGradv, actv, lane, madd } from './simd';

/**
 * After pre_zr += hPrev·U_zr: z, r = ract(pre_zr) into gates, rh = r ⊙ hPrev.
 * pre, gates rows 3H apart; hPrev, rh [B, H].
 */
export function gruCellForwardZR(B: i32, H: i32, ract: i32, pre: usize, gates: usize, hPrev: usize, rh: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (ract === SIGMOID) gruCellForwardZRBody(B, H, SIGMOID, pre, gates, hPrev, rh);
  else gruCellForwardZRBody(B, H, ract, pre, gates, hPrev, rh);
}

@inline function gruCellForwardZRBody(B: i32, H: i32, ract: i32, pre: usize, gates: usize, hPrev: usize, rh: usize): void {
  const G = <usize>(3 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const p = pre + <usize>b * G;
    const g = gates + <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const rr = actv(ract, v128.load(p + hb + q));
      v128.store(g + q, actv(ract, v128.load(p + q)));
      v128.store(g + hb + q, rr);
      v128.store(rh + r + q, f32x4.mul(rr, v128.load(hPrev + r + q)));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const rr = lane(actv(ract, f32x4.splat(load<f32>(p + hb + q))));
      store<f32>(g + q, lane(actv(ract, f32x4.splat(load<f32>(p + q)))));
      store<f32>(g + hb + q, rr);
      store<f32>(rh + r + q, rr * load<f32>(hPrev + r + q));
    }
  }
}

/**
 * After pre_h += rh·U_h: hh = act(pre_h) into gates, h = z ⊙ hState + (1 − z) ⊙ hh
 * (computed as z ⊙ (hState − hh) + hh). pre, gates rows 3H apart; hState, h [B, H].
 */
export function gruCellForwardH(B: i32, H: i32, act: i32, pre: usize, gates: usize, hState: usize, h: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH) gruCellForwardHBody(B, H, TANH, pre, gates, hState, h);
  else gruCellForwardHBody(B, H, act, pre, gates, hState, h);
}

@inline function gruCellForwardHBody(B: i32, H: i32, act: i32, pre: usize, gates: usize, hState: usize, h: usize): void {
  const G = <usize>(3 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const p = pre + <usize>b * G + 2 * hb;
    const g = gates + <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const hh = actv(act, v128.load(p + q));
      v128.store(g + 2 * hb + q, hh);
      v128.store(h + r + q, madd(v128.load(g + q), f32x4.sub(v128.load(hState + r + q), hh), hh));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const hh = lane(actv(act, f32x4.splat(load<f32>(p + q))));
      store<f32>(g + 2 * hb + q, hh);
      store<f32>(h + r + q, load<f32>(g + q) * (load<f32>(hState + r + q) - hh) + hh);
    }
  }
}

/**
 * One step backward through the output mix, from dh (reaching h_s): dPre_z =
 * ract'(dh ⊙ (hState − hh)), dPre_h = act'(dh ⊙ (1 − z)), dhNext = dh ⊙ z (the direct
 * path to h_{s−1}). dPre_r is left for gruCellBackwardR. dPre, pre, gates rows 3H apart.
 */
export function gruCellBackwardZH(B: i32, H: i32, act: i32, ract: i32, dPre: usize, dhNext: usize, dh: usize, pre: usize, gates: usize, hState: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) gruCellBackwardZHBody(B, H, TANH, SIGMOID, dPre, dhNext, dh, pre, gates, hState);
  else gruCellBackwardZHBody(B, H, act, ract, dPre, dhNext, dh, pre, gates, hState);
}

@inline function gruCellBackwardZHBody(B: i32, H: i32, act: i32, ract: i32, dPre: usize, dhNext: usize, dh: usize, pre: usize, gates: usize, hState: usize): void {
  const G = <usize>(3 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const o = <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const z = v128.load(gates + o + q);
      const hh = v128.load(gates + o + 2 * hb + q);
      const d = v128.load(dh + r + q);
      v128.store(dPre + o + q, actGradv(ract, f32x4.mul(d, f32x4.sub(v128.load(hState + r + q), hh)), v128.load(pre + o + q), z));
      v128.store(dPre + o + 2 * hb + q, actGradv(act, f32x4.mul(d, f32x4.sub(f32x4.splat(1), z)), v128.load(pre + o + 2 * hb + q), hh));
      v128.store(dhNext + r + q, f32x4.mul(d, z));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const z = load<f32>(gates + o + q);
      const hh = load<f32>(gates + o + 2 * hb + q);
      const d = load<f32>(dh + r + q);
      store<f32>(dPre + o + q, lane(actGradv(ract, f32x4.splat(d * (load<f32>(hState + r + q) - hh)), f32x4.splat(load<f32>(pre + o + q)), f32x4.splat(z))));
      store<f32>(dPre + o + 2 * hb + q, lane(actGradv(act, f32x4.splat(d * (1 - z)), f32x4.splat(load<f32>(pre + o + 2 * hb + q)), f32x4.splat(hh))));
      store<f32>(dhNext + r + q, d * z);
    }
  }
}

/**
 * From drh = dPre_h · U_hᵀ in dhPrev ([B, H], overwritten): dPre_r = ract'(drh ⊙ hPrev)
 * and dhPrev = drh ⊙ r (the gradient reaching hPrev through rh).
 */
export function gruCellBackwardR(B: i32, H: i32, ract: i32, dPre: usize, dhPrev: usize, pre: usize, gates: usize, hPrev: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (ract === SIGMOID) gruCellBackwardRBody(B, H, SIGMOID, dPre, dhPrev, pre, gates, hPrev);
  else gruCellBackwardRBody(B, H, ract, dPre, dhPrev, pre, gates, hPrev);
}

@inline function gruCellBackwardRBody(B: i32, H: i32, ract: i32, dPre: usize, dhPrev: usize, pre: usize, gates: usize, hPrev: usize): void {
  const G = <usize>(3 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const o = <usize>b * G + hb;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const rr = v128.load(gates + o + q);
      const drh = v128.load(dhPrev + r + q);
      v128.store(dPre + o + q, actGradv(ract, f32x4.mul(drh, v128.load(hPrev + r + q)), v128.load(pre + o + q), rr));
      v128.store(dhPrev + r + q, f32x4.mul(drh, rr));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const rr = load<f32>(gates + o + q);
      const drh = load<f32>(dhPrev + r + q);
      store<f32>(dPre + o + q, lane(actGradv(ract, f32x4.splat(drh * load<f32>(hPrev + r + q)), f32x4.splat(load<f32>(pre + o + q)), f32x4.splat(rr))));
      store<f32>(dhPrev + r + q, drh * rr);
    }
  }
}
