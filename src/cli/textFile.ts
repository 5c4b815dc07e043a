/**
 * Text files as the CLI reads them (corpora, pair files, CSV tables, a directory's .txt files):
 * one decoding for all of them, so a file that trains also predicts.
 */
import { readFile, stat } from 'node:fs/promises';
import { CliError } from './args.js';

/**
 * A file's bytes as text: UTF-8 (a byte-order mark dropped); UTF-16 where its byte-order mark
 * says so (Excel's "Unicode text" export); otherwise, where the bytes are not UTF-8, Windows-1252
 * (Kaggle's SMS spam CSV and other files saved on Windows: é as the single byte 0xE9), with a
 * warning on stderr naming the first line that is not UTF-8 — not U+FFFD in place of each such
 * character, which made "café" in a training file a different token from "café" typed later.
 * NUL bytes outside UTF-16 mean a binary file: refused. `name` names the file in messages.
 */
export function decodeText(bytes: Uint8Array, name: string, warn: (message: string) => void = (m) => process.stderr.write(m)): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes.includes(0)) {
    // ASCII text in UTF-16 has a NUL in every other byte: say so rather than "binary".
    const n = Math.min(bytes.length, 4096) & ~1;
    let even = 0;
    let odd = 0;
    for (let i = 0; i < n; i += 2) (bytes[i] === 0 && even++, bytes[i + 1] === 0 && odd++);
    const utf16 = n >= 4 && Math.max(even, odd) >= 0.4 * (n / 2) && Math.min(even, odd) <= 0.05 * (n / 2);
    throw new CliError(`${name} is not text (it contains NUL bytes)${utf16 ? `; it looks like UTF-16${odd > even ? '' : ' big-endian'} without a byte-order mark — save it as UTF-8` : ''}`);
  }
  const bad = firstNonUtf8Line(bytes);
  if (bad === null) {
    const text = new TextDecoder('utf-8').decode(bytes);
    return unixLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  }
  warn(`warning: ${name} is not UTF-8 (line ${bad.line} holds the byte 0x${bad.byte.toString(16).toUpperCase().padStart(2, '0')}); read as Windows-1252 — save it as UTF-8 if that is not its encoding\n`);
  return unixLines(windows1252(bytes));
}

/**
 * Windows (CR LF) and old Mac (CR) line ends as LF, as Python's universal newlines read them:
 * a CR left in the text became a character of a generator's vocabulary and of its samples, and
 * a file with a header added on Unix (LF, then CR LF) had its later lines counted twice.
 */
function unixLines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Lines before byte `at`, a line end being CR LF, LF or a lone CR (as unixLines reads them), plus one. */
function lineAt(bytes: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) line++;
    else if (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a) line++;
  }
  return line;
}

/** Windows-1252's characters for the bytes 0x80–0x9F (the five it leaves undefined map to the C1 controls, as WHATWG's decoder does); other bytes are Latin-1. */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * Windows-1252 decoding written out: Node's TextDecoder('windows-1252') decodes as Latin-1
 * (0x80 as U+0080, not €), so the curly quotes and dashes of a file saved on Windows would be
 * control characters.
 */
function windows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const codes = new Uint16Array(8192);
  for (let at = 0; at < bytes.length; at += codes.length) {
    const n = Math.min(codes.length, bytes.length - at);
    for (let i = 0; i < n; i++) {
      const b = bytes[at + i]!;
      codes[i] = b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80]! : b;
    }
    parts.push(String.fromCharCode(...codes.subarray(0, n)));
  }
  return parts.join('');
}

/** The 1-based line and the byte where `bytes` stop being UTF-8, or null where they are UTF-8 throughout. */
function firstNonUtf8Line(bytes: Uint8Array): { line: number; byte: number } | null {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const chunk = bytes.subarray(start, Math.min(end + 1, bytes.length));
    try {
      // stream: a character split by the chunk's end is held for the next call, not an error.
      decoder.decode(chunk, { stream: end < bytes.length });
    } catch {
      const at = firstBadByte(chunk);
      return { line: lineAt(bytes, start + at), byte: chunk[at] ?? 0 };
    }
    start = end + 1;
  }
  return null;
}

/** Where the first sequence of `line` that is not UTF-8 starts (lead bytes and continuations only: enough to name it). */
function firstBadByte(line: Uint8Array): number {
  for (let i = 0; i < line.length; ) {
    const b = line[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) if (i + k >= line.length || (line[i + k]! & 0xc0) !== 0x80) return i;
    i += len;
  }
  return 0;
}

/** Read a text file (`what` names it in errors: 'corpus', 'pairs file'), refusing missing, empty and binary files; decoded by decodeText. */
export async function readTextFile(file: string, what: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw new CliError(`${what} ${file} is a directory, not a text file`);
    bytes = await readFile(file);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${what} ${file} does not exist` : `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  const text = decodeText(bytes, `${what} ${file}`);
  if (text.trim() === '') throw new CliError(`${what} ${file} is empty`);
  return text;
}
