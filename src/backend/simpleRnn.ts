/**
 * SimpleRNN kernels: h_s = act(x_s · kernel + h_{s-1} · recurrentKernel + bias),
 * over time-major caches [T, B, ·] in processing order.
 *
 * The cuDNN recipe: the input product for all T steps is one GEMM over T·B rows
 * before the loop; the loop does only the recurrent product and the activation.
 * Backward walks s = T−1 … 0 keeping only dh_{s-1} = dPre_s · recurrentKernelᵀ in
 * the loop; dKernel, dRecurrentKernel, dBias and dx are one product each after it.
 */
import { gemm, transposeInto } from './gemm.js';
import { activationBackward, activationForward, type ActId } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';

export function simpleRnnForward(
  out: Float32Array, // [T, B, H] h_s for every step
  pre: Float32Array, // [T, B, H] pre-activations
  recurrentKernelT: Float32Array, // [H, H] scratch: recurrentKernelᵀ, packed once per call
  xs: Float32Array, // [T, B, I]
  h0: Float32Array, // [B, H] initial state
  kernel: Float32Array, // [I, H]
  recurrentKernel: Float32Array, // [H, H]
  bias: Float32Array | null, // [H]
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
): void {
  const slab = B * H;
  gemm(false, false, T * B, H, I, xs, 0, I, kernel, 0, H, pre, 0, H, false);
  if (bias !== null) addBias(pre, bias, T * B, H);
  transposeInto(recurrentKernelT, recurrentKernel, 0, H, H, H);
  for (let s = 0; s < T; s++) {
    const hPrev = s === 0 ? h0 : out;
    const hOff = s === 0 ? 0 : (s - 1) * slab;
    // pre_s += h_{s-1} · recurrentKernel   (recurrentKernelT rows are its columns)
    gemm(false, true, B, H, H, hPrev, hOff, H, recurrentKernelT, 0, H, pre, s * slab, H, true);
    activationForward(act, out, s * slab, pre, s * slab, B, H);
  }
}

export function simpleRnnBackward(
  dxs: Float32Array | null, // [T, B, I] overwritten; null when the input needs no gradient
  dh0: Float32Array | null, // [B, H] overwritten with d/dh0; null when not needed
  dKernel: Float32Array, // [I, H] accumulated
  dRecurrentKernel: Float32Array, // [H, H] accumulated
  dBias: Float32Array | null, // [H] accumulated
  dPre: Float32Array, // [T, B, H] scratch
  dh: Float32Array, // [B, H] scratch: gradient flowing into h_s
  dOut: Float32Array, // [T, B, H] when returnSequences, else [B, H] for the last step
  returnSequences: boolean,
  xs: Float32Array, // [T, B, I]
  h0: Float32Array, // [B, H]
  pre: Float32Array, // [T, B, H]
  out: Float32Array, // [T, B, H]
  kernel: Float32Array, // [I, H]
  recurrentKernel: Float32Array, // [H, H]
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
): void {
  const slab = B * H;
  dh.fill(0, 0, slab);
  for (let s = T - 1; s >= 0; s--) {
    const o = s * slab;
    if (returnSequences) {
      for (let i = 0; i < slab; i++) dh[i] = dh[i]! + dOut[o + i]!;
    } else if (s === T - 1) {
      for (let i = 0; i < slab; i++) dh[i] = dh[i]! + dOut[i]!;
    }
    // h_s = act(pre_s)  =>  dPre_s = dh ⊙ act'(pre_s)
    activationBackward(act, dPre, o, dh, 0, pre, o, out, o, B, H);
    // pre_s = … + h_{s-1} · recurrentKernel  =>  dh_{s-1} = dPre_s · recurrentKernelᵀ
    if (s > 0) gemm(false, true, B, H, H, dPre, o, H, recurrentKernel, 0, H, dh, 0, H, false);
    else if (dh0 !== null) gemm(false, true, B, H, H, dPre, 0, H, recurrentKernel, 0, H, dh0, 0, H, false);
  }
  // dKernel += Σ_s x_sᵀ · dPre_s, one product over all T·B rows
  gemm(true, false, I, H, T * B, xs, 0, I, dPre, 0, H, dKernel, 0, H, true);
  // dRecurrentKernel += h0ᵀ·dPre_0 + Σ_{s≥1} h_{s-1}ᵀ · dPre_s: the pairs for s ≥ 1 are
  // two contiguous [(T−1)·B, H] blocks offset by one slab
  gemm(true, false, H, H, B, h0, 0, H, dPre, 0, H, dRecurrentKernel, 0, H, true);
  if (T > 1) gemm(true, false, H, H, (T - 1) * B, out, 0, H, dPre, slab, H, dRecurrentKernel, 0, H, true);
  if (dBias !== null) biasGrad(dBias, dPre, T * B, H);
  if (dxs !== null) gemm(false, true, T * B, I, H, dPre, 0, H, kernel, 0, H, dxs, 0, I, false);
}
