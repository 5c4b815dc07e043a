/**
 * The 'wasm' backend's GRU: the time loops of backend/recurrent.ts with the per-step products
 * and the cell in WebAssembly on resident buffers. resetAfter = true (Keras's default):
 * one product and one fused cell kernel per step (wasm/kernels.ts). resetAfter = false:
 * the candidate's product takes r ⊙ hPrev, so two products with a cell kernel after
 * each (wasm/cells.ts). Masks, dropout and the state gathering stay the TypeScript
 * helpers. Operands outside WebAssembly memory, or an activation without a WebAssembly
 * kernel: the TypeScript kernel (with the WebAssembly GEMM).
 */
import { backwardThroughTime, forwardThroughTime, zeroMaskedRows, type CellSteps, type RecurrentMasks, type RecurrentWeights } from '../recurrent.js';
import { addRecurrentGradient, gruBackward, gruForward, type GruCache, type GruCacheGrads, type GruDims } from '../ts/gru.js';
import { gemmWasm } from './gemm.js';
import { gemmLarge } from './packed.js';
import { addr, isResident, residentOrNull as ok, wasmRuntime } from './runtime.js';

/**
 * From which H the steps multiply U packed (measured, CPU time, batch 64–128). Forward, the
 * in-place gemm reads rows of U 3H floats apart: 34 GFLOP/s at H 512 against 36 packed, and
 * the two level below. Backward, the dot-product kernel (gemmNT) on U as stored beats the
 * packed one while a row of U is ≤ 8 KiB (H 256: 45 against 38; H 512: 42 against 38) and
 * falls behind past it (H 1024: 28 against 36).
 */
const PACK_FORWARD_FROM_H = 512;
const PACK_BACKWARD_FROM_H = 683; // 3H floats > 8 KiB

/**
 * Where the steps multiply the recurrent kernel packed once per pass (assembly/packed.ts), in
 * the cache's recurrentKernelT: forward U (resetAfter false: U_zr [H, 2H], then U_h [H, H]
 * from 8H² bytes on), backward Uᵀ (resetAfter false: U_hᵀ, then U_zrᵀ). Its address, or 0:
 * in place.
 */
function packedAt(c: GruCache, H: number, backward: boolean): number {
  const t = c.recurrentKernelT;
  return H >= (backward ? PACK_BACKWARD_FROM_H : PACK_FORWARD_FROM_H) && H % 8 === 0 && t.length >= 3 * H * H && isResident(t) ? addr(t) : 0;
}

export function gruForwardWasm(c: GruCache, w: RecurrentWeights, m: RecurrentMasks, d: GruDims): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(d.act) || !k.hasActivation(d.ract) ||
    !(ok(c.hs) && ok(c.pre) && ok(c.gates) && ok(c.hPrev) && ok(c.xs) && ok(c.h0) && ok(w.kernel) && ok(w.recurrentKernel) && ok(w.bias)) ||
    !(d.resetAfter ? ok(c.mh) : ok(c.rh))
  ) {
    gruForward(gemmWasm, c, w, m, d);
    return;
  }
  const { T, B, I, H } = d;
  const G = 3 * H;
  gemmLarge(k, T * B, G, I, addr(c.xs), I, 1, addr(w.kernel), G, addr(c.pre), G, 0);
  if (w.bias !== null) k.addBias(addr(c.pre), addr(w.bias), T * B, G); // the input bias: row 0 of the [2, 3H] bias when resetAfter
  const rkp = packedAt(c, H, false);
  if (rkp !== 0) {
    const rk = addr(w.recurrentKernel);
    if (d.resetAfter) k.packB(H, G, rk, G, rkp);
    else {
      k.packB(H, 2 * H, rk, G, rkp);
      k.packB(H, H, rk + 8 * H, G, rkp + 8 * H * H);
    }
  }
  forwardThroughTime(gruStepsWasm, gemmWasm, c, w, m, d);
}

export function gruBackwardWasm(dw: RecurrentWeights, g: GruCacheGrads, c: GruCache, w: RecurrentWeights, m: RecurrentMasks, d: GruDims): void {
  const k = wasmRuntime().kernels;
  const resetAfter = d.resetAfter;
  if (
    !k.hasActivation(d.act) || !k.hasActivation(d.ract) ||
    !(ok(g.dxs) && ok(dw.kernel) && ok(dw.recurrentKernel) && ok(dw.bias) && ok(g.dPre) && ok(g.dhA) && ok(g.dhB) && ok(g.dhTmp)) ||
    !(ok(c.xs) && ok(c.hPrev) && ok(c.h0) && ok(c.hs) && ok(c.pre) && ok(c.gates) && ok(w.kernel) && ok(w.recurrentKernel)) ||
    !(resetAfter ? ok(g.dPreH) && ok(c.mh) : ok(c.rh))
  ) {
    gruBackward(gemmWasm, dw, g, c, w, m, d);
    return;
  }
  const { T, B, I, H } = d;
  const G = 3 * H;
  const rkp = packedAt(c, H, true);
  if (rkp !== 0) {
    const rk = addr(w.recurrentKernel);
    if (resetAfter) k.packBT(G, H, rk, G, rkp);
    else {
      k.packBT(H, H, rk + 8 * H, G, rkp);
      k.packBT(2 * H, H, rk, G, rkp + 4 * H * H);
    }
  }
  backwardThroughTime(gruStepsWasm, gemmWasm, g, c, w, m, d);
  const dp = addr(g.dPre);
  gemmLarge(k, I, G, T * B, addr(c.xs), 1, I, dp, G, addr(dw.kernel), G, 1);
  if (resetAfter) {
    gemmLarge(k, H, G, T * B, addr(c.hPrev), 1, H, addr(g.dPreH), G, addr(dw.recurrentKernel), G, 1);
    if (dw.bias !== null) {
      k.biasGrad(addr(dw.bias), dp, T * B, G);
      k.biasGrad(addr(dw.bias, G), addr(g.dPreH), T * B, G);
    }
  } else {
    gemmLarge(k, H, 2 * H, T * B, addr(c.hPrev), 1, H, dp, G, addr(dw.recurrentKernel), G, 1);
    gemmLarge(k, H, H, T * B, addr(c.rh), 1, H, dp + 8 * H, G, addr(dw.recurrentKernel, 2 * H), G, 1);
    if (dw.bias !== null) k.biasGrad(addr(dw.bias), dp, T * B, G);
  }
  if (g.dxs !== null) k.gemmNT(T * B, I, G, dp, G, addr(w.kernel), G, addr(g.dxs), I, 0);
}

/**
 * The GRU step in WebAssembly calls on resident buffers (checked by the kernels above).
 * resetAfter: one product and one fused cell kernel a step; else the candidate's product
 * takes r ⊙ hPrev, so two products with a cell kernel after each (assembly/cells.ts).
 */
const gruStepsWasm: CellSteps<GruCache, GruCacheGrads, GruDims> = {
  forward(_gemm, c, w, d, s) {
    const { B, H } = d;
    const k = wasmRuntime().kernels;
    const G = 3 * H;
    const go = s * B * G;
    const so = s * B * H;
    const rk = addr(w.recurrentKernel);
    const hp = s === 0 ? addr(c.h0) : addr(c.hs, so - B * H);
    const rkp = packedAt(c, H, false);
    if (d.resetAfter) {
      const mh = addr(c.mh, go);
      if (rkp !== 0) k.gemmPacked(B, G, H, addr(c.hPrev, so), H, 1, rkp, mh, G, 0);
      else k.gemm(B, G, H, addr(c.hPrev, so), H, 1, rk, G, mh, G, 0);
      const bias = w.bias;
      k.gruCellForward(B, H, d.act, d.ract, addr(c.pre, go), addr(c.gates, go), mh, bias === null ? 0 : addr(bias, G), bias === null ? 0 : 1, hp, addr(c.hs, so));
      return;
    }
    const p = addr(c.pre, go);
    const g = addr(c.gates, go);
    const r = addr(c.rh, so);
    if (rkp !== 0) k.gemmPacked(B, 2 * H, H, addr(c.hPrev, so), H, 1, rkp, p, G, 1); // pre_zr += hPrev · U_zr
    else k.gemm(B, 2 * H, H, addr(c.hPrev, so), H, 1, rk, G, p, G, 1);
    k.gruCellForwardZR(B, H, d.ract, p, g, addr(c.hPrev, so), r);
    if (rkp !== 0) k.gemmPacked(B, H, H, r, H, 1, rkp + 8 * H * H, p + 8 * H, G, 1); // pre_h += (r ⊙ hPrev) · U_h
    else k.gemm(B, H, H, r, H, 1, rk + 8 * H, G, p + 8 * H, G, 1); // (U_h: columns 2H … 3H)
    k.gruCellForwardH(B, H, d.act, p, g, hp, addr(c.hs, so));
  },
  backward(_gemm, gr, c, w, m, d, s, dh, dhNext) {
    const { B, H } = d;
    const k = wasmRuntime().kernels;
    const G = 3 * H;
    const go = s * B * G;
    const so = s * B * H;
    const hp = s === 0 ? addr(c.h0) : addr(c.hs, so - B * H);
    if (d.resetAfter) {
      k.gruCellBackward(B, H, d.act, d.ract, addr(gr.dPre, go), addr(gr.dPreH, go), addr(dhNext), addr(dh), addr(c.pre, go), addr(c.gates, go), addr(c.mh, go), hp);
      if (m.step !== null) {
        zeroMaskedRows(gr.dPre, m.step, s, B, G);
        zeroMaskedRows(gr.dPreH, m.step, s, B, G);
      }
      return;
    }
    const dp = addr(gr.dPre, go);
    const p = addr(c.pre, go);
    const g = addr(c.gates, go);
    const dt = addr(gr.dhTmp);
    k.gruCellBackwardZH(B, H, d.act, d.ract, dp, addr(dhNext), addr(dh), p, g, hp);
    // pre_h = mx_h + rh · U_h  =>  drh = dpre_h · U_hᵀ (U as stored: the dot-product kernel)
    const rkp = packedAt(c, H, true);
    if (rkp !== 0) k.gemmPacked(B, H, H, dp + 8 * H, G, 1, rkp, dt, H, 0);
    else k.gemmNT(B, H, H, dp + 8 * H, G, addr(w.recurrentKernel) + 8 * H, G, dt, H, 0);
    k.gruCellBackwardR(B, H, d.ract, dp, dt, p, g, addr(c.hPrev, so));
    if (m.step !== null) zeroMaskedRows(gr.dPre, m.step, s, B, G);
  },
  recurrent(_gemm, gr, c, w, m, d, s, dhNext) {
    const { B, H } = d;
    const k = wasmRuntime().kernels;
    const G = 3 * H;
    const go = s * B * G;
    // resetAfter: mh = hPrev · U + b_h  =>  dhPrev = dmh · Uᵀ; else dhPrev += dpre_zr · U_zrᵀ (U as stored: the dot-product kernel)
    const rkp = packedAt(c, H, true);
    if (rkp !== 0) {
      if (d.resetAfter) k.gemmPacked(B, H, G, addr(gr.dPreH, go), G, 1, rkp, addr(gr.dhTmp), H, 0);
      else k.gemmPacked(B, H, 2 * H, addr(gr.dPre, go), G, 1, rkp + 4 * H * H, addr(gr.dhTmp), H, 1);
    } else if (d.resetAfter) {
      if (m.recurrent === null) {
        // straight into dhNext: the kernel adds C after the dot product, as the JavaScript add did (same numbers)
        k.gemmNT(B, H, G, addr(gr.dPreH, go), G, addr(w.recurrentKernel), G, addr(dhNext), H, 1);
        return;
      }
      k.gemmNT(B, H, G, addr(gr.dPreH, go), G, addr(w.recurrentKernel), G, addr(gr.dhTmp), H, 0);
    } else k.gemmNT(B, H, 2 * H, addr(gr.dPre, go), G, addr(w.recurrentKernel), G, addr(gr.dhTmp), H, 1);
    addRecurrentGradient(dhNext, gr.dhTmp, m.recurrent, B * H);
  },
};
