/**
 * How the kernels are compiled: asc's flags and the two builds embedded in
 * src/backend/wasm/kernelsWasm.ts. Shared by scripts/build-wasm.mjs, which makes them, and
 * bench/profileFit.ts, which compiles the same module with --debug for its function names.
 */
export const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=', '--importMemory', '--sharedMemory', '--maximumMemory', '65536', '--initialMemory', '1'];
/** [constant in kernelsWasm.ts, asc --enable features]. */
export const WASM_VARIANTS = [
  ['KERNELS_WASM_SIMD', 'simd,threads'],
  ['KERNELS_WASM_RELAXED', 'simd,relaxed-simd,threads'],
];
