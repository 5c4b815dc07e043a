/**
 * `--custom-objects FILE.mjs`: the JavaScript functions standing in for the Python ones a Keras
 * TextVectorization names (standardize, split), for the commands that load a model
 * (`rnnkit model …`, `rnnkit classify predict|evaluate`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rewordCustomObjectsHint, textFunctionsFromModule, type TextFunction } from '../index.js';
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
  try {
    return textFunctionsFromModule(mod, `${command}: --custom-objects ${file}`);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** A loader's message about customObjects (which names the API) said for the command line. */
export function withCliHint(message: string): string {
  return rewordCustomObjectsHint(message, (name) => `--custom-objects FILE.mjs exporting function ${name}(text) { … }`, '--custom-objects');
}
