/**
 * The 'wasm' backend's SimpleRNN: the time loops of backend/recurrent.ts with the
 * per-step product and the activation in WebAssembly on resident buffers
 * (runtime.ts), so a step is two calls with pointers (no cell kernel is needed:
 * the GEMM and the activation kernels are the whole step). Masks, dropout and the
 * state gathering stay the TypeScript helpers, which work on the same views. When an
 * operand is not resident, or the activation has no WebAssembly kernel, the TypeScript
 * kernel runs instead (with the WebAssembly GEMM).
 */
import { applyRecurrentMask, backwardThroughTime, forwardThroughTime, zeroMaskedRows, type CellSteps, type RecurrentCache, type RecurrentCacheGrads, type RecurrentDims, type RecurrentMasks, type RecurrentWeights } from '../recurrent.js';
import { simpleRnnBackward, simpleRnnForward } from '../ts/simpleRnn.js';
import { gemmWasm } from './gemm.js';
import { addr, residentOrNull as ok, wasmRuntime } from './runtime.js';

export function simpleRnnForwardWasm(c: RecurrentCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const k = wasmRuntime().kernels;
  if (!k.hasActivation(d.act) || !(ok(c.hs) && ok(c.pre) && ok(c.hPrev) && ok(c.xs) && ok(c.h0) && ok(w.kernel) && ok(w.recurrentKernel) && ok(w.bias))) {
    simpleRnnForward(gemmWasm, c, w, m, d);
    return;
  }
  const { T, B, I, H } = d;
  k.gemm(T * B, H, I, addr(c.xs), I, 1, addr(w.kernel), H, addr(c.pre), H, 0);
  if (w.bias !== null) k.addBias(addr(c.pre), addr(w.bias), T * B, H);
  forwardThroughTime(simpleRnnStepsWasm, gemmWasm, c, w, m, d);
}

export function simpleRnnBackwardWasm(dw: RecurrentWeights, g: RecurrentCacheGrads, c: RecurrentCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const k = wasmRuntime().kernels;
  if (
    !k.hasActivation(d.act) ||
    !(ok(g.dxs) && ok(dw.kernel) && ok(dw.recurrentKernel) && ok(dw.bias) && ok(g.dPre) && ok(g.dhA) && ok(g.dhB)) ||
    !(ok(c.xs) && ok(c.hPrev) && ok(c.pre) && ok(c.hs) && ok(w.kernel) && ok(w.recurrentKernel))
  ) {
    simpleRnnBackward(gemmWasm, dw, g, c, w, m, d);
    return;
  }
  const { T, B, I, H } = d;
  backwardThroughTime(simpleRnnStepsWasm, gemmWasm, g, c, w, m, d);
  const dPre = addr(g.dPre);
  k.gemm(I, H, T * B, addr(c.xs), 1, I, dPre, H, addr(dw.kernel), H, 1);
  k.gemm(H, H, T * B, addr(c.hPrev), 1, H, dPre, H, addr(dw.recurrentKernel), H, 1);
  if (dw.bias !== null) k.biasGrad(addr(dw.bias), dPre, T * B, H);
  if (g.dxs !== null) k.gemmNT(T * B, I, H, dPre, H, addr(w.kernel), H, addr(g.dxs), I, 0);
}

/** The SimpleRNN step in WebAssembly calls on resident buffers (checked by the kernels above). */
const simpleRnnStepsWasm: CellSteps<RecurrentCache, RecurrentCacheGrads, RecurrentDims> = {
  forward(_gemm, c, w, d, s) {
    const { B, H } = d;
    const k = wasmRuntime().kernels;
    const so = s * B * H;
    const p = addr(c.pre, so);
    k.gemm(B, H, H, addr(c.hPrev, so), H, 1, addr(w.recurrentKernel), H, p, H, 1); // pre_s += hPrev_s · recurrentKernel
    k.activationForward(d.act, addr(c.hs, so), p, B, H, H);
  },
  backward(_gemm, g, c, _w, m, d, s, dh) {
    const { B, H } = d;
    const so = s * B * H;
    // dPre_s = dh ⊙ act'(pre_s)
    wasmRuntime().kernels.activationBackward(d.act, addr(g.dPre, so), addr(dh), addr(c.pre, so), addr(c.hs, so), B, H, H);
    if (m.step !== null) zeroMaskedRows(g.dPre, m.step, s, B, H);
  },
  recurrent(_gemm, g, _c, w, m, d, s, dhNext) {
    const { B, H } = d;
    // dh_{s-1} = (dPre_s · recurrentKernelᵀ) ⊙ m (recurrentKernel as stored: the dot-product kernel)
    wasmRuntime().kernels.gemmNT(B, H, H, addr(g.dPre, s * B * H), H, addr(w.recurrentKernel), H, addr(dhNext), H, 0);
    applyRecurrentMask(dhNext, m.recurrent, B * H);
  },
};
