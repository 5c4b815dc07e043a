/**
 * The 'wasm' backend's SimpleRNN: the time loop of backend/ts/simpleRnn.ts with the
 * per-step product and the activation in WebAssembly on resident buffers
 * (runtime.ts), so a step is two calls with pointers (no cell kernel is needed:
 * the GEMM and the activation kernels are the whole step). Masks, dropout and the
 * state gathering stay the TypeScript helpers, which work on the same views. When an
 * operand is not resident, or the activation has no WebAssembly kernel, the TypeScript
 * kernel runs instead (with the WebAssembly GEMM).
 */
import { addOutputGradient, gatherPrevState, holdMaskedRows, passMaskedRows, startStateGrad, storeStateGrad, wantsInitialGrad, zeroMaskedRows, type StateEnds } from '../recurrent.js';
import { simpleRnnBackward, simpleRnnForward } from '../ts/simpleRnn.js';
import { gemmWasm } from './gemm.js';
import { addr, isResident, wasmRuntime } from './runtime.js';
import type { ActId } from '../ts/activation.js';

/** Resident, or absent. (Checked one by one: an array literal per step would allocate.) */
const ok = (a: Float32Array | null): boolean => a === null || isResident(a);

export function simpleRnnForwardWasm(
  hs: Float32Array,
  pre: Float32Array,
  hPrev: Float32Array,
  recurrentKernelT: Float32Array,
  xs: Float32Array,
  h0: Float32Array,
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
): void {
  const k = wasmRuntime().kernels;
  if (!k.hasActivation(act) || !(ok(hs) && ok(pre) && ok(hPrev) && ok(xs) && ok(h0) && ok(kernel) && ok(recurrentKernel) && ok(bias))) {
    simpleRnnForward(gemmWasm, hs, pre, hPrev, recurrentKernelT, xs, h0, kernel, recurrentKernel, bias, recurrentMask, mask, T, B, I, H, act);
    return;
  }
  const slab = B * H;
  k.gemm(T * B, H, I, addr(xs), I, 1, addr(kernel), H, addr(pre), H, 0);
  if (bias !== null) k.addBias(addr(pre), addr(bias), T * B, H);
  const rk = addr(recurrentKernel);
  for (let s = 0; s < T; s++) {
    const so = s * slab;
    gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
    const p = addr(pre, so);
    k.gemm(B, H, H, addr(hPrev, so), H, 1, rk, H, p, H, 1); // pre_s += hPrev_s · recurrentKernel
    k.activationForward(act, addr(hs, so), p, B, H, H);
    if (mask !== null) holdMaskedRows(hs, h0, mask, s, B, H);
  }
}

export function simpleRnnBackwardWasm(
  dxs: Float32Array | null,
  dKernel: Float32Array,
  dRecurrentKernel: Float32Array,
  dBias: Float32Array | null,
  dPre: Float32Array,
  dhA: Float32Array,
  dhB: Float32Array,
  dOut: Float32Array | null,
  returnSequences: boolean,
  ends: StateEnds | null,
  xs: Float32Array,
  hPrev: Float32Array,
  pre: Float32Array,
  hs: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  recurrentMask: Float32Array | null,
  mask: Float32Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(act) ||
    !(ok(dxs) && ok(dKernel) && ok(dRecurrentKernel) && ok(dBias) && ok(dPre) && ok(dhA) && ok(dhB)) ||
    !(ok(xs) && ok(hPrev) && ok(pre) && ok(hs) && ok(kernel) && ok(recurrentKernel))
  ) {
    simpleRnnBackward(gemmWasm, dxs, dKernel, dRecurrentKernel, dBias, dPre, dhA, dhB, dOut, returnSequences, ends, xs, hPrev, pre, hs, kernel, recurrentKernel, recurrentMask, mask, T, B, I, H, act);
    return;
  }
  const slab = B * H;
  const rk = addr(recurrentKernel);
  let dh = dhA; // gradient reaching h_s
  let dhNext = dhB; // gradient flowing on to h_{s-1}
  startStateGrad(dh, ends?.dhT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const so = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    const d = addr(dPre, so);
    k.activationBackward(act, d, addr(dh), addr(pre, so), addr(hs, so), B, H, H); // dPre_s = dh ⊙ act'(pre_s)
    if (mask !== null) zeroMaskedRows(dPre, mask, s, B, H);
    if (s === 0 && !toInitial) break;
    // dh_{s-1} = (dPre_s · recurrentKernelᵀ) ⊙ m (recurrentKernel as stored: the dot-product kernel)
    k.gemmNT(B, H, H, d, H, rk, H, addr(dhNext), H, 0);
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! * recurrentMask[i]!;
    if (mask !== null) passMaskedRows(dhNext, dh, mask, s, B, H);
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      break;
    }
    const t = dh;
    dh = dhNext;
    dhNext = t;
  }
  k.gemm(I, H, T * B, addr(xs), 1, I, addr(dPre), H, addr(dKernel), H, 1);
  k.gemm(H, H, T * B, addr(hPrev), 1, H, addr(dPre), H, addr(dRecurrentKernel), H, 1);
  if (dBias !== null) k.biasGrad(addr(dBias), addr(dPre), T * B, H);
  if (dxs !== null) k.gemmNT(T * B, I, H, addr(dPre), H, addr(kernel), H, addr(dxs), I, 0);
}
