/**
 * The 'wasm' backend's LSTM: the time loops of backend/recurrent.ts with the per-step
 * product, the gate activations and the cell update in WebAssembly on resident buffers
 * (runtime.ts), so a step is a handful of calls with pointers. Masks, dropout and
 * the state gathering stay the TypeScript helpers, which work on the same views.
 * When an operand is not resident, or an activation has no WebAssembly kernel, the
 * TypeScript kernel runs instead (with the WebAssembly GEMM).
 */
import { applyRecurrentMask, backwardThroughTime, forwardThroughTime, zeroMaskedRows, type CellSteps, type RecurrentDims, type RecurrentMasks, type RecurrentWeights } from '../recurrent.js';
import { lstmBackward, lstmForward, type LstmCache, type LstmCacheGrads, type LstmStepState } from '../ts/lstm.js';
import { gemmWasm } from './gemm.js';
import { gemmLarge } from './packed.js';
import { addr, isResident, wasmRuntime } from './runtime.js';

/** Resident, or absent. (Checked one by one: an array literal per step would allocate.) */
const ok = (a: Float32Array | null): boolean => a === null || isResident(a);

/** Where the forward steps multiply the recurrent kernel packed once per pass (assembly/packed.ts: in place its rows are 4H floats apart): its address, else 0. */
function packedForward(c: LstmCache, G: number, H: number): number {
  return G % 8 === 0 && isResident(c.recurrentKernelT) && c.recurrentKernelT.length >= H * G ? addr(c.recurrentKernelT) : 0;
}

export function lstmForwardWasm(c: LstmCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(d.act) || !k.hasActivation(d.ract) ||
    !(ok(c.hs) && ok(c.cs) && ok(c.cAct) && ok(c.pre) && ok(c.gates) && ok(c.hPrev) && ok(c.xs) && ok(c.h0) && ok(c.c0) && ok(w.kernel) && ok(w.recurrentKernel) && ok(w.bias))
  ) {
    lstmForward(gemmWasm, c, w, m, d);
    return;
  }
  const { T, B, I, H } = d;
  const G = 4 * H;
  gemmLarge(k, T * B, G, I, addr(c.xs), I, 1, addr(w.kernel), G, addr(c.pre), G, 0);
  if (w.bias !== null) k.addBias(addr(c.pre), addr(w.bias), T * B, G);
  const rkp = packedForward(c, G, H);
  if (rkp !== 0) k.packB(H, G, addr(w.recurrentKernel), G, rkp);
  forwardThroughTime(lstmStepsWasm, gemmWasm, c, w, m, d);
}

export function lstmBackwardWasm(dw: RecurrentWeights, g: LstmCacheGrads, c: LstmCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(d.act) || !k.hasActivation(d.ract) ||
    !(ok(dw.kernel) && ok(dw.recurrentKernel) && ok(dw.bias) && ok(g.dPre) && ok(g.dhA) && ok(g.dhB) && ok(g.dcA) && ok(g.dcB)) ||
    !(ok(c.xs) && ok(c.hPrev) && ok(c.c0) && ok(c.cs) && ok(c.cAct) && ok(c.pre) && ok(c.gates) && ok(w.recurrentKernel) && ok(c.recurrentKernelT))
  ) {
    lstmBackward(gemmWasm, dw, g, c, w, m, d);
    return;
  }
  const { T, B, I, H } = d;
  const G = 4 * H;
  // dh_{s-1} = dz · recurrentKernelᵀ every step: transpose [H, G] → [G, H] once, packed in
  // 8-column panels where H allows (assembly/packed.ts).
  const rkT = addr(c.recurrentKernelT);
  if (H % 8 === 0) k.packBT(G, H, addr(w.recurrentKernel), G, rkT);
  else k.transpose(rkT, addr(w.recurrentKernel), G, H, G);
  backwardThroughTime(lstmStepsWasm, gemmWasm, g, c, w, m, d);
  const dPre = addr(g.dPre);
  gemmLarge(k, I, G, T * B, addr(c.xs), 1, I, dPre, G, addr(dw.kernel), G, 1);
  gemmLarge(k, H, G, T * B, addr(c.hPrev), 1, H, dPre, G, addr(dw.recurrentKernel), G, 1);
  if (dw.bias !== null) k.biasGrad(addr(dw.bias), dPre, T * B, G);
  if (g.dxs !== null) gemmWasm(false, true, T * B, I, G, g.dPre, 0, G, w.kernel, 0, G, g.dxs, 0, I, false);
}

/** The LSTM step in WebAssembly calls on resident buffers (checked, and the recurrent kernel packed, by the kernels above). */
const lstmStepsWasm: CellSteps<LstmCache, LstmCacheGrads, RecurrentDims> = {
  forward(_gemm, c, w, dims, s) {
    const { B, H, act, ract } = dims;
    const k = wasmRuntime().kernels;
    const G = 4 * H;
    const slab = B * H;
    const go = s * B * G;
    const so = s * slab;
    const p = addr(c.pre, go);
    const g = addr(c.gates, go);
    const rkp = packedForward(c, G, H);
    if (rkp !== 0) k.gemmPacked(B, G, H, addr(c.hPrev, so), H, 1, rkp, p, G, 1);
    else k.gemm(B, G, H, addr(c.hPrev, so), H, 1, addr(w.recurrentKernel), G, p, G, 1);
    const cs = c.cs;
    k.activationForward(ract, g, p, B, 2 * H, G); // i, f
    k.activationForward(act, g + 8 * H, p + 8 * H, B, H, G); // g
    k.activationForward(ract, g + 12 * H, p + 12 * H, B, H, G); // o
    const cPrev = s === 0 ? addr(c.c0) : addr(cs, so - slab);
    k.lstmCellForward(B, H, act, g, cPrev, addr(cs, so), addr(c.cAct, so), addr(c.hs, so));
  },
  backward(_gemm, gr, c, _w, m, dims, s, dh, _dhNext, dc, dcNext) {
    const { B, H, act, ract } = dims;
    const k = wasmRuntime().kernels;
    const G = 4 * H;
    const slab = B * H;
    const go = s * B * G;
    const so = s * slab;
    const d = addr(gr.dPre, go);
    const p = addr(c.pre, go);
    const g = addr(c.gates, go);
    const cs = c.cs;
    const cPrev = s === 0 ? addr(c.c0) : addr(cs, so - slab);
    k.lstmCellBackward(B, H, act, d, addr(dcNext!), addr(dh), addr(dc!), g, cPrev, addr(cs, so), addr(c.cAct, so));
    // through the gate activations, in place
    k.activationBackward(ract, d, d, p, g, B, 2 * H, G);
    k.activationBackward(act, d + 8 * H, d + 8 * H, p + 8 * H, g + 8 * H, B, H, G);
    k.activationBackward(ract, d + 12 * H, d + 12 * H, p + 12 * H, g + 12 * H, B, H, G);
    if (m.step !== null) zeroMaskedRows(gr.dPre, m.step, s, B, G);
  },
  recurrent(_gemm, gr, c, _w, m, dims, s, dhNext) {
    const { B, H } = dims;
    const k = wasmRuntime().kernels;
    const G = 4 * H;
    const d = addr(gr.dPre, s * B * G);
    const rkT = addr(c.recurrentKernelT); // transposed (packed where H % 8 = 0) by lstmBackwardWasm
    if (H % 8 === 0) k.gemmPacked(B, H, G, d, G, 1, rkT, addr(dhNext), H, 0);
    else k.gemm(B, H, G, d, G, 1, rkT, H, addr(dhNext), H, 0);
    applyRecurrentMask(dhNext, m.recurrent, B * H);
  },
};

/**
 * One inference step on carried state, in one call (see lstmStep in assembly/): st.h and
 * st.c [B, H] updated in place from x [B, I]. Declines (returns false: run the time loop
 * instead) when an operand is not resident or an activation has no wasm kernel.
 */
export function lstmStepWasm(st: LstmStepState, x: Float32Array, w: RecurrentWeights, d: RecurrentDims): boolean {
  const k = wasmRuntime().kernels;
  const { h, c, gates, cAct } = st;
  const { kernel, recurrentKernel, bias } = w;
  if (!k.hasActivation(d.act) || !k.hasActivation(d.ract) || !(ok(h) && ok(c) && ok(gates) && ok(cAct) && ok(x) && ok(kernel) && ok(recurrentKernel) && ok(bias))) return false;
  k.lstmStep(d.B, d.I, d.H, d.act, d.ract, addr(x), addr(kernel), addr(recurrentKernel), bias === null ? 0 : addr(bias), addr(h), addr(c), addr(gates), addr(cAct));
  return true;
}

/** lstmStepProjected (backend/ts/lstm.ts) in one WebAssembly call; declines as lstmStepWasm does. */
export function lstmStepProjectedWasm(st: LstmStepState, table: Float32Array, ids: Float32Array, recurrentKernel: Float32Array, d: RecurrentDims): boolean {
  const k = wasmRuntime().kernels;
  const { h, c, gates, cAct } = st;
  if (!k.hasActivation(d.act) || !k.hasActivation(d.ract) || !(isResident(h) && isResident(c) && isResident(gates) && isResident(cAct) && isResident(table) && isResident(ids) && isResident(recurrentKernel))) return false;
  k.lstmStepProjected(d.B, d.H, d.act, d.ract, addr(ids), addr(table), addr(recurrentKernel), addr(h), addr(c), addr(gates), addr(cAct));
  return true;
}
