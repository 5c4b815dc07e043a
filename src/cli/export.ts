/**
 * `rnnkit export onnx MODEL_DIR out.onnx`: a saved model (a directory with model.json,
 * from model.save or any rnnkit train command) to an ONNX file that ONNX Runtime runs.
 */
import { ModelFormatError, exportOnnx, loadModel } from '../index.js';
import { OnnxExportError } from '../io/onnx/export.js';
import { CliError, intOption, parse, usageError, type OptionSpec } from './args.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

type Print = (line: string) => void;

const EXPORT_HELP = `Usage: rnnkit export onnx MODEL_DIR OUT.onnx [--opset N]

Write the model saved in MODEL_DIR (model.json and its weights) as an ONNX model that ONNX
Runtime runs: float32 inputs with dynamic batch and time axes, recurrent layers as ONNX
RNN/LSTM/GRU ops, masks as sequence lengths (rows must be right-padded). Layers or
options ONNX cannot express are refused, each named.

Options:
  --opset N     ONNX opset of the default domain, 13 to 21 (default 17)`;

const OPTIONS: OptionSpec = { opset: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

export async function exportCommand(argv: string[], out: Print): Promise<void> {
  const [format, ...rest] = argv;
  if (format === undefined || format === '--help' || format === '-h' || format === 'help') return out(EXPORT_HELP);
  if (format !== 'onnx') throw usageError(`rnnkit export: unknown format ${JSON.stringify(format)}; formats: onnx (see rnnkit export --help)`);
  const { values, positionals } = parse(rest, OPTIONS, 'rnnkit export onnx');
  if (values.help === true) return out(EXPORT_HELP);
  if (positionals.length !== 2) throw usageError(`rnnkit export onnx: expected MODEL_DIR and OUT.onnx, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'} (see rnnkit export --help)`);
  const [dir, file] = positionals as [string, string];
  const opset = intOption(values, 'opset', 17, 13);
  if (opset > 21) throw usageError(`rnnkit export onnx: --opset must be from 13 to 21, got ${opset}`);
  try {
    await stat(join(dir, 'model.json'));
  } catch {
    throw new CliError(`rnnkit export onnx: ${dir} holds no model.json (save a model there with model.save, or train one with an rnnkit train command)`);
  }
  let model;
  try {
    model = await loadModel(dir);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new CliError(e.message.startsWith(dir) ? e.message : `${dir}: ${e.message}`);
    throw e;
  }
  let bytes: Uint8Array;
  try {
    bytes = await exportOnnx(model, file, { opset });
  } catch (e) {
    // The export's error lists every problem on its own line; the CLI prints one line.
    if (e instanceof OnnxExportError) throw new CliError(`rnnkit export onnx: ${dir} cannot be exported: ${e.problems.join('; ')}`);
    throw new CliError(`rnnkit export onnx: ${(e as Error).message}`);
  }
  out(`wrote ${file} (${bytes.length} bytes, opset ${opset}): inputs ${model.graph.inputs.length}, outputs ${model.graph.outputs.length}`);
}
