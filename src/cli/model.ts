/**
 * `rnnkit model summary | predict | convert`: any model file rnnkit reads — a TF.js
 * layers-model directory (or its model.json), a Keras .h5 / .hdf5 / .keras file, an .onnx
 * file — described, run on JSON input, or written in another format (.onnx, .keras, or a
 * TF.js layers-model directory). The format is told by the name: a directory or model.json
 * is TF.js, the extensions say the rest.
 */
import { stat, readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ModelFormatError, Tensor, exportOnnx, loadModel, loadOnnx, saveKerasFile, tensor, type Model, type TextFunction } from '../index.js';
import { customObjectsHelp, customObjectsOption, withCliHint } from './customObjects.js';
import { OnnxExportError } from '../io/onnx/export.js';
import { writeTextFile } from '../io/node.js';
import { CliError, intOption, parse, usageError, type OptionSpec } from './args.js';
import { checkOutDir } from './textgen.js';

type Print = (line: string) => void;

const SOURCES = `MODEL is a TF.js layers-model directory or its model.json (what model.save and every
rnnkit train command write, what tfjs and tensorflowjs_converter write), a Keras .h5, .hdf5
or .keras file (Keras 1–3, tf.keras), or an .onnx file.`;


const HELP = `Usage: rnnkit model <summary|predict|convert> MODEL ...

  rnnkit model summary MODEL                         the format, inputs, outputs and layers
  rnnkit model predict MODEL --input FILE.json       predictions as JSON
  rnnkit model convert MODEL OUT                     the model in another format

${SOURCES}

Run \`rnnkit model <subcommand> --help\` for details.`;

const SUMMARY_HELP = `Usage: rnnkit model summary MODEL [--custom-objects FILE.mjs]

Print the format MODEL was read as, its inputs and outputs with their shapes, and Keras's
layer table with parameter counts. ${SOURCES}

Options:
${customObjectsHelp(24)}`;

const PREDICT_HELP = `Usage: rnnkit model predict MODEL --input FILE.json [options]

Run MODEL on the samples in FILE.json and print its outputs as JSON. The input is a nested
array of numbers whose first axis is the batch ([samples, steps, features], or [samples,
steps] of token ids for an Embedding), a list of texts for a model that takes texts (a Keras
TextVectorization at its front; \`rnnkit model summary\` names it), or, for a model of several
inputs, an object with one such array per input name (\`rnnkit model summary\` lists them). One output prints as a
nested array, several as an object keyed by output name. ${SOURCES}

Options:
  --input FILE.json     the samples ('-' reads standard input)
  --output FILE.json    write the predictions there (temporary name, then rename) instead
                        of printing them
  --batch-size N        samples per forward pass (default 32)
${customObjectsHelp(24)}`;

const CONVERT_HELP = `Usage: rnnkit model convert MODEL OUT [--opset N] [--overwrite] [--custom-objects FILE.mjs]

Write MODEL in the format OUT names: OUT.onnx (ONNX, for ONNX Runtime), OUT.keras (Keras 3),
or a directory (TF.js layers model: model.json + weights, which tfjs, rnnkit and
tensorflowjs_converter read). Layers or options the target cannot express are refused, each
named. ${SOURCES}

Options:
  --opset N       ONNX opset for an .onnx OUT, 13 to 21 (default 17)
  --overwrite     replace an existing OUT file, or the rnnkit model an OUT directory holds
${customObjectsHelp(24)}
                  A function is written by its name; loading OUT takes it again
                  (--custom-objects, or loadModel's customObjects).`;

const OPTIONS: OptionSpec = {
  input: { type: 'string' },
  output: { type: 'string' },
  'batch-size': { type: 'string' },
  opset: { type: 'string' },
  overwrite: { type: 'boolean' },
  'custom-objects': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export async function modelCommand(argv: string[], out: Print): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return out(HELP);
  const command = `rnnkit model ${sub}`;
  const help = { summary: SUMMARY_HELP, predict: PREDICT_HELP, convert: CONVERT_HELP }[sub];
  if (help === undefined) throw usageError(`rnnkit model: unknown subcommand ${JSON.stringify(sub)}; subcommands: summary, predict, convert (see rnnkit model --help)`);
  const { values, positionals } = parse(rest, OPTIONS, command);
  if (values.help === true) return out(help);
  const allowed: Record<string, readonly string[]> = { summary: ['custom-objects'], predict: ['input', 'output', 'batch-size', 'custom-objects'], convert: ['opset', 'overwrite', 'custom-objects'] };
  for (const k of Object.keys(values)) if (k !== 'help' && !allowed[sub]!.includes(k)) throw usageError(`${command}: --${k} is not an option of this subcommand (see ${command} --help)`);
  const want = sub === 'convert' ? 2 : 1;
  if (positionals.length !== want) {
    throw usageError(`${command}: expected ${sub === 'convert' ? 'MODEL and OUT' : 'MODEL'}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'} (see ${command} --help)`);
  }
  const source = positionals[0]!;
  if (sub === 'summary') {
    const { model, format } = await loadAny(source, await customObjectsOption(values, command));
    out(`${source}: ${format}`);
    const shapes = (ts: readonly { shape: readonly (number | null)[] }[], names: readonly string[]): string => ts.map((t, i) => `${names[i]} [${['batch', ...t.shape.slice(1).map((d) => (d === null ? 'any' : String(d)))].join(', ')}]`).join(', ');
    out(`inputs: ${shapes(model.inputs, model.inputNames)}`);
    out(`outputs: ${shapes(model.outputs, model.outputNames)}`);
    model.summary(out);
    return;
  }
  if (sub === 'predict') return predict(source, values, command, out);
  return convert(source, positionals[1]!, values, command, out);
}

/** The model at `source`, read by the format its name says. */
async function loadAny(source: string, custom?: Record<string, TextFunction>): Promise<{ model: Model; format: string }> {
  let isDir = false;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${source}: no such file or directory`);
    throw new CliError(`${source}: ${(e as Error).message}`);
  }
  const ext = extname(source).toLowerCase();
  const format = isDir || basename(source) === 'model.json' || ext === '.json' ? 'TF.js layers model' : ext === '.onnx' ? 'ONNX' : ext === '.keras' ? 'Keras .keras' : ext === '.h5' || ext === '.hdf5' ? 'Keras HDF5' : null;
  if (format === null) throw new CliError(`${source}: cannot tell the model format from the name; expected a directory, model.json, .h5, .hdf5, .keras or .onnx`);
  try {
    if (custom !== undefined && format === 'ONNX') throw new CliError(`${source}: --custom-objects is for Keras and TF.js models (a TextVectorization's functions); an ONNX model has none`);
    const model = format === 'ONNX' ? await loadOnnx(source) : await loadModel(source, custom === undefined ? {} : { customObjects: custom });
    return { model, format };
  } catch (e) {
    if (e instanceof CliError) throw e;
    // Whatever a loader refuses is about the file. Its message can list several problems, one
    // per line; the CLI prints one line.
    const [first, ...more] = (e as Error).message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    let msg = more.length === 0 ? first! : `${first} ${more.join('; ')}`;
    // The loaders' hint names the API; from here the functions come by --custom-objects.
    msg = withCliHint(msg);
    throw new CliError(msg.includes(source) ? msg : `${source}: ${msg}`);
  }
}

async function predict(source: string, values: Record<string, unknown>, command: string, out: Print): Promise<void> {
  if (typeof values.input !== 'string') throw usageError(`${command}: --input FILE.json is required (see ${command} --help)`);
  const batchSize = intOption(values, 'batch-size', 32);
  const file = values.input;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`${command}: cannot read --input ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${command}: --input ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const { model } = await loadAny(source, await customObjectsOption(values, command));
  const names = model.inputNames;
  const arrays: unknown[] = [];
  if (Array.isArray(json)) {
    if (names.length !== 1) throw new CliError(`${command}: the model takes ${names.length} inputs (${names.join(', ')}); give --input as an object with one array per input name`);
    arrays.push(json);
  } else if (json !== null && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !names.includes(k));
    if (unknown.length > 0) throw new CliError(`${command}: --input ${file} names ${unknown.map((k) => `'${k}'`).join(', ')}, which the model has no input of (inputs: ${names.join(', ')})`);
    for (const n of names) {
      if (!(n in o)) throw new CliError(`${command}: --input ${file} has no array for input '${n}' (inputs: ${names.join(', ')})`);
      arrays.push(o[n]);
    }
  } else throw new CliError(`${command}: --input ${file} must hold a nested array of numbers (or a list of texts for a text input), or an object of them by input name`);
  const xs = arrays.map((a, i) => {
    // Texts for a text input (a Keras TextVectorization in the file) go to predict as they are.
    const first = Array.isArray(a) ? (Array.isArray(a[0]) ? a[0][0] : a[0]) : undefined;
    if (typeof first === 'string') return a as string[];
    try {
      return tensor(a as never);
    } catch (e) {
      throw new CliError(`${command}: --input ${file}${names.length > 1 ? ` (input '${names[i]}')` : ''}: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  let y: Tensor | Tensor[];
  try {
    y = model.predict(xs.length === 1 ? xs[0]! : xs, { batchSize });
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError || e instanceof ModelFormatError) throw new CliError(`${command}: ${e.message.split('\n')[0]}`);
    throw e;
  }
  const ys = Array.isArray(y) ? y : [y];
  const result = ys.length === 1 ? ys[0]!.arraySync() : Object.fromEntries(ys.map((t, i) => [model.outputNames[i]!, t.arraySync()]));
  // Each float32 as the shortest decimal that reads back to it (1.4811769, not 1.4811768531799316).
  const body = JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' ? shortestFloat32(v) : v));
  if (typeof values.output === 'string') {
    await writeTextFile(values.output, `${body}\n`, command);
    out(`wrote ${values.output}: ${ys.map((t, i) => `${model.outputNames[i]} [${t.shape.join(', ')}]`).join(', ')}`);
  } else out(body);
}

/** The shortest decimal (at most 9 significant digits) whose float32 is v's. */
function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return Number(v.toPrecision(9));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function convert(source: string, target: string, values: Record<string, unknown>, command: string, out: Print): Promise<void> {
  const ext = extname(target).toLowerCase();
  const opset = intOption(values, 'opset', 17, 13);
  if (opset > 21) throw usageError(`${command}: --opset must be from 13 to 21, got ${opset}`);
  if (values.opset !== undefined && ext !== '.onnx') throw usageError(`${command}: --opset applies to an .onnx OUT only`);
  const overwrite = values.overwrite === true;
  const kind = ext === '.onnx' ? 'ONNX' : ext === '.keras' ? 'Keras .keras' : ext === '.h5' || ext === '.hdf5' ? null : 'TF.js layers model';
  if (kind === null) throw new CliError(`${command}: writing Keras HDF5 (${target}) is not supported; write a .keras file (Keras 3 reads it), an .onnx file or a TF.js directory`);
  if (kind === 'TF.js layers model') {
    if (ext !== '') throw new CliError(`${command}: OUT ${target} is neither .onnx nor .keras, and a TF.js layers model is a directory; name a directory without an extension`);
    await checkOutDir(target, overwrite, `${command}: OUT ${target}`, 'the converted model');
  } else if (!overwrite) {
    try {
      await stat(target);
      throw new CliError(`${command}: ${target} exists; pass --overwrite to replace it`);
    } catch (e) {
      if (e instanceof CliError) throw e;
    }
  }
  const { model, format } = await loadAny(source, await customObjectsOption(values, command));
  try {
    if (kind === 'ONNX') {
      const bytes = await exportOnnx(model, target, { opset });
      out(`wrote ${target} (${bytes.length} bytes, ONNX opset ${opset}) from ${format} ${source}`);
    } else if (kind === 'Keras .keras') {
      const bytes = await saveKerasFile(model, target);
      out(`wrote ${target} (${bytes.length} bytes, Keras 3 .keras) from ${format} ${source}`);
    } else {
      await model.save(target);
      out(`wrote ${target}/model.json and its weights (TF.js layers model) from ${format} ${source}`);
    }
  } catch (e) {
    if (e instanceof OnnxExportError) throw new CliError(`${command}: ${source} cannot be written as ONNX: ${e.problems.join('; ')}`);
    if (e instanceof CliError) throw e;
    throw new CliError(`${command}: ${source} cannot be written as ${kind}: ${(e as Error).message.split('\n')[0]}`);
  }
}
