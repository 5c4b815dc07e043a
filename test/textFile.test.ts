/**
 * decodeText (src/cli/textFile.ts), the one decoding of the CLI's text files: UTF-8, UTF-16 by
 * its byte-order mark, else Windows-1252 with a warning naming the first line that is not
 * UTF-8; binary files refused.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { decodeText } from '../src/cli/textFile.js';

const bytes = (...parts: (string | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));

test('decodeText: UTF-8 as it is (a BOM dropped, a character split across lines no matter), UTF-16 by its BOM', () => {
  const warnings: string[] = [];
  const warn = (m: string): void => void warnings.push(m);
  assert.equal(decodeText(bytes('café £\n€ ok'), 'f', warn), 'café £\n€ ok');
  assert.equal(decodeText(bytes([0xef, 0xbb, 0xbf], 'a,b\n1,2'), 'f', warn), 'a,b\n1,2');
  const text = 'label,text\nham,café 😀\n';
  assert.equal(decodeText(Uint8Array.from([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]), 'f', warn), text);
  const be = Buffer.from(text, 'utf16le');
  be.swap16();
  assert.equal(decodeText(Uint8Array.from([0xfe, 0xff, ...be]), 'f', warn), text);
  assert.deepEqual(warnings, []);
});

test('decodeText: bytes that are not UTF-8 are read as Windows-1252, with one warning naming the first such line and byte', () => {
  const warnings: string[] = [];
  // Kaggle's SMS spam CSV form: café, £ and € as the single bytes 0xE9, 0xA3, 0x80.
  const got = decodeText(bytes('v1,v2\n', 'ham,fine\n', 'spam,caf', [0xe9], ' ', [0xa3], '5 ', [0x80], '\n'), 'spam.csv', (m) => void warnings.push(m));
  assert.equal(got, 'v1,v2\nham,fine\nspam,café £5 €\n');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^warning: spam\.csv is not UTF-8 \(line 3 holds the byte 0xE9\); read as Windows-1252/);
  // A line with a valid é (C3 A9) before the stray byte names the stray one.
  const named: string[] = [];
  decodeText(bytes('ok\n', 'café ', [0xb5], '\n'), 'mixed.txt', (m) => void named.push(m));
  assert.match(named[0]!, /line 2 holds the byte 0xB5/);
  // A UTF-8 sequence cut short at the end of the file is not UTF-8 either.
  assert.equal(decodeText(bytes('ok\n', [0xc3]), 'g', () => {}), 'ok\nÃ');
  // Windows's curly quotes and dash (0x93, 0x94, 0x96), which a Latin-1 reading makes control characters.
  assert.equal(decodeText(bytes([0x93], 'hi', [0x94, 0x20, 0x96, 0x20, 0x99]), 'h', () => {}), '\u201chi\u201d \u2013 \u2122');
});

test('decodeText: NUL bytes outside UTF-16 are a binary file, refused', () => {
  assert.throws(() => decodeText(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]), 'x.png'), /x\.png is not text \(it contains NUL bytes\)$/);
  // UTF-16 without its BOM is named as such.
  assert.throws(() => decodeText(Uint8Array.from(Buffer.from('label,text\nham,hello\n', 'utf16le')), 'u.csv'), /u\.csv is not text \(it contains NUL bytes\); it looks like UTF-16 without a byte-order mark — save it as UTF-8/);
  const be = Buffer.from('label,text\n', 'utf16le');
  be.swap16();
  assert.throws(() => decodeText(Uint8Array.from(be), 'b.csv'), /looks like UTF-16 big-endian without a byte-order mark/);
});

test('decodeText: CR LF and lone CR line ends read as LF (universal newlines), and a warning counts their lines', () => {
  const warnings: string[] = [];
  const warn = (m: string): void => void warnings.push(m);
  assert.equal(decodeText(bytes('a,b\r\n1,2\r\n'), 'win', warn), 'a,b\n1,2\n');
  assert.equal(decodeText(bytes('one\rtwo\r'), 'mac', warn), 'one\ntwo\n');
  // A header added on Unix before a Windows body, and a Gutenberg-style CR CR LF.
  assert.equal(decodeText(bytes('text,label\n"a\r\nb",x\r\nc,y\r\r\n'), 'mixed', warn), 'text,label\n"a\nb",x\nc,y\n\n');
  assert.deepEqual(warnings, []);
  // Windows-1252 on the third line of a CR-only file (it said line 1), and of a CR LF file.
  decodeText(bytes('a\rb\rcaf', [0xe9], '\r'), 'cr.txt', warn);
  decodeText(bytes('a\r\nb\r\ncaf', [0xe9], '\r\n'), 'crlf.txt', warn);
  assert.equal(decodeText(bytes('x\r\ncaf', [0xe9], '\r\n'), 'w', () => {}), 'x\ncafé\n');
  assert.deepEqual(warnings.map((w) => /line (\d+)/.exec(w)![1]), ['3', '3']);
});
