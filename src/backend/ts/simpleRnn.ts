/**
 * SimpleRNN kernels: h_s = act(x_s · kernel + hPrev_s · recurrentKernel + bias), over
 * time-major caches [T, B, ·] in processing order (see recurrent.ts for hPrev,
 * masking and dropout).
 *
 * The cuDNN recipe: the input product for all T steps is one GEMM over T·B rows
 * before the loop; the loop does only the recurrent product and the activation.
 * Backward walks s = T−1 … 0 keeping only dh_{s-1} = dPre_s · recurrentKernelᵀ in
 * the loop; dKernel, dRecurrentKernel, dBias and dx are one product each after it.
 */
import { prefersTransposedB, transposeInto, type GemmFn } from './gemm.js';
import { activationBackward, activationForward } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';
import { applyRecurrentMask, backwardThroughTime, forwardThroughTime, zeroMaskedRows, type CellSteps, type RecurrentCache, type RecurrentCacheGrads, type RecurrentDims, type RecurrentMasks, type RecurrentWeights } from '../recurrent.js';

/** hs, hPrev, pre from xs and h0 (c0, cs null); G = H. */
export function simpleRnnForward(gemm: GemmFn, c: RecurrentCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const { T, B, I, H } = d;
  gemm(false, false, T * B, H, I, c.xs, 0, I, w.kernel, 0, H, c.pre, 0, H, false);
  if (w.bias !== null) addBias(c.pre, w.bias, T * B, H);
  // The TS GEMM wants the recurrent kernel transposed once per call; with few rows per step
  // (streaming) or another backend it multiplies the kernel as stored.
  if (prefersTransposedB(gemm, B)) transposeInto(c.recurrentKernelT, w.recurrentKernel, 0, H, H, H);
  forwardThroughTime(simpleRnnSteps, gemm, c, w, m, d);
}

/** dw accumulated, g.dxs overwritten; reads the caches forward left. */
export function simpleRnnBackward(gemm: GemmFn, dw: RecurrentWeights, g: RecurrentCacheGrads, c: RecurrentCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const { T, B, I, H } = d;
  backwardThroughTime(simpleRnnSteps, gemm, g, c, w, m, d);
  // one product each over all T·B rows
  gemm(true, false, I, H, T * B, c.xs, 0, I, g.dPre, 0, H, dw.kernel, 0, H, true);
  gemm(true, false, H, H, T * B, c.hPrev, 0, H, g.dPre, 0, H, dw.recurrentKernel, 0, H, true);
  if (dw.bias !== null) biasGrad(dw.bias, g.dPre, T * B, H);
  if (g.dxs !== null) gemm(false, true, T * B, I, H, g.dPre, 0, H, w.kernel, 0, H, g.dxs, 0, I, false);
}

/** The SimpleRNN step on the TypeScript kernels (the time loops are recurrent.ts's). */
export const simpleRnnSteps: CellSteps<RecurrentCache, RecurrentCacheGrads, RecurrentDims> = {
  forward(gemm, c, w, d, s) {
    const { B, H } = d;
    const o = s * B * H;
    // pre_s += hPrev_s · recurrentKernel
    if (prefersTransposedB(gemm, B)) gemm(false, true, B, H, H, c.hPrev, o, H, c.recurrentKernelT, 0, H, c.pre, o, H, true);
    else gemm(false, false, B, H, H, c.hPrev, o, H, w.recurrentKernel, 0, H, c.pre, o, H, true);
    activationForward(d.act, c.hs, o, c.pre, o, B, H);
  },
  backward(_gemm, g, c, _w, m, d, s, dh) {
    const { B, H } = d;
    const o = s * B * H;
    // h_s = act(pre_s)  =>  dPre_s = dh ⊙ act'(pre_s)
    activationBackward(d.act, g.dPre, o, dh, 0, c.pre, o, c.hs, o, B, H);
    if (m.step !== null) zeroMaskedRows(g.dPre, m.step, s, B, H);
  },
  recurrent(gemm, g, _c, w, m, d, s, dhNext) {
    const { B, H } = d;
    // pre_s = … + hPrev_s · recurrentKernel, hPrev_s = h_{s-1} ⊙ m  =>  dh_{s-1} = (dPre_s · recurrentKernelᵀ) ⊙ m
    gemm(false, true, B, H, H, g.dPre, s * B * H, H, w.recurrentKernel, 0, H, dhNext, 0, H, false);
    applyRecurrentMask(dhNext, m.recurrent, B * H);
  },
};
