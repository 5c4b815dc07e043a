/**
 * AssemblyScript: the GEMM's register tiles, shared by the plain GEMM (assembly/index.ts: B in
 * place, rows sb bytes apart) and the packed one (assembly/packed.ts: a panel's rows 32 bytes
 * apart). One copy, so both sum every element of C in the same order with the same madd: the
 * packed GEMM's results equal gemm's bit for bit because this is the same code, not a copy kept
 * in step. Inlined where used, sb a constant there in the packed case; nothing here is a module
 * export (index.ts re-exports other files, not this one). The k loop runs to an end pointer
 * rather than counting k (one add fewer per k), as the packed GEMM's own copy did.
 */
import { bcast, madd } from './simd';

/** C[4, 8] at c (rows sc bytes apart) (+)= A[4, K] at a (rows sa, columns sk bytes apart) · B[K, 8] at b (rows sb apart). */
@inline export function tile4x8(K: i32, a0: usize, sa: usize, sk: usize, b: usize, sb: usize, c0: usize, sc: usize, accumulate: bool): void {
  const a1 = a0 + sa;
  const a2 = a1 + sa;
  const a3 = a2 + sa;
  const c1 = c0 + sc;
  const c2 = c1 + sc;
  const c3 = c2 + sc;
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  if (accumulate) {
    s00 = v128.load(c0); s01 = v128.load(c0, 16);
    s10 = v128.load(c1); s11 = v128.load(c1, 16);
    s20 = v128.load(c2); s21 = v128.load(c2, 16);
    s30 = v128.load(c3); s31 = v128.load(c3, 16);
  }
  let pb = b;
  let pa: usize = 0;
  const end = b + <usize>K * sb; // sb > 0: B has at least the 8 columns the tile reads
  while (pb < end) {
    const y0 = v128.load(pb);
    const y1 = v128.load(pb, 16);
    const x0 = bcast(a0 + pa);
    const x1 = bcast(a1 + pa);
    const x2 = bcast(a2 + pa);
    const x3 = bcast(a3 + pa);
    s00 = madd(x0, y0, s00); s01 = madd(x0, y1, s01);
    s10 = madd(x1, y0, s10); s11 = madd(x1, y1, s11);
    s20 = madd(x2, y0, s20); s21 = madd(x2, y1, s21);
    s30 = madd(x3, y0, s30); s31 = madd(x3, y1, s31);
    pb += sb;
    pa += sk;
  }
  v128.store(c0, s00); v128.store(c0, s01, 16);
  v128.store(c1, s10); v128.store(c1, s11, 16);
  v128.store(c2, s20); v128.store(c2, s21, 16);
  v128.store(c3, s30); v128.store(c3, s31, 16);
}

/** One row: C[1, 8] (+)= A[1, K] · B[K, 8] (the M % 4 rows). */
@inline export function tile1x8(K: i32, a0: usize, sk: usize, b: usize, sb: usize, c0: usize, accumulate: bool): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  if (accumulate) {
    s0 = v128.load(c0); s1 = v128.load(c0, 16);
  }
  let pb = b;
  let pa: usize = 0;
  const end = b + <usize>K * sb; // sb > 0: B has at least the 8 columns the tile reads
  while (pb < end) {
    const x = bcast(a0 + pa);
    s0 = madd(x, v128.load(pb), s0);
    s1 = madd(x, v128.load(pb, 16), s1);
    pb += sb;
    pa += sk;
  }
  v128.store(c0, s0); v128.store(c0, s1, 16);
}
