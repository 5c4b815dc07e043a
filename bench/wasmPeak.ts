/**
 * The ceiling of one core for rnnkit's WebAssembly kernels: GFLOP/s of 128-bit SIMD
 * multiply-adds with every operand in registers (twelve independent f32x4 accumulators, no
 * memory access), the most a GEMM written in WebAssembly SIMD can approach on this machine.
 * Issue 18 compares the GEMM-bound rows against it: a one-thread target that asks for more
 * GFLOP/s than this cannot be met by any kernel, only by wider vectors (AVX2/AVX-512, which
 * PyTorch's OpenBLAS uses and WebAssembly does not expose).
 *
 *   npx tsx bench/wasmPeak.ts                                   mul + add (what the kernels use)
 *   node --experimental-wasm-relaxed-simd --import tsx bench/wasmPeak.ts   also relaxed_madd (FMA)
 *
 * The kernel is compiled from the AssemblyScript below with the project's asc (a dev
 * dependency, as for `npm run build:wasm`); each figure is the best of five runs of ~0.3 s.
 * bench/profileFit.ts imports measurePeaks to put a workload's GEMM rate beside it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Twelve chains of a = a·b + c: enough independent work to cover the latency of every pipe. */
const kernel = (madd: (a: string) => string): string => {
  const chains = Array.from({ length: 12 }, (_, i) => i);
  return [
    'export function peak(n: i32, x: f32): f32 {',
    ...chains.map((i) => `  let a${i} = f32x4.splat(x + ${i});`),
    '  const b = f32x4.splat(0.999);',
    '  const c = f32x4.splat(0.001);',
    '  for (let i = 0; i < n; i++) {',
    ...chains.map((i) => `    a${i} = ${madd(`a${i}`)};`),
    '  }',
    `  const s = ${chains.map((i) => `a${i}`).reduce((l, r) => `f32x4.add(${l}, ${r})`)};`,
    '  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);',
    '}',
  ].join('\n');
};
const VARIANTS = [
  { name: 'f32x4 mul + add (the kernels)', features: 'simd', source: kernel((a) => `f32x4.add(f32x4.mul(${a}, b), c)`) },
  { name: 'f32x4 relaxed_madd (FMA)', features: 'simd,relaxed-simd', source: kernel((a) => `f32x4.relaxed_madd(${a}, b, c)`) },
];

const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');

/** Compile AssemblyScript `source` with asc (a dev dependency) and the given features: the module's bytes. */
export function compileAssemblyScript(source: string, features: string, extra: readonly string[] = []): Uint8Array<ArrayBuffer> {
  const tmp = mkdtempSync(join(tmpdir(), 'rnnkit-asc-'));
  try {
    const [src, out] = [join(tmp, 'module.ts'), join(tmp, 'module.wasm')];
    writeFileSync(src, source);
    execFileSync(process.execPath, [asc, src, '--outFile', out, '--enable', features, '-O3', '--runtime', 'stub', '--use', 'abort=', ...extra], { stdio: 'inherit' });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Each variant's best GFLOP/s over five runs of ~0.3 s, or null where this engine lacks its features. */
export function measurePeaks(): { name: string; gflops: number | null; runs: number[] }[] {
  return VARIANTS.map((v) => {
    const bytes = compileAssemblyScript(v.source, v.features);
    if (!WebAssembly.validate(bytes)) return { name: v.name, gflops: null, runs: [] };
    const peak = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.peak as (n: number, x: number) => number;
    peak(1e6, 1); // compiled by the optimizing tier before timing
    const runs: number[] = [];
    const n = 4e6;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      let reps = 0;
      while (performance.now() - t0 < 300) (peak(n, 1), reps++);
      runs.push((reps * n * 12 * 4 * 2) / ((performance.now() - t0) / 1000) / 1e9);
    }
    return { name: v.name, gflops: Math.max(...runs), runs };
  });
}

if (process.argv[1] !== undefined && /wasmPeak\.ts$/.test(process.argv[1])) {
  for (const p of measurePeaks()) {
    if (p.gflops === null) console.log(`${p.name}: not supported by this engine (Node 20: --experimental-wasm-relaxed-simd)`);
    else console.log(`${p.name}: ${p.gflops.toFixed(1)} GFLOP/s on one core (runs ${p.runs.map((r) => r.toFixed(1)).join(', ')})`);
  }
}
