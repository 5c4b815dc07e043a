/**
 * The fuzzer's loader process: reads variant directories (one per line on stdin), loads each
 * with loadModel, and answers one JSON line per variant on stdout:
 *   {i, outcome: 'loaded' | 'refused' | 'raw' | 'nan' | 'outside', ms, message?}
 * 'loaded' models are run once (predict on zeros) and must give finite outputs; a loaded
 * model whose manifest names a file outside its directory is 'outside'. A crash, a hang or
 * running out of memory is seen by the parent (tools/fuzz/fuzz.ts), which restarts this. The first
 * line, 'ready', says the process has started.
 */
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { ModelFormatError, loadModel, loadOnnx, tensor, type Tensor } from '../../src/index.js';

/** Messages of the JavaScript engine or Node, not rnnkit's: a bug wherever they surface. */
export const RAW = /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not a constructor|Invalid typed array length|Invalid array length|Maximum call stack|The "path" argument|Unexpected token|Array buffer allocation failed|out of memory|undefined \(reading/;

function inside(dir: string, p: string): boolean {
  try {
    const rel = relative(realpathSync(dir), realpathSync(join(dir, p)));
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  } catch {
    return false;
  }
}

async function one(dir: string): Promise<{ outcome: string; message?: string }> {
  let m;
  // A binary variant (tools/fuzz/fuzz.ts makeBinaryVariant) is one file named by its format.
  const binary = ['model.onnx', 'model.h5', 'model.keras'].find((f) => existsSync(join(dir, f)));
  try {
    m = binary === 'model.onnx' ? await loadOnnx(join(dir, binary)) : await loadModel(binary === undefined ? dir : join(dir, binary));
  } catch (e) {
    const err = e as Error;
    const message = `${err.name}: ${err.message}`.slice(0, 400);
    // rnnkit's own errors: a ModelFormatError, or an I/O error it words itself ('loadModel: …').
    const own = err instanceof ModelFormatError || err.message.startsWith('loadModel: ');
    // A corrupt file's JSON text or HDF5 structure is refused by rnnkit with the parser's own
    // words after its framing; anywhere else an engine message means a bug.
    const framed = err instanceof ModelFormatError && /: (not valid JSON: |not a readable HDF5 file \(damaged or cut short: the HDF5 reader stopped with: )/.test(err.message);
    return { outcome: own && (framed || !RAW.test(err.message)) ? 'refused' : 'raw', message };
  }
  if (binary !== undefined) return run(m);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  const outside = json.weightsManifest.flatMap((g) => g.paths).find((p) => !inside(dir, p));
  if (outside !== undefined) return { outcome: 'outside', message: `loaded with weights path ${outside}` };
  return run(m);
}

/** A loaded model run once on zeros: its outputs must be finite. */
function run(m: Awaited<ReturnType<typeof loadModel>>): { outcome: string; message?: string } {
  try {
    const shapes = m.inputs.map((t) => {
      const shape = t.shape.map((d) => d ?? 3);
      shape[0] = 2;
      return shape;
    });
    // A legitimately huge input (a mutated batch_input_shape of 5 million steps) is not
    // a loading fault; running it would only time out.
    if (shapes.some((sh) => sh.reduce((a, b) => a * b, 1) > 1e5)) return { outcome: 'loaded' };
    // Likewise a layer whose output a mutated size makes huge (an UpSampling1D or a
    // Conv1DTranspose with strides 2,000,000 turns 7 steps into millions).
    const huge = m.layers.some((l) => {
      try {
        return (l.outputShape as (number | null)[]).reduce<number>((a, d) => a * (d ?? 3), 2) > 1e6;
      } catch {
        return false; // a layer with several outputs: its first is checked where it is consumed
      }
    });
    if (huge) return { outcome: 'loaded' };
    const xs = shapes.map((shape) => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
    const out = m.predict(xs.length === 1 ? xs[0]! : xs) as unknown as Tensor | Tensor[];
    for (const t of Array.isArray(out) ? out : [out]) {
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) return { outcome: 'nan', message: `predict gave ${t.data[bad]} at ${bad}` };
    }
  } catch (e) {
    // A model that loads but cannot run on this made-up input is not a loading fault,
    // unless the engine's own message shows a bug.
    const err = e as Error;
    if (RAW.test(err.message)) return { outcome: 'raw', message: `predict: ${err.name}: ${err.message}`.slice(0, 400) };
  }
  return { outcome: 'loaded' };
}

// Tell the parent this process is up: its per-variant timer starts only now, so a slow start
// (tsx compiling the library on a loaded machine) is not mistaken for a variant that hangs.
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  const [i, dir] = line.split('\t') as [string, string];
  const t0 = performance.now();
  const r = await one(dir);
  process.stdout.write(`${JSON.stringify({ i: Number(i), ms: Math.round(performance.now() - t0), ...r })}\n`);
}
