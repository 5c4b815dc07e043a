/**
 * The 'wasm' backend's Adam update (adamUpdate in wasm/kernels.ts): the rule of
 * src/optimizers/adam.ts in f64x2 lanes, bit for bit the same results, on parameters,
 * gradients and moments resident in the module's memory.
 */
import { addr, isResident, wasmRuntime } from './runtime.js';

export function adamUpdateWasm(
  params: Float32Array,
  grads: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vHat: Float32Array | null,
  lo: number,
  hi: number,
  hyper: Float32Array,
): boolean {
  if (!(isResident(params) && isResident(grads) && isResident(m) && isResident(v) && isResident(hyper) && (vHat === null || isResident(vHat)))) return false;
  wasmRuntime().kernels.adamUpdate(addr(params), addr(grads), addr(m), addr(v), vHat === null ? 0 : addr(vHat), lo, hi, addr(hyper));
  return true;
}
