/**
 * Files for save/load in Node, loaded with dynamic imports so the package stays
 * browser-safe. Writes go to a temporary name and are renamed into place; the weights
 * file gets a fresh name per save and model.json is renamed last, so a process killed
 * mid-save leaves the previous model.json pointing at its own, intact weights file.
 */

interface Fs {
  mkdir(p: string, o: { recursive: boolean }): Promise<unknown>;
  writeFile(p: string, d: string | Uint8Array): Promise<void>;
  rename(a: string, b: string): Promise<void>;
  readFile(p: string, enc?: 'utf8'): Promise<string | Uint8Array>;
  unlink(p: string): Promise<void>;
  open(p: string, flags: string): Promise<{ sync(): Promise<void>; close(): Promise<void> }>;
}
interface Path {
  join(...p: string[]): string;
  dirname(p: string): string;
  resolve(...p: string[]): string;
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
  // model.json now points at the new weights: the old ones can go.
  for (const p of previous) {
    if (p === weightsFile || p.includes('/') || p.includes('\\')) continue;
    await fs.unlink(path.join(dir, p)).catch(() => undefined);
  }
  return dir;
}

/** Read model.json (path to the file or its directory) and every shard it names. */
export async function readFromFiles(source: string, what: string): Promise<{ jsonText: string; where: string; readShard(p: string): Promise<ArrayBuffer> }> {
  const { fs, path } = await modules(what);
  let file = path.resolve(dirFromTarget(source));
  if (!file.endsWith('.json')) file = path.join(file, 'model.json');
  let jsonText: string;
  try {
    jsonText = (await fs.readFile(file, 'utf8')) as string;
  } catch (e) {
    throw new Error(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
  const dir = path.dirname(file);
  return {
    jsonText,
    where: file,
    readShard: async (p) => {
      const full = path.join(dir, p);
      try {
        const b = (await fs.readFile(full)) as Uint8Array;
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      } catch (e) {
        throw new Error(`${what}: cannot read weights file ${full}: ${(e as Error).message}`);
      }
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
