/**
 * The relaxed-SIMD build of the kernels (fused multiply-add) is what Node ≥ 22 and
 * Chrome ≥ 114 run; Node 20 runs the plain SIMD build unless started with
 * --experimental-wasm-relaxed-simd. Where this process already has the relaxed build, the
 * whole suite tests it; otherwise the kernel-parity file and the streaming tests run again
 * in a child process started with the flag, so neither build ships untested.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { wasmRuntime, wasmSupported } from '../src/backend/wasm/runtime.js';

const FLAG = '--experimental-wasm-relaxed-simd';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runtimeSrc = new URL('../src/backend/wasm/runtime.ts', import.meta.url).href;

/** Whether a child started with FLAG gets the relaxed build (false where the engine has no such flag). */
function childIsRelaxed(): boolean {
  const r = spawnSync(process.execPath, [FLAG, '--import', 'tsx', '--input-type=module', '-e', `const { wasmRuntime } = await import(${JSON.stringify(runtimeSrc)}); console.log(wasmRuntime().relaxed);`], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return r.status === 0 && r.stdout.trim().endsWith('true');
}

function skipReason(): string | false {
  if (process.env.RNNKIT_BACKEND === 'ts') return 'the TypeScript pass of the suite (the wasm pass runs this)';
  if (!wasmSupported()) return 'WebAssembly SIMD not available';
  if (wasmRuntime().relaxed) return 'this process runs the relaxed build: the whole suite covers it';
  if (!childIsRelaxed()) return `this engine has no ${FLAG}`;
  return false;
}
const skip = skipReason();

describe('relaxed-SIMD kernels (fused multiply-add)', { skip }, () => {
  it('pass the kernel-parity and streaming tests against the TypeScript kernels', () => {
    const files = ['test/wasmKernels.test.ts', 'test/wasmPacked.test.ts', 'test/wasmLstmCell.test.ts', 'test/gemmRows.test.ts', 'test/stream.test.ts'];
    const r = spawnSync(process.execPath, [FLAG, '--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
      cwd: ROOT,
      encoding: 'utf8',
      // NODE_TEST_CONTEXT would make the child report into this run and exit 0 whatever happened.
      env: { ...process.env, RNNKIT_BACKEND: 'wasm', NODE_TEST_CONTEXT: undefined },
    });
    assert.match(r.stdout, /^ℹ pass [1-9]/m, `the child ran no tests:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    assert.equal(r.status, 0, `relaxed-SIMD run failed:\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-2000)}`);
  });
});
