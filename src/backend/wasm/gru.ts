/**
 * The 'wasm' backend's GRU: the time loop of backend/ts/gru.ts with the per-step products
 * and the cell in WebAssembly on resident buffers. resetAfter = true (Keras's default):
 * one product and one fused cell kernel per step (wasm/kernels.ts). resetAfter = false:
 * the candidate's product takes r ⊙ hPrev, so two products with a cell kernel after
 * each (wasm/cells.ts). Masks, dropout and the state gathering stay the TypeScript
 * helpers. Operands outside WebAssembly memory, or an activation without a WebAssembly
 * kernel: the TypeScript kernel (with the WebAssembly GEMM).
 */
import { addOutputGradient, gatherPrevState, holdMaskedRows, passMaskedRows, startStateGrad, storeStateGrad, wantsInitialGrad, zeroMaskedRows, type StateEnds } from '../recurrent.js';
import { gruBackward, gruForward } from '../ts/gru.js';
import { gemmWasm } from './gemm.js';
import { addr, isResident, wasmRuntime } from './runtime.js';
import type { ActId } from '../ts/activation.js';


/** Resident, or absent. (Checked one by one: an array literal per step would allocate.) */
const ok = (a: Float32Array | null): boolean => a === null || isResident(a);

export function gruForwardWasm(
  hs: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  mh: Float32Array,
  rh: Float32Array,
  hPrev: Float32Array,
  recurrentKernelT: Float32Array,
  xs: Float32Array,
  h0: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array | null,
  resetAfter: boolean,
  recurrentMask: Float32Array | null,
  mask: Float32Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(act) || !k.hasActivation(ract) ||
    !(ok(hs) && ok(pre) && ok(gates) && ok(hPrev) && ok(xs) && ok(h0) && ok(kernel) && ok(recurrentKernel) && ok(bias)) ||
    !(resetAfter ? ok(mh) : ok(rh))
  ) {
    gruForward(gemmWasm, hs, pre, gates, mh, rh, hPrev, recurrentKernelT, xs, h0, kernel, recurrentKernel, bias, resetAfter, recurrentMask, mask, T, B, I, H, act, ract);
    return;
  }
  const G = 3 * H;
  const slab = B * H;
  k.gemm(T * B, G, I, addr(xs), I, 1, addr(kernel), G, addr(pre), G, 0);
  if (bias !== null) k.addBias(addr(pre), addr(bias), T * B, G); // the input bias: row 0 of the [2, 3H] bias when resetAfter
  const rk = addr(recurrentKernel);
  if (!resetAfter) {
    const rkH = rk + 8 * H; // U_h: columns 2H … 3H of [H, 3H]
    for (let s = 0; s < T; s++) {
      const go = s * B * G;
      const so = s * slab;
      gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
      const p = addr(pre, go);
      const g = addr(gates, go);
      const hp = addr(hPrev, so);
      const r = addr(rh, so);
      k.gemm(B, 2 * H, H, hp, H, 1, rk, G, p, G, 1); // pre_zr += hPrev · U_zr
      k.gruCellForwardZR(B, H, ract, p, g, hp, r);
      k.gemm(B, H, H, r, H, 1, rkH, G, p + 8 * H, G, 1); // pre_h += (r ⊙ hPrev) · U_h
      k.gruCellForwardH(B, H, act, p, g, s === 0 ? addr(h0) : addr(hs, so - slab), addr(hs, so));
      if (mask !== null) holdMaskedRows(hs, h0, mask, s, B, H);
    }
    return;
  }
  const biasH = bias === null ? 0 : addr(bias, G);
  for (let s = 0; s < T; s++) {
    const go = s * B * G;
    const so = s * slab;
    gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
    const m = addr(mh, go);
    k.gemm(B, G, H, addr(hPrev, so), H, 1, rk, G, m, G, 0);
    const hp = s === 0 ? addr(h0) : addr(hs, so - slab);
    k.gruCellForward(B, H, act, ract, addr(pre, go), addr(gates, go), m, biasH, bias === null ? 0 : 1, hp, addr(hs, so));
    if (mask !== null) holdMaskedRows(hs, h0, mask, s, B, H);
  }
}

export function gruBackwardWasm(
  dxs: Float32Array | null,
  dKernel: Float32Array,
  dRecurrentKernel: Float32Array,
  dBias: Float32Array | null,
  dPre: Float32Array,
  dPreH: Float32Array,
  dhA: Float32Array,
  dhB: Float32Array,
  dhTmp: Float32Array,
  dOut: Float32Array | null,
  returnSequences: boolean,
  ends: StateEnds | null,
  xs: Float32Array,
  hPrev: Float32Array,
  h0: Float32Array,
  hs: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  mh: Float32Array,
  rh: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  resetAfter: boolean,
  recurrentMask: Float32Array | null,
  mask: Float32Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(act) || !k.hasActivation(ract) ||
    !(ok(dxs) && ok(dKernel) && ok(dRecurrentKernel) && ok(dBias) && ok(dPre) && ok(dhA) && ok(dhB) && ok(dhTmp)) ||
    !(ok(xs) && ok(hPrev) && ok(h0) && ok(hs) && ok(pre) && ok(gates) && ok(kernel) && ok(recurrentKernel)) ||
    !(resetAfter ? ok(dPreH) && ok(mh) : ok(rh))
  ) {
    gruBackward(gemmWasm, dxs, dKernel, dRecurrentKernel, dBias, dPre, dPreH, dhA, dhB, dhTmp, dOut, returnSequences, ends, xs, hPrev, h0, hs, pre, gates, mh, rh, kernel, recurrentKernel, resetAfter, recurrentMask, mask, T, B, I, H, act, ract);
    return;
  }
  if (!resetAfter) {
    gruBackwardResetBefore(dxs, dKernel, dRecurrentKernel, dBias, dPre, dhA, dhB, dhTmp, dOut, returnSequences, ends, xs, hPrev, h0, hs, pre, gates, rh, kernel, recurrentKernel, recurrentMask, mask, T, B, I, H, act, ract);
    return;
  }
  const G = 3 * H;
  const slab = B * H;
  const rk = addr(recurrentKernel);
  let dh = dhA;
  let dhNext = dhB;
  startStateGrad(dh, ends?.dhT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const go = s * B * G;
    const so = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    const hp = s === 0 ? addr(h0) : addr(hs, so - slab);
    k.gruCellBackward(B, H, act, ract, addr(dPre, go), addr(dPreH, go), addr(dhNext), addr(dh), addr(pre, go), addr(gates, go), addr(mh, go), hp);
    if (mask !== null) {
      zeroMaskedRows(dPre, mask, s, B, G);
      zeroMaskedRows(dPreH, mask, s, B, G);
    }
    if (s === 0 && !toInitial) break;
    // mh = hPrev · U + b_h  =>  dhPrev = dmh · Uᵀ (U as stored: the dot-product kernel)
    k.gemmNT(B, H, G, addr(dPreH, go), G, rk, G, addr(dhTmp), H, 0);
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]! * recurrentMask[i]!;
    else for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]!;
    if (mask !== null) passMaskedRows(dhNext, dh, mask, s, B, H);
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      break;
    }
    const t = dh;
    dh = dhNext;
    dhNext = t;
  }
  k.gemm(I, G, T * B, addr(xs), 1, I, addr(dPre), G, addr(dKernel), G, 1);
  k.gemm(H, G, T * B, addr(hPrev), 1, H, addr(dPreH), G, addr(dRecurrentKernel), G, 1);
  if (dBias !== null) {
    k.biasGrad(addr(dBias), addr(dPre), T * B, G);
    k.biasGrad(addr(dBias, G), addr(dPreH), T * B, G);
  }
  if (dxs !== null) k.gemmNT(T * B, I, G, addr(dPre), G, addr(kernel), G, addr(dxs), I, 0);
}

/** gruBackwardWasm for resetAfter = false (operands checked resident by the caller). */
function gruBackwardResetBefore(
  dxs: Float32Array | null,
  dKernel: Float32Array,
  dRecurrentKernel: Float32Array,
  dBias: Float32Array | null,
  dPre: Float32Array,
  dhA: Float32Array,
  dhB: Float32Array,
  dhTmp: Float32Array,
  dOut: Float32Array | null,
  returnSequences: boolean,
  ends: StateEnds | null,
  xs: Float32Array,
  hPrev: Float32Array,
  h0: Float32Array,
  hs: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  rh: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  recurrentMask: Float32Array | null,
  mask: Float32Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const k = wasmRuntime().kernels;
  const G = 3 * H;
  const slab = B * H;
  const rk = addr(recurrentKernel);
  const rkH = rk + 8 * H; // U_h: columns 2H … 3H of [H, 3H]
  const dt = addr(dhTmp);
  let dh = dhA;
  let dhNext = dhB;
  startStateGrad(dh, ends?.dhT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const go = s * B * G;
    const so = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    const d = addr(dPre, go);
    const p = addr(pre, go);
    const g = addr(gates, go);
    k.gruCellBackwardZH(B, H, act, ract, d, addr(dhNext), addr(dh), p, g, s === 0 ? addr(h0) : addr(hs, so - slab));
    // pre_h = mx_h + rh · U_h  =>  drh = dpre_h · U_hᵀ (U as stored: the dot-product kernel)
    k.gemmNT(B, H, H, d + 8 * H, G, rkH, G, dt, H, 0);
    k.gruCellBackwardR(B, H, ract, d, dt, p, g, addr(hPrev, so));
    if (mask !== null) zeroMaskedRows(dPre, mask, s, B, G);
    if (s === 0 && !toInitial) break;
    // pre_zr = … + hPrev · U_zr  =>  dhPrev += dpre_zr · U_zrᵀ
    k.gemmNT(B, H, 2 * H, d, G, rk, G, dt, H, 1);
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]! * recurrentMask[i]!;
    else for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]!;
    if (mask !== null) passMaskedRows(dhNext, dh, mask, s, B, H);
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      break;
    }
    const t = dh;
    dh = dhNext;
    dhNext = t;
  }
  const dp = addr(dPre);
  k.gemm(I, G, T * B, addr(xs), 1, I, dp, G, addr(dKernel), G, 1);
  k.gemm(H, 2 * H, T * B, addr(hPrev), 1, H, dp, G, addr(dRecurrentKernel), G, 1);
  k.gemm(H, H, T * B, addr(rh), 1, H, dp + 8 * H, G, addr(dRecurrentKernel, 2 * H), G, 1);
  if (dBias !== null) k.biasGrad(addr(dBias), dp, T * B, G);
  if (dxs !== null) k.gemmNT(T * B, I, G, dp, G, addr(kernel), G, addr(dxs), I, 0);
}
