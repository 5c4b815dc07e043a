/**
 * `--custom-objects FILE.mjs`: the JavaScript functions standing in for the Python ones a Keras
 * TextVectorization names (standardize, split), for the commands that load a model
 * (`rnnkit model …`, `rnnkit classify predict|evaluate`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TextFunction } from '../index.js';
import { CliError } from './args.js';

/** The option's help, its description indented to a command's help column. */
export function customObjectsHelp(column: number): string {
  const pad = ' '.repeat(column);
  return [
    '  --custom-objects FILE.mjs',
    'a JavaScript module whose exports stand in for the Python',
    'functions a Keras TextVectorization names (its standardize or',
    'split), by the name the file gives them:',
    'export function custom_standardization(text) { … }',
  ].join(`\n${pad}`);
}

/** --custom-objects: the functions a JavaScript module exports, by name; undefined without the option. */
export async function customObjectsOption(values: Record<string, unknown>, command: string): Promise<Record<string, TextFunction> | undefined> {
  const file = values['custom-objects'];
  if (typeof file !== 'string') return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${command}: --custom-objects ${file}: ${code === 'ERR_MODULE_NOT_FOUND' ? 'no such file' : (e as Error).message.split('\n')[0]}`);
  }
  const entries = Object.entries(mod).filter(([name]) => name !== 'default');
  const bad = entries.filter(([, f]) => typeof f !== 'function').map(([name]) => name);
  if (bad.length > 0) throw new CliError(`${command}: --custom-objects ${file} exports ${bad.map((n) => `'${n}'`).join(', ')}, which ${bad.length === 1 ? 'is' : 'are'} not a function`);
  if (entries.length === 0) throw new CliError(`${command}: --custom-objects ${file} exports no named function (export function custom_standardization(text) { … })`);
  if (mod.default !== undefined) throw new CliError(`${command}: --custom-objects ${file} has a default export; functions are taken by the names they are exported under (export function custom_standardization(text) { … })`);
  return Object.fromEntries(entries) as Record<string, TextFunction>;
}

/** A loader's message about customObjects (which names the API) said for the command line. */
export function withCliHint(message: string): string {
  return message
    .replace(/^loadModel: customObjects ('[^]*?) (is|are) named by no TextVectorization of ([^(]*?) \(.*\)$/, (_m, names: string, _verb: string, where: string) => `--custom-objects exports ${names}, which no TextVectorization of ${where} names`)
    .replace(/give it (in JavaScript|again)[,:] loadModel\(file, \{customObjects: \{'([^']+)'.*?\}\}\)/, (_m, _a, name: string) => `give it in JavaScript: --custom-objects FILE.mjs exporting function ${name}(text) { … }`);
}
