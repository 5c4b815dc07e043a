/**
 * The 'wasm' backend's products on packed B (assembly/packed.ts): the recurrent time loops
 * pack their recurrent kernel once per pass and run each step's product on the packed
 * panels; the large products outside the loops (the input product over all T·B rows, the
 * weight gradients) pack B block by block as they go. Same numbers as the plain kernel,
 * bit for bit (the kernels' header says why); only the memory access differs.
 */
import { scratch, type WasmKernelExports } from './runtime.js';

/** Fewer rows than this and packing a block of B costs more than reading it in place saves. */
const PACK_MIN_ROWS = 32;

/**
 * gemm(M, N, K, a, sai, sak, b, ldb, c, ldc, accumulate) on byte addresses, with each block
 * of B packed into scratch when the product is large enough to repay it. The last N mod 8
 * columns go through gemm itself, which computes them as it would have.
 */
export function gemmLarge(k: WasmKernelExports, M: number, N: number, K: number, a: number, sai: number, sak: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void {
  const n8 = N & ~7;
  if (M < PACK_MIN_ROWS || n8 === 0 || K === 0) {
    k.gemm(M, N, K, a, sai, sak, b, ldb, c, ldc, accumulate);
    return;
  }
  k.gemmPackB(M, N, K, a, sai, sak, b, ldb, c, ldc, accumulate, scratch(k.gemmPackBWorkFloats()));
  if (N > n8) k.gemm(M, N - n8, K, a, sai, sak, b + 4 * n8, ldb, c + 4 * n8, ldc, accumulate);
}
