/**
 * Argument parsing for the CLI on Node's built-in util.parseArgs (no dependency), plus
 * checked conversions that turn bad values into one-line UsageErrors.
 */
import { show } from '../core/errors.js';
import { parseArgs } from 'node:util';

/** A user mistake: printed as one line on stderr, exit code 2 (usage) or 1 (input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, 2);

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export function parse(argv: string[], options: OptionSpec, command: string): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    // parseArgs messages are multi-line prose; keep the first line and point at --help.
    const full = (e as Error).message;
    const ambiguous = /^Option '(--?[\w-]+)'.* argument is ambiguous/.exec(full);
    const msg = ambiguous !== null ? `${ambiguous[1]} needs a value; write a value starting with '-' as ${ambiguous[1]}=-1` : full.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw usageError(`${command}: ${msg} (see ${command} --help)`);
  }
}

/** --workers N|auto: Model.fit's data-parallel shards ('auto' when not given). */
export function workersOption(values: Record<string, unknown>): number | 'auto' {
  return values.workers === undefined || values.workers === 'auto' ? 'auto' : intOption(values, 'workers', 1);
}

export function intOption(values: Record<string, unknown>, name: string, fallback: number, min = 1): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const s = String(raw).trim();
  const n = Number(s);
  if (s === '' || !Number.isInteger(n) || n < min) throw usageError(`--${name} must be an integer ≥ ${min}, got ${show(raw)}`);
  return n;
}

export function numberOption(values: Record<string, unknown>, name: string, fallback: number, ok: (n: number) => boolean, expected: string): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const s = String(raw).trim();
  const n = Number(s);
  if (s === '' || !Number.isFinite(n) || !ok(n)) throw usageError(`--${name} must be ${expected}, got ${show(raw)}`);
  return n;
}

export function choiceOption<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) throw usageError(`--${name} must be one of ${choices.join(', ')}, got ${show(raw)}`);
  return raw as T;
}
