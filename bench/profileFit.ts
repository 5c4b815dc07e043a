/**
 * Where one thread's training time goes, for one of the bench's training workloads: the
 * workload's model and data as `npm run bench` builds them, fit on the wasm backend with one
 * worker, a warm-up call first (allocation and compilation are not measured), then `--batches`
 * batches under V8's sampling profiler (node:inspector, in process). Self time is summed per
 * function; the WebAssembly functions get their names from a --debug build of assembly/
 * compiled with the shipped build's flags (checked: the same exports at the same indices).
 * Printed: seconds per batch, GFLOP/s (bench/workloads.ts flopsPerBatch), the share of the
 * matrix products, their implied rate, and that rate against the register-only peak of
 * WebAssembly SIMD multiply-adds on this core (bench/wasmPeak.ts).
 *
 *   npx tsx bench/profileFit.ts --workload gru256 [--batches 8] [--top 15]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ASC_FLAGS, WASM_VARIANTS } from '../scripts/wasm-flags.mjs';
import { useBackend } from '../src/backend/kernels.js';
import { readLeb, wasmRuntime } from '../src/backend/wasm/runtime.js';
import * as built from '../src/backend/wasm/kernelsWasm.js';
import { tensor } from '../src/index.js';
import { buildRnnkitModel, sliceData } from './frameworks.js';
import { measurePeaks } from './wasmPeak.js';
import { WORKLOADS, flopsPerBatch } from './workloads.js';

const { values } = parseArgs({ options: { workload: { type: 'string', default: 'gru256' }, batches: { type: 'string', default: '8' }, top: { type: 'string', default: '15' } } });
const w = WORKLOADS.find((x) => x.name === values.workload);
const trainable = WORKLOADS.filter((x) => x.mode === 'batch' || x.mode === 'epoch').map((x) => x.name);
if (w === undefined || !trainable.includes(w.name)) throw new Error(`--workload: one of ${trainable.join(', ')}; got ${values.workload}`);
const batches = Number(values.batches);
const top = Number(values.top);
if (!Number.isInteger(batches) || batches < 1) throw new Error(`--batches: a positive integer, got ${values.batches}`);
if (!Number.isInteger(top) || top < 1) throw new Error(`--top: a positive integer, got ${values.top}`);

/** WebAssembly function index → name, from a module's name section (null if it has none). */
function functionNames(bytes: Uint8Array): Map<number, string> | null {
  let p = 8;
  const leb = (): number => {
    const [v, next] = readLeb(bytes, p);
    p = next;
    return v;
  };
  const text = (n: number): string => new TextDecoder().decode(bytes.subarray(p, (p += n)));
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const end = leb() + p;
    if (id === 0 && text(leb()) === 'name') {
      while (p < end) {
        const sub = bytes[p++]!;
        const subEnd = leb() + p;
        if (sub === 1) {
          const names = new Map<number, string>();
          for (let n = leb(); n > 0; n--) names.set(leb(), text(leb()).replace(/^assembly\//, ''));
          return names;
        }
        p = subEnd;
      }
    }
    p = end;
  }
  return null;
}

// The shipped module the runtime chose (relaxed SIMD where the engine has it), and a debug build of the same sources and flags.
useBackend('wasm');
const variant = WASM_VARIANTS[wasmRuntime().relaxed ? 1 : 0]!;
const shipped = Buffer.from(built[variant[0]], 'base64');
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), 'rnnkit-prof-'));
let names: Map<number, string> | null;
try {
  const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
  const out = join(tmp, 'kernels.wasm');
  execFileSync(process.execPath, [asc, join(root, 'assembly', 'index.ts'), '--outFile', out, '--enable', variant[1], ...ASC_FLAGS, '--debug'], { stdio: 'inherit' });
  names = functionNames(readFileSync(out));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
// Trust the names only if every export of the shipped module sits at the debug build's index for it.
const shippedExports = WebAssembly.Module.exports(new WebAssembly.Module(shipped)).filter((e) => e.kind === 'function');
const debugIdx = names === null ? new Map<string, number>() : new Map([...names].map(([i, n]) => [n.replace(/^.*\//, ''), i]));
if (names !== null && shippedExports.some((e) => !debugIdx.has(e.name))) names = null;

const spec = w.model;
const data = w.data();
const B = spec.batchSize;
const model = buildRnnkitModel(spec);
const xy = (count: number) => {
  const { x, y } = sliceData(data, spec, 0, count);
  const xs = x.map((b) => tensor(b.data, b.shape));
  return [xs.length === 1 ? xs[0]! : xs, tensor(y.data, y.shape)] as const;
};
const fit = async (count: number): Promise<number> => {
  const [x, y] = xy(count);
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: B, shuffle: false, verbose: 0, workers: 1 });
  return (performance.now() - t0) / 1000;
};
await fit(2 * B);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const seconds = await fit(batches * B);
const { profile } = await session.post('Profiler.stop');
session.disconnect();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples!.forEach((id, i) => {
  const dt = profile.timeDeltas![i]!;
  const f = byId.get(id)!.callFrame;
  const m = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
  const name = m !== null && names !== null ? `wasm ${names.get(Number(m[1])) ?? f.functionName}` : f.functionName || `(anonymous) ${f.url.replace(/^.*\//, '')}:${f.lineNumber}`;
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
});
/** The matrix products (the GEMM entry points and their inner tiles), and their operands' packing. */
const GEMM = /^wasm (index\/gemm|index\/gemmSlice|index\/gemmNT|index\/tileRowTail|packed\/packedSlice|packed\/gemmPacked)$/;
const PACK = /^wasm packed\/(packB|packBT|gemmPackB)$/;
const share = (re: RegExp): number => [...self].filter(([n]) => re.test(n)).reduce((a, [, t]) => a + t, 0) / total;
const perBatch = seconds / batches;
const gflops = flopsPerBatch(spec) / perBatch / 1e9;
console.log(`${w.name}: ${w.title}`);
console.log(`${batches} batches on one thread: ${perBatch.toFixed(4)} s/batch, ${gflops.toFixed(1)} GFLOP/s (${variant[0]})`);
for (const [n, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${n}`);
if (names === null) console.log('(the debug build does not match the shipped module: WebAssembly functions are unnamed, shares not computed)');
else {
  const g = share(GEMM);
  const peak = measurePeaks()[wasmRuntime().relaxed ? 1 : 0]!.gflops!;
  console.log(`matrix products ${(100 * g).toFixed(1)}% of the time, packing ${(100 * share(PACK)).toFixed(1)}%: the products run at ~${(gflops / g).toFixed(1)} GFLOP/s, ${((100 * gflops) / g / peak).toFixed(0)}% of this core's register-only peak (${peak.toFixed(1)} GFLOP/s, bench/wasmPeak.ts)`);
}
process.exit(0);
