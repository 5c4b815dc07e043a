/**
 * AssemblyScript source of the WebAssembly SIMD GEMM kernel (compiled by
 * scripts/build-wasm.mjs into src/backend/wasm/gemmWasm.ts; not part of the tsc build).
 *
 *   C[M,N] (+)= A[M,K] · B[K,N]
 *
 * A element (i,k) is at a + 4·(i·sai + k·sak) — any strides, so a transposed A needs
 * no packing (its elements are broadcast one at a time). B is row-major [K, ldb] with
 * the N columns contiguous (the caller transposes a [N,K] operand while copying it in),
 * C is row-major [M, ldc]. All pointers are byte offsets into this module's memory.
 *
 * Micro-kernel: 4 rows × 8 columns of C held in eight f32x4 accumulators, K innermost:
 * per k, two vector loads of B's row segment, four broadcasts of A, eight mul+add.
 * Accumulation is in f32 (the TypeScript kernel accumulates in f64), k ascending.
 */

@inline function ld(p: usize): f32 {
  return load<f32>(p);
}

export function gemm(M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  const sa = <usize>sai << 2;
  const sk = <usize>sak << 2;
  const sb = <usize>ldb << 2;
  const sc = <usize>ldc << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * sa;
    const a1 = a0 + sa;
    const a2 = a1 + sa;
    const a3 = a2 + sa;
    const c0 = c + <usize>i * sc;
    const c1 = c0 + sc;
    const c2 = c1 + sc;
    const c3 = c2 + sc;
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      const jo = <usize>j << 2;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
      let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      if (accumulate) {
        s00 = v128.load(c0 + jo); s01 = v128.load(c0 + jo, 16);
        s10 = v128.load(c1 + jo); s11 = v128.load(c1 + jo, 16);
        s20 = v128.load(c2 + jo); s21 = v128.load(c2 + jo, 16);
        s30 = v128.load(c3 + jo); s31 = v128.load(c3 + jo, 16);
      }
      let pb = b + jo;
      let pa: usize = 0;
      for (let k = 0; k < K; k++) {
        const y0 = v128.load(pb);
        const y1 = v128.load(pb, 16);
        const x0 = f32x4.splat(ld(a0 + pa));
        const x1 = f32x4.splat(ld(a1 + pa));
        const x2 = f32x4.splat(ld(a2 + pa));
        const x3 = f32x4.splat(ld(a3 + pa));
        s00 = f32x4.add(s00, f32x4.mul(x0, y0)); s01 = f32x4.add(s01, f32x4.mul(x0, y1));
        s10 = f32x4.add(s10, f32x4.mul(x1, y0)); s11 = f32x4.add(s11, f32x4.mul(x1, y1));
        s20 = f32x4.add(s20, f32x4.mul(x2, y0)); s21 = f32x4.add(s21, f32x4.mul(x2, y1));
        s30 = f32x4.add(s30, f32x4.mul(x3, y0)); s31 = f32x4.add(s31, f32x4.mul(x3, y1));
        pb += sb;
        pa += sk;
      }
      v128.store(c0 + jo, s00); v128.store(c0 + jo, s01, 16);
      v128.store(c1 + jo, s10); v128.store(c1 + jo, s11, 16);
      v128.store(c2 + jo, s20); v128.store(c2 + jo, s21, 16);
      v128.store(c3 + jo, s30); v128.store(c3 + jo, s31, 16);
    }
    for (; j + 4 <= N; j += 4) {
      const jo = <usize>j << 2;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      if (accumulate) {
        s0 = v128.load(c0 + jo); s1 = v128.load(c1 + jo); s2 = v128.load(c2 + jo); s3 = v128.load(c3 + jo);
      }
      let pb = b + jo;
      let pa: usize = 0;
      for (let k = 0; k < K; k++) {
        const y = v128.load(pb);
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(ld(a0 + pa)), y));
        s1 = f32x4.add(s1, f32x4.mul(f32x4.splat(ld(a1 + pa)), y));
        s2 = f32x4.add(s2, f32x4.mul(f32x4.splat(ld(a2 + pa)), y));
        s3 = f32x4.add(s3, f32x4.mul(f32x4.splat(ld(a3 + pa)), y));
        pb += sb;
        pa += sk;
      }
      v128.store(c0 + jo, s0); v128.store(c1 + jo, s1); v128.store(c2 + jo, s2); v128.store(c3 + jo, s3);
    }
    for (; j < N; j++) {
      const jo = <usize>j << 2;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      if (accumulate) {
        s0 = ld(c0 + jo); s1 = ld(c1 + jo); s2 = ld(c2 + jo); s3 = ld(c3 + jo);
      }
      let pb = b + jo;
      let pa: usize = 0;
      for (let k = 0; k < K; k++) {
        const y = ld(pb);
        s0 += ld(a0 + pa) * y;
        s1 += ld(a1 + pa) * y;
        s2 += ld(a2 + pa) * y;
        s3 += ld(a3 + pa) * y;
        pb += sb;
        pa += sk;
      }
      store<f32>(c0 + jo, s0); store<f32>(c1 + jo, s1); store<f32>(c2 + jo, s2); store<f32>(c3 + jo, s3);
    }
  }
  for (; i < M; i++) {
    const a0 = a + <usize>i * sa;
    const c0 = c + <usize>i * sc;
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      const jo = <usize>j << 2;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      if (accumulate) {
        s0 = v128.load(c0 + jo); s1 = v128.load(c0 + jo, 16);
      }
      let pb = b + jo;
      let pa: usize = 0;
      for (let k = 0; k < K; k++) {
        const x = f32x4.splat(ld(a0 + pa));
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
        pb += sb;
        pa += sk;
      }
      v128.store(c0 + jo, s0); v128.store(c0 + jo, s1, 16);
    }
    for (; j < N; j++) {
      const jo = <usize>j << 2;
      let s: f32 = accumulate ? ld(c0 + jo) : 0;
      let pb = b + jo;
      let pa: usize = 0;
      for (let k = 0; k < K; k++) {
        s += ld(a0 + pa) * ld(pb);
        pb += sb;
        pa += sk;
      }
      store<f32>(c0 + jo, s);
    }
  }
}
