/**
 * Dense kernels: y = act(x · kernel + bias) over `rows` rows (a batch, or every time
 * step of a batch: Dense on [B, T, I] is the same product over B·T rows).
 */
import type { GemmFn } from './gemm.js';
import { activationBackward, activationForward, type ActId } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';

export function denseForward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  out: Float32Array, // [rows, O]
  pre: Float32Array, // [rows, O] pre-activation; may be `out` for a linear activation
  x: Float32Array, // [rows, I]
  kernel: Float32Array, // [I, O]
  bias: Float32Array | null, // [O]
  rows: number,
  I: number,
  O: number,
  act: ActId,
): void {
  gemm(false, false, rows, O, I, x, 0, I, kernel, 0, O, pre, 0, O, false);
  if (bias !== null) addBias(pre, bias, rows, O);
  activationForward(act, out, 0, pre, 0, rows, O);
}

export function denseBackward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  dx: Float32Array | null, // [rows, I] overwritten; null when the input needs no gradient
  dKernel: Float32Array, // [I, O] accumulated
  dBias: Float32Array | null, // [O] accumulated
  dPre: Float32Array, // [rows, O] scratch; may alias dOut
  dOut: Float32Array, // [rows, O]
  x: Float32Array, // [rows, I]
  pre: Float32Array, // [rows, O]
  out: Float32Array, // [rows, O]
  kernel: Float32Array, // [I, O]
  rows: number,
  I: number,
  O: number,
  act: ActId,
): void {
  // out = act(pre)  =>  dPre = dOut ⊙ act'(pre)
  activationBackward(act, dPre, 0, dOut, 0, pre, 0, out, 0, rows, O);
  // pre = x · kernel  =>  dKernel += xᵀ · dPre, dx = dPre · kernelᵀ
  gemm(true, false, I, O, rows, x, 0, I, dPre, 0, O, dKernel, 0, O, true);
  if (dBias !== null) biasGrad(dBias, dPre, rows, O);
  if (dx !== null) gemm(false, true, rows, I, O, dPre, 0, O, kernel, 0, O, dx, 0, I, false);
}
