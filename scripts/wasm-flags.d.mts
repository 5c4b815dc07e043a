export declare const ASC_FLAGS: readonly string[];
export declare const WASM_VARIANTS: readonly (readonly [name: 'KERNELS_WASM_SIMD' | 'KERNELS_WASM_RELAXED', features: string])[];
