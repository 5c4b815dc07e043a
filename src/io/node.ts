/**
 * Files for save/load in Node, loaded with dynamic imports so the package stays
 * browser-safe. Writes go to a temporary name and are renamed into place; the weights
 * file gets a fresh name per save and model.json is renamed last, so a process killed
 * mid-save leaves the previous model.json pointing at its own, intact weights file.
 */
import { ModelFormatError } from '../core/errors.js';
import { checkShardSizes, type ManifestLayout } from './weights.js';

interface Fs {
  mkdir(p: string, o: { recursive: boolean }): Promise<unknown>;
  writeFile(p: string, d: string | Uint8Array): Promise<void>;
  rename(a: string, b: string): Promise<void>;
  readFile(p: string, enc?: 'utf8'): Promise<string | Uint8Array>;
  unlink(p: string): Promise<void>;
  open(p: string, flags: string): Promise<{ sync(): Promise<void>; close(): Promise<void>; read(b: Uint8Array, off: number, len: number, pos: number): Promise<{ bytesRead: number }> }>;
  realpath(p: string): Promise<string>;
  readdir(p: string): Promise<string[]>;
  stat(p: string): Promise<{ size: number; isFile(): boolean }>;
}
interface Path {
  join(...p: string[]): string;
  dirname(p: string): string;
  resolve(...p: string[]): string;
  relative(a: string, b: string): string;
  isAbsolute(p: string): boolean;
  sep: string;
}

export function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

async function modules(what: string): Promise<{ fs: Fs; path: Path }> {
  if (!isNode()) throw new TypeError(`${what}: file paths work in Node only; in a browser pass a handler or {modelJson, weightData}`);
  const fs = (await import('node:fs/promises')) as unknown as Fs;
  const path = (await import('node:path')) as unknown as Path;
  return { fs, path };
}

/** A directory from a path or a file:// URL. */
export function dirFromTarget(target: string): string {
  if (target.startsWith('file://')) return decodeURIComponent(new URL(target).pathname);
  return target;
}

/** Write a file atomically: temporary name, flush, rename. */
async function writeAtomic(fs: Fs, file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await fs.writeFile(tmp, data);
    const h = await fs.open(tmp, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined); // leave nothing half-written behind
    throw e;
  }
}

/**
 * Save model.json and its weights into `dir`. `render(weightsFile)` produces the JSON
 * text and the weight bytes for a given weights file name.
 */
export async function saveToDirectory(target: string, render: (weightsFile: string) => { json: string; weights: ArrayBuffer }, what: string): Promise<string> {
  const { fs, path } = await modules(what);
  const dir = path.resolve(dirFromTarget(target));
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new Error(`${what}: cannot create directory ${dir}: ${(e as Error).message}`);
  }
  const jsonPath = path.join(dir, 'model.json');
  let previous: string[] = [];
  try {
    const old = JSON.parse((await fs.readFile(jsonPath, 'utf8')) as string) as { weightsManifest?: { paths?: string[] }[] };
    previous = (old.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  } catch {
    // no previous model here (or an unreadable one, which we replace)
  }
  const weightsFile = `weights-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.bin`;
  const { json, weights } = render(weightsFile);
  const weightsPath = path.join(dir, weightsFile);
  try {
    await writeAtomic(fs, weightsPath, new Uint8Array(weights));
    await writeAtomic(fs, jsonPath, json);
  } catch (e) {
    // model.json was not replaced: the new weights file is nobody's, remove it
    await fs.unlink(weightsPath).catch(() => undefined);
    throw new Error(`${what}: cannot write the model to ${dir}: ${(e as Error).message}`);
  }
  // model.json now points at the new weights: the old ones can go, and so can what earlier
  // saves that were killed midway left behind — temporary files and weight files no
  // model.json names — judged by rnnkit's own file names only (other files are never touched).
  for (const p of previous) {
    if (p === weightsFile || p.includes('/') || p.includes('\\')) continue;
    await fs.unlink(path.join(dir, p)).catch(() => undefined);
  }
  const now = Date.now();
  for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
    if (f !== weightsFile && staleLeftover(f, now)) await fs.unlink(path.join(dir, f)).catch(() => undefined);
  }
  return dir;
}

/**
 * rnnkit's own file names, each with the time it was named (Date.now() in base 36, 8 digits
 * until 2059): `weights-<time><random>.bin` and `<file>.tmp-<time>-<random>`.
 */
const OWN_WEIGHTS = /^weights-([0-9a-z]{8})[0-9a-z]{0,4}\.bin$/;
const OWN_TMP = /^(?:model\.json|weights-[0-9a-z]{8,12}\.bin)\.tmp-([0-9a-z]{8})-[0-9a-z]{0,6}$/;
/** Younger leftovers may be a save still running in another process: a later save sweeps them. */
const SWEEP_AFTER_MS = 60_000;
const YEAR_2020 = Date.UTC(2020, 0, 1);

/**
 * A weights file no model.json names, or a temporary file, left by a save that was killed:
 * one of rnnkit's names, from a plausible time over a minute ago. Names a user might choose
 * ("weights.bin", "weights-final.bin") do not decode to such a time and are never touched.
 */
function staleLeftover(f: string, now: number): boolean {
  const m = OWN_WEIGHTS.exec(f) ?? OWN_TMP.exec(f);
  if (m === null) return false;
  const t = parseInt(m[1]!, 36);
  return t >= YEAR_2020 && t <= now - SWEEP_AFTER_MS;
}

/** The largest model.json read (vocabularies in the metadata make some a few MB). */
export const MAX_JSON_BYTES = 256 * 2 ** 20;

/** What reading needs of node:fs/promises: stat, realpath, opening with numeric flags, the handle's own stat. */
interface ReadFs {
  stat(p: string): Promise<FileStat>;
  realpath(p: string): Promise<string>;
  open(p: string, flags: number): Promise<ReadHandle>;
  constants: Readonly<Record<string, number | undefined>>;
}
interface FileStat {
  size: number;
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}
interface ReadHandle {
  stat(): Promise<FileStat>;
  read(b: Uint8Array, off: number, len: number, pos: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** A file that is there but is no regular file (or was replaced while it was opened). */
class NotRegularFile extends Error {}

function kindOf(st: FileStat): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'something else';
}

/**
 * Open a file that must be a regular file, never blocking on what it is: stat says what it
 * is before it is opened (a FIFO or a device is never opened), the open is non-blocking (and,
 * with `noFollow`, refuses a symbolic link put in its place), and the handle's own stat must
 * show the same regular file — so a file swapped for a FIFO in between is refused too.
 */
async function openRegular(fs: ReadFs, file: string, noFollow: boolean): Promise<{ handle: ReadHandle; size: number }> {
  const st = await fs.stat(file);
  if (!st.isFile()) throw new NotRegularFile(`is ${kindOf(st)}, not a regular file`);
  const c = fs.constants;
  const handle = await fs.open(file, (c.O_RDONLY ?? 0) | (c.O_NONBLOCK ?? 0) | (noFollow ? (c.O_NOFOLLOW ?? 0) : 0));
  try {
    const now = await handle.stat();
    if (!now.isFile() || now.dev !== st.dev || now.ino !== st.ino) throw new NotRegularFile('was replaced while it was opened');
    return { handle, size: now.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Read exactly `size` bytes from an open file (never more, even if it grew meanwhile). */
async function readBounded(handle: ReadHandle, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await handle.read(out, at, size - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  if (at < size) throw new Error(`it holds ${at} bytes, fewer than the ${size} it had a moment ago`);
  return out;
}

/** One whole regular file (a `.keras` zip, an `.h5` or `.onnx` file), refused before it is read when it is over `maxBytes` (`what` names the caller in errors). */
export async function readFileBounded(source: string, maxBytes: number, what: string): Promise<{ bytes: Uint8Array; where: string }> {
  const { path } = await modules(what);
  const fs = (await import('node:fs/promises')) as unknown as ReadFs;
  const file = path.resolve(dirFromTarget(source));
  try {
    const { handle, size } = await openRegular(fs, file, false);
    try {
      if (size > maxBytes) throw new ModelFormatError(`${file}: ${size} bytes, more than the ${maxBytes} accepted (${what}'s maxBytes option)`);
      return { bytes: await readBounded(handle, size), where: file };
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new Error(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/**
 * Read model.json (path to the file or its directory); `readShards` then reads the weight
 * files its manifest names, as untrusted input: each path a file name relative to
 * model.json's directory (not absolute, not a URL) that stays inside it (checked as written
 * and with symbolic links resolved) and names a regular file (no FIFO, device or directory);
 * each group's files must hold exactly the bytes its weights need — compared with their
 * sizes before anything is read, and no read goes past those sizes. `check()` runs between
 * files (loadModel's AbortSignal).
 */
export async function readFromFiles(
  source: string,
  what: string,
): Promise<{ jsonText: string; where: string; readShards(layout: ManifestLayout, check?: () => void): Promise<ArrayBuffer[]> }> {
  const { path } = await modules(what);
  const fs = (await import('node:fs/promises')) as unknown as ReadFs;
  let file = path.resolve(dirFromTarget(source));
  if (!file.endsWith('.json')) file = path.join(file, 'model.json');
  let jsonText: string;
  try {
    const { handle, size } = await openRegular(fs, file, false);
    try {
      if (size > MAX_JSON_BYTES) throw new Error(`${size} bytes, more than the ${MAX_JSON_BYTES} a model.json may have`);
      jsonText = new TextDecoder().decode(await readBounded(handle, size));
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new Error(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
  const dir = path.dirname(file);
  const refuse = (p: { path: string; at: string }, why: string): ModelFormatError => new ModelFormatError(`${file}: weights path ${JSON.stringify(p.path)} (${p.at}) ${why}`);
  /** Whether `p` lies strictly inside `base` (both absolute). */
  const inside = (base: string, p: string): boolean => {
    const rel = path.relative(base, p);
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  };
  return {
    jsonText,
    where: file,
    readShards: async (layout, check = () => undefined) => {
      let realDir: string;
      try {
        realDir = await fs.realpath(dir);
      } catch (e) {
        throw new Error(`${what}: cannot read ${dir}: ${(e as Error).message}`);
      }
      // 1. Where each path leads and how big the file is, before anything is opened or read.
      const found = layout.groups.map((g) =>
        g.paths.map((p) => {
          if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p.path) && !path.isAbsolute(p.path)) throw refuse(p, "is a URL; weights paths name files relative to model.json's directory");
          if (path.isAbsolute(p.path) || p.path.startsWith('/') || p.path.startsWith('\\')) throw refuse(p, "is absolute; weights paths name files relative to model.json's directory");
          // As written first (so nothing outside is even looked at), then with links resolved.
          if (!inside(dir, path.resolve(dir, p.path))) throw refuse(p, "leads outside the model's directory");
          return { p, real: '', size: 0 };
        }),
      );
      for (const f of found.flat()) {
        check();
        try {
          f.real = await fs.realpath(path.resolve(dir, f.p.path));
          if (!inside(realDir, f.real)) throw refuse(f.p, "leads outside the model's directory (through a symbolic link)");
          const st = await fs.stat(f.real);
          if (!st.isFile()) throw refuse(f.p, `is ${kindOf(st)}, not a regular file`);
          f.size = st.size;
        } catch (e) {
          if (e instanceof ModelFormatError) throw e;
          if ((e as { code?: string }).code === 'ENOENT') throw refuse(f.p, 'names a file that does not exist');
          throw new Error(`${what}: cannot read weights file ${path.join(dir, f.p.path)}: ${(e as Error).message}`);
        }
      }
      checkShardSizes(
        layout,
        found.map((g) => g.map((f) => f.size)),
        file,
      );
      // 2. Read each file, opened so that it cannot block, exactly the size just checked.
      const out: ArrayBuffer[] = [];
      for (const f of found.flat()) {
        check();
        try {
          const { handle, size } = await openRegular(fs, f.real, true);
          try {
            if (size !== f.size) throw new Error(`its size changed from ${f.size} to ${size} bytes while it was being read`);
            out.push((await readBounded(handle, f.size)).buffer as ArrayBuffer);
          } finally {
            await handle.close();
          }
        } catch (e) {
          if (e instanceof NotRegularFile) throw refuse(f.p, e.message);
          throw new Error(`${what}: cannot read weights file ${path.join(dir, f.p.path)}: ${(e as Error).message}`);
        }
      }
      return out;
    },
  };
}

/** Write a text file (a plot, a report) atomically: temporary name, then rename. */
export async function writeTextFile(file: string, text: string, what: string): Promise<void> {
  const { fs } = await modules(what);
  try {
    await writeAtomic(fs, file, text);
  } catch (e) {
    throw new Error(`${what}: cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Write a binary file (an exported ONNX model) atomically: temporary name, then rename. */
export async function writeBinaryFile(file: string, data: Uint8Array, what: string): Promise<void> {
  const { fs } = await modules(what);
  try {
    await writeAtomic(fs, file, data);
  } catch (e) {
    throw new Error(`${what}: cannot write ${file}: ${(e as Error).message}`);
  }
}

/** One byte range another file holds for a model (an ONNX tensor's external data). */
export interface FileRange {
  /** The file name as the model writes it, relative to the model's directory. */
  readonly location: string;
  readonly offset: number;
  /** Bytes to read; null: to the end of the file. */
  readonly length: number | null;
  /** What the range is, for messages ("tensor 'W'"). */
  readonly label: string;
}

/**
 * Read byte ranges of files next to a model file, as untrusted input: each location is a
 * relative path that stays inside the model's directory (checked as written, then with
 * symbolic links resolved), names a regular file, and each range lies within that file's
 * size; the ranges together are at most `maxBytes`. All of that is checked before anything
 * is allocated or read; then each file is opened once (not following a link put in its
 * place) and exactly the checked ranges are read.
 */
export async function readFileRanges(modelFile: string, ranges: readonly FileRange[], maxBytes: number, what: string): Promise<Uint8Array[]> {
  const { path } = await modules(what);
  const fs = (await import('node:fs/promises')) as unknown as ReadFs;
  const dir = path.dirname(modelFile);
  const refuse = (r: FileRange, why: string): ModelFormatError => new ModelFormatError(`${modelFile}: ${r.label}: external data file ${JSON.stringify(r.location)} ${why}`);
  const inside = (base: string, p: string): boolean => {
    const rel = path.relative(base, p);
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  };
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch (e) {
    throw new Error(`${what}: cannot read ${dir}: ${(e as Error).message}`);
  }
  // 1. Each location as written, before anything outside is even looked at.
  for (const r of ranges) {
    if (r.location === '' || r.location.includes('\0')) throw refuse(r, 'is not a file name');
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(r.location) || path.isAbsolute(r.location) || r.location.startsWith('/') || r.location.startsWith('\\')) throw refuse(r, "is absolute or a URL; ONNX external data names a file relative to the model's directory");
    if (!inside(dir, path.resolve(dir, r.location))) throw refuse(r, "leads outside the model's directory");
  }
  // 2. Links resolved, the file's kind and size, each range against that size and the budget.
  const files = new Map<string, { real: string; size: number }>();
  let total = 0;
  for (const r of ranges) {
    let f = files.get(r.location);
    if (f === undefined) {
      try {
        const real = await fs.realpath(path.resolve(dir, r.location));
        if (!inside(realDir, real)) throw refuse(r, "leads outside the model's directory (through a symbolic link)");
        const st = await fs.stat(real);
        if (!st.isFile()) throw refuse(r, `is ${kindOf(st)}, not a regular file`);
        files.set(r.location, (f = { real, size: st.size }));
      } catch (e) {
        if (e instanceof ModelFormatError) throw e;
        if ((e as { code?: string }).code === 'ENOENT') throw refuse(r, 'does not exist');
        throw new Error(`${what}: cannot read ${path.join(dir, r.location)} (${r.label}): ${(e as Error).message}`);
      }
    }
    const length = r.length ?? f.size - r.offset;
    if (r.offset > f.size || length < 0 || r.offset + length > f.size) throw refuse(r, `holds ${f.size} bytes; offset ${r.offset} and length ${r.length ?? '(to the end)'} reach past its end`);
    total += length;
    if (total > maxBytes) throw refuse(r, `would take the external data past what maxBytes leaves after the model file (${maxBytes} bytes)`);
  }
  // 3. Read: each file opened once, each range exactly.
  const out: Uint8Array[] = new Array<Uint8Array>(ranges.length);
  for (const [location, f] of files) {
    try {
      const { handle, size } = await openRegular(fs, f.real, true);
      try {
        if (size !== f.size) throw new Error(`its size changed from ${f.size} to ${size} bytes while it was being read`);
        for (const [i, r] of ranges.entries()) {
          if (r.location !== location) continue;
          const length = r.length ?? f.size - r.offset;
          const buf = new Uint8Array(length);
          let at = 0;
          while (at < length) {
            const { bytesRead } = await handle.read(buf, at, length - at, r.offset + at);
            if (bytesRead === 0) throw new Error(`it ended at byte ${r.offset + at}, before the ${length} bytes of ${r.label}`);
            at += bytesRead;
          }
          out[i] = buf;
        }
      } finally {
        await handle.close();
      }
    } catch (e) {
      if (e instanceof NotRegularFile) throw new ModelFormatError(`${modelFile}: external data file ${JSON.stringify(location)} ${e.message}`);
      throw new Error(`${what}: cannot read external data file ${path.join(dir, location)}: ${(e as Error).message}`);
    }
  }
  return out;
}
