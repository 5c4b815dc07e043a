/**
 * Errors and boundary checks. Convention: TypeError for a wrong kind of value,
 * RangeError for a bad value or shape, ModelFormatError for corrupt or unsupported
 * model files. Messages say where (layer, argument) and what was expected vs found.
 */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

export function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive integer, got ${show(value)}`);
  }
  return value;
}

export function checkNumberIn(value: unknown, lo: number, hi: number, what: string, opts: { loOpen?: boolean; hiOpen?: boolean } = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (opts.loOpen ? value > lo : value >= lo) &&
    (opts.hiOpen ? value < hi : value <= hi);
  if (!ok) {
    const l = opts.loOpen ? '(' : '[';
    const h = opts.hiOpen ? ')' : ']';
    throw new RangeError(`${what} must be a number in ${l}${lo}, ${hi}${h}, got ${show(value)}`);
  }
  return value as number;
}

/**
 * The options every reader of untrusted model files takes: `maxBytes` (default 2^31) and
 * `checkFinite` (default true), checked. loadModel, loadOnnx and loadWeightsH5 share them.
 */
export function fileReadOptions(options: { maxBytes?: unknown; checkFinite?: unknown }, what: string): { maxBytes: number; checkFinite: boolean } {
  const maxBytes = options.maxBytes ?? 2 ** 31;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`${what}: maxBytes must be a non-negative integer, got ${show(options.maxBytes)}`);
  return { maxBytes, checkFinite: options.checkFinite === undefined ? true : checkBoolean(options.checkFinite, `${what}: checkFinite`) };
}

export function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be true or false, got ${show(value)}`);
  return value;
}

/**
 * Reject every key of `options` not in `supported`: an option we do not implement is
 * an error that names it, never silently ignored. `later` names Keras options that
 * exist but are not built yet, to say so explicitly.
 */
export function checkOptions(options: object | undefined, supported: readonly string[], where: string, later: Readonly<Record<string, string>> = {}): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] === undefined) continue;
    if (supported.includes(key)) continue;
    if (Object.hasOwn(later, key)) throw new RangeError(`${where}: option '${key}' is not supported yet (${later[key]})`);
    throw new RangeError(`${where}: unknown option '${key}'; ${supported.length === 0 ? 'it takes no options' : `supported options: ${supported.join(', ')}`}`);
  }
}

/** Look a name up in a registry, or throw listing the valid names. */
export function lookup<T>(registry: ReadonlyMap<string, T>, name: string, what: string): T {
  const found = registry.get(name);
  if (found === undefined) {
    const names = [...new Set(registry.keys())].join(', ');
    throw new RangeError(`unknown ${what} ${JSON.stringify(name)}; valid names: ${names}`);
  }
  return found;
}

/**
 * A lookup table without a prototype, so names read from a file ('constructor', '__proto__',
 * 'toString') find nothing instead of Object's own methods.
 */
export function table<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}

/**
 * A user's value for a message: JSON, except that NaN and ±Infinity print as themselves
 * (JSON.stringify writes them as null, which hides the very problem being reported).
 */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  const mark = '\u2063';
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `${mark}${x}${mark}` : x));
  } catch {
    text = undefined; // a cycle, a BigInt
  }
  return text === undefined ? String(value) : text.replace(new RegExp(`"${mark}(.*?)${mark}"`, 'g'), '$1');
}
