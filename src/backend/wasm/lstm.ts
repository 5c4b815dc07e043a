/**
 * The 'wasm' backend's LSTM: the time loop of backend/ts/lstm.ts with the per-step
 * product, the gate activations and the cell update in WebAssembly on resident buffers
 * (runtime.ts), so a step is a handful of calls with pointers. Masks, dropout and
 * the state gathering stay the TypeScript helpers, which work on the same views.
 * When an operand is not resident, or an activation has no WebAssembly kernel, the
 * TypeScript kernel runs instead (with the WebAssembly GEMM).
 */
import { addOutputGradient, gatherPrevState, holdMaskedRows, passMaskedRows, startStateGrad, storeStateGrad, wantsInitialGrad, zeroMaskedRows, type StateEnds } from '../recurrent.js';
import { lstmBackward, lstmForward } from '../ts/lstm.js';
import { gemmWasm } from './gemm.js';
import { gemmLarge } from './packed.js';
import { addr, isResident, wasmRuntime } from './runtime.js';
import type { ActId } from '../ts/activation.js';

/** Resident, or absent. (Checked one by one: an array literal per step would allocate.) */
const ok = (a: Float32Array | null): boolean => a === null || isResident(a);

export function lstmForwardWasm(
  hs: Float32Array,
  cs: Float32Array,
  cAct: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  hPrev: Float32Array,
  recurrentKernelT: Float32Array,
  xs: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array | null,
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
    !(ok(hs) && ok(cs) && ok(cAct) && ok(pre) && ok(gates) && ok(hPrev) && ok(xs) && ok(h0) && ok(c0) && ok(kernel) && ok(recurrentKernel) && ok(bias))
  ) {
    lstmForward(gemmWasm, hs, cs, cAct, pre, gates, hPrev, recurrentKernelT, xs, h0, c0, kernel, recurrentKernel, bias, recurrentMask, mask, T, B, I, H, act, ract);
    return;
  }
  const G = 4 * H;
  const slab = B * H;
  gemmLarge(k, T * B, G, I, addr(xs), I, 1, addr(kernel), G, addr(pre), G, 0);
  if (bias !== null) k.addBias(addr(pre), addr(bias), T * B, G);
  const rk = addr(recurrentKernel);
  // The recurrent kernel packed once for all T steps (assembly/packed.ts: in place its rows are 4H floats apart).
  const rkp = G % 8 === 0 && isResident(recurrentKernelT) && recurrentKernelT.length >= H * G ? addr(recurrentKernelT) : 0;
  if (rkp !== 0) k.packB(H, G, rk, G, rkp);
  for (let s = 0; s < T; s++) {
    const go = s * B * G;
    const so = s * slab;
    gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
    const p = addr(pre, go);
    const g = addr(gates, go);
    if (rkp !== 0) k.gemmPacked(B, G, H, addr(hPrev, so), H, 1, rkp, p, G, 1);
    else k.gemm(B, G, H, addr(hPrev, so), H, 1, rk, G, p, G, 1);
    k.activationForward(ract, g, p, B, 2 * H, G); // i, f
    k.activationForward(act, g + 8 * H, p + 8 * H, B, H, G); // g
    k.activationForward(ract, g + 12 * H, p + 12 * H, B, H, G); // o
    const cPrev = s === 0 ? addr(c0) : addr(cs, so - slab);
    k.lstmCellForward(B, H, act, g, cPrev, addr(cs, so), addr(cAct, so), addr(hs, so));
    if (mask !== null) {
      holdMaskedRows(hs, h0, mask, s, B, H);
      holdMaskedRows(cs, c0, mask, s, B, H);
    }
  }
}

/**
 * One inference step on carried state, in one call (see lstmStep in wasm/kernels.ts):
 * h and c [B, H] updated in place from x [B, I]. Declines (returns false: run the time
 * loop instead) when an operand is not resident or an activation has no wasm kernel.
 */
export function lstmStepWasm(
  h: Float32Array,
  c: Float32Array,
  gates: Float32Array,
  cAct: Float32Array,
  x: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array | null,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): boolean {
  const k = wasmRuntime().kernels;
  if (!k.hasActivation(act) || !k.hasActivation(ract) || !(ok(h) && ok(c) && ok(gates) && ok(cAct) && ok(x) && ok(kernel) && ok(recurrentKernel) && ok(bias))) return false;
  k.lstmStep(B, I, H, act, ract, addr(x), addr(kernel), addr(recurrentKernel), bias === null ? 0 : addr(bias), addr(h), addr(c), addr(gates), addr(cAct));
  return true;
}

/** lstmStepProjected (backend/ts/lstm.ts) in one WebAssembly call; declines as lstmStepWasm does. */
export function lstmStepProjectedWasm(
  h: Float32Array,
  c: Float32Array,
  gates: Float32Array,
  cAct: Float32Array,
  table: Float32Array,
  ids: Float32Array,
  recurrentKernel: Float32Array,
  B: number,
  H: number,
  act: ActId,
  ract: ActId,
): boolean {
  const k = wasmRuntime().kernels;
  if (!k.hasActivation(act) || !k.hasActivation(ract) || !(isResident(h) && isResident(c) && isResident(gates) && isResident(cAct) && isResident(table) && isResident(ids) && isResident(recurrentKernel))) return false;
  k.lstmStepProjected(B, H, act, ract, addr(ids), addr(table), addr(recurrentKernel), addr(h), addr(c), addr(gates), addr(cAct));
  return true;
}

export function lstmBackwardWasm(
  dxs: Float32Array | null,
  dKernel: Float32Array,
  dRecurrentKernel: Float32Array,
  dBias: Float32Array | null,
  dPre: Float32Array,
  dhA: Float32Array,
  dhB: Float32Array,
  dcA: Float32Array,
  dcB: Float32Array,
  dcAct: Float32Array,
  dOut: Float32Array | null,
  returnSequences: boolean,
  ends: StateEnds | null,
  xs: Float32Array,
  hPrev: Float32Array,
  c0: Float32Array,
  cs: Float32Array,
  cAct: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  recurrentKernelT: Float32Array,
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
    !(ok(dKernel) && ok(dRecurrentKernel) && ok(dBias) && ok(dPre) && ok(dhA) && ok(dhB) && ok(dcA) && ok(dcB)) ||
    !(ok(xs) && ok(hPrev) && ok(c0) && ok(cs) && ok(cAct) && ok(pre) && ok(gates) && ok(recurrentKernel) && ok(recurrentKernelT))
  ) {
    lstmBackward(gemmWasm, dxs, dKernel, dRecurrentKernel, dBias, dPre, dhA, dhB, dcA, dcB, dcAct, dOut, returnSequences, ends, xs, hPrev, c0, cs, cAct, pre, gates, kernel, recurrentKernel, recurrentKernelT, recurrentMask, mask, T, B, I, H, act, ract);
    return;
  }
  const G = 4 * H;
  const slab = B * H;
  // dh_{s-1} = dz · recurrentKernelᵀ every step: transpose [H, G] → [G, H] once, packed in
  // 8-column panels where H allows (assembly/packed.ts).
  const rkT = addr(recurrentKernelT);
  const packed = H % 8 === 0;
  if (packed) k.packBT(G, H, addr(recurrentKernel), G, rkT);
  else k.transpose(rkT, addr(recurrentKernel), G, H, G);
  let dh = dhA; // gradients reaching h_s and c_s
  let dhNext = dhB; // … and flowing on to step s-1
  let dc = dcA;
  let dcNext = dcB;
  startStateGrad(dh, ends?.dhT ?? null, slab);
  startStateGrad(dc, ends?.dcT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const go = s * B * G;
    const so = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    const d = addr(dPre, go);
    const p = addr(pre, go);
    const g = addr(gates, go);
    const cPrev = s === 0 ? addr(c0) : addr(cs, so - slab);
    k.lstmCellBackward(B, H, act, d, addr(dcNext), addr(dh), addr(dc), g, cPrev, addr(cs, so), addr(cAct, so));
    // through the gate activations, in place
    k.activationBackward(ract, d, d, p, g, B, 2 * H, G);
    k.activationBackward(act, d + 8 * H, d + 8 * H, p + 8 * H, g + 8 * H, B, H, G);
    k.activationBackward(ract, d + 12 * H, d + 12 * H, p + 12 * H, g + 12 * H, B, H, G);
    if (mask !== null) zeroMaskedRows(dPre, mask, s, B, G);
    if (s === 0 && !toInitial) break;
    if (packed) k.gemmPacked(B, H, G, d, G, 1, rkT, addr(dhNext), H, 0);
    else k.gemm(B, H, G, d, G, 1, rkT, H, addr(dhNext), H, 0);
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! * recurrentMask[i]!;
    if (mask !== null) {
      passMaskedRows(dhNext, dh, mask, s, B, H);
      passMaskedRows(dcNext, dc, mask, s, B, H);
    }
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      storeStateGrad(ends!.dc0, dcNext, slab);
      break;
    }
    let t = dh;
    dh = dhNext;
    dhNext = t;
    t = dc;
    dc = dcNext;
    dcNext = t;
  }
  gemmLarge(k, I, G, T * B, addr(xs), 1, I, addr(dPre), G, addr(dKernel), G, 1);
  gemmLarge(k, H, G, T * B, addr(hPrev), 1, H, addr(dPre), G, addr(dRecurrentKernel), G, 1);
  if (dBias !== null) k.biasGrad(addr(dBias), addr(dPre), T * B, G);
  if (dxs !== null) gemmWasm(false, true, T * B, I, G, dPre, 0, G, kernel, 0, G, dxs, 0, I, false);
}
