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
import { addr, isResident, residentOrNull as ok, wasmRuntime } from './runtime.js';

/** Where the forward steps multiply the recurrent kernel packed once per pass (assembly/packed.ts: in place its rows are 4H floats apart): its address, else 0. */
function packedForward(c: LstmCache, G: number, H: number): number {
  return G % 8 === 0 && isResident(c.recurrentKernelT) && c.recurrentKernelT.length >= H * G ? addr(c.recurrentKernelT) : 0;
}

/**
 * Whether the backward's dz · Uᵀ runs on Uᵀ packed: where a row of U (4H floats) passes 8 KiB.
 * Below, the dot-product kernel on U as stored measured faster than the packed one and than
 * gemm on a transposed copy (batch 64, CPU time: H 128 44 against 38 and 39 GFLOP/s; H 512 38
 * against 34 and 37); above, it falls behind (H 1024: 26 against 34 and 26).
 */
function packedBackward(H: number): boolean {
  return 4 * H > 2048 && H % 8 === 0;
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
  // dh_{s-1} = dz · recurrentKernelᵀ every step: Uᵀ packed once (assembly/packed.ts) where
  // a row of U passes 8 KiB, else the dot-product kernel on U as stored (packedBackward).
  if (packedBackward(H)) k.packBT(G, H, addr(w.recurrentKernel), G, addr(c.recurrentKernelT));
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
    // the gate activations and the cell update in one pass over the gates
    k.lstmGatesCellForward(B, H, act, ract, p, g, s === 0 ? addr(c.c0) : addr(cs, so - slab), addr(cs, so), addr(c.cAct, so), addr(c.hs, so));
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
    // the cell and the gate activations backward in one pass
    k.lstmGatesCellBackward(B, H, act, ract, d, addr(dcNext!), addr(dh), addr(dc!), p, g, cPrev, addr(cs, so), addr(c.cAct, so));
    if (m.step !== null) zeroMaskedRows(gr.dPre, m.step, s, B, G);
  },
  recurrent(_gemm, gr, c, w, m, dims, s, dhNext) {
    const { B, H } = dims;
    const k = wasmRuntime().kernels;
    const G = 4 * H;
    const d = addr(gr.dPre, s * B * G);
    if (packedBackward(H)) k.gemmPacked(B, H, G, d, G, 1, addr(c.recurrentKernelT), addr(dhNext), H, 0); // Uᵀ packed by lstmBackwardWasm
    else k.gemmNT(B, H, G, d, G, addr(w.recurrentKernel), G, addr(dhNext), H, 0);
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
