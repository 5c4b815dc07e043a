/**
 * The 'wasm' backend's Dense forward: y = act(x · kernel + bias) in one WebAssembly call
 * on resident buffers — the product, the bias, the activation (softmax included, row by
 * row) — so no step of it runs in JavaScript (the softmax over the vocabulary in a JS
 * loop took 5% of a 64-stream sampling step; three calls instead of one, 2% of a
 * one-character step). Backward stays backend/ts/dense.ts. When
 * an operand is not resident, or the activation has no WebAssembly kernel, the
 * TypeScript kernel runs instead.
 */
import { Act, type ActId } from '../ts/activation.js';
import { denseForward } from '../ts/dense.js';
import { gemmWasm } from './gemm.js';
import { addr, isResident, wasmRuntime } from './runtime.js';

export function denseForwardWasm(
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
  const k = wasmRuntime().kernels;
  const softmax = act === Act.softmax;
  if (!(softmax || k.hasActivation(act)) || !isResident(out) || !isResident(pre) || !isResident(x) || !isResident(kernel) || (bias !== null && !isResident(bias))) {
    denseForward(gemmWasm, out, pre, x, kernel, bias, rows, I, O, act);
    return;
  }
  k.denseForward(act, rows, I, O, addr(x), addr(kernel), bias === null ? 0 : addr(bias), addr(pre), addr(out));
}
