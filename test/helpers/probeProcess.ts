/**
 * Runs an allocation probe (a test/helpers/*Probe.ts script that prints its reading as the
 * last JSON line) in a child process, as a user's program would run: alone. A reading over
 * the limit is taken once more in a fresh process. Why: V8 can leave one process with a hot
 * function running unoptimised for good (after deopts on a loaded machine it may stop
 * re-optimising it), and that code boxes a number per step for the rest of the process —
 * seen once in CI (34 KB over 2,000 sampling steps, every round for 4 s, beside parallel
 * test files). A real per-step allocation shows in both processes.
 */
import { execFileSync } from 'node:child_process';

export interface ProbeReading {
  grown: number;
  gcs: number;
  /** The probe's own limit in bytes, where it states one. */
  slack?: number;
}

export function runProbe<R extends ProbeReading>(probe: string, args: string[], slack?: number): R {
  const once = (): R => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', probe, ...args], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as R;
  };
  const first = once();
  return first.gcs === 0 && first.grown <= (slack ?? first.slack ?? 0) ? first : once();
}
