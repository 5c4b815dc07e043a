/** Running the rnnkit CLI (src/cli/main.ts through tsx) in a child process, and its user-error contract. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `rnnkit ...args` from the repository root, with stack traces off (RNNKIT_DEBUG unset). */
export function rnnkit(...args: string[]): Run {
  return rnnkitWithInput('', ...args);
}

/** The same, with `input` on its standard input. */
export function rnnkitWithInput(input: string, ...args: string[]): Run {
  return rnnkitWithEnv({}, input, ...args);
}

/** The same, with `env` added to the environment (e.g. a TZ). */
export function rnnkitWithEnv(env: Record<string, string>, input: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', input, env: { ...process.env, RNNKIT_DEBUG: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user mistake: exit code, exactly one stderr line matching `pattern`, no stack trace. */
export function assertUserError(r: Run, code: number, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(r.code, code, `exit code ${r.code}, stderr: ${r.stderr}`);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.ok(!/^\s+at /m.test(r.stderr), 'stack trace printed');
}

/** What `run` writes to process.stderr in this process (the CLI's notes and warnings), and its result. */
export async function withStderr<T>(run: () => T | Promise<T>): Promise<{ value: T; stderr: string[] }> {
  const stderr: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((m: string) => (stderr.push(m), true)) as typeof process.stderr.write;
  try {
    return { value: await run(), stderr };
  } finally {
    process.stderr.write = write;
  }
}
