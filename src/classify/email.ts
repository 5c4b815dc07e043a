/**
 * The words of a raw e-mail message (RFC 822 / MIME) for a classifier: the Subject, then
 * the text of the body. Other headers are dropped; multipart bodies are walked for their
 * text parts (text/plain preferred to text/html within one message, as a mail reader
 * shows it); quoted-printable and base64 are decoded; HTML is reduced to its text
 * (scripts, styles and tags removed, entities decoded). Attachments that are not text
 * are left out. Browser-safe; tolerant of broken messages (what cannot be parsed is kept
 * as text).
 */
import { table } from '../core/errors.js';

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Subject and body text of one raw message. */
export function emailText(raw: string): string {
  const msg = parsePart(raw);
  const subject = decodeWords(msg.headers.get('subject') ?? '').trim();
  const body = partText(msg, 0).trim();
  return subject === '' ? body : `${subject}\n\n${body}`;
}

function parsePart(raw: string): Part {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m === null ? raw : raw.slice(0, m.index);
  const body = m === null ? '' : raw.slice(m.index + m[0].length);
  const headers = new Map<string, string>();
  // Unfold continuation lines, then "Name: value" (the first of each name wins).
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    if (/\s/.test(name)) continue; // e.g. an mbox "From sender date" line
    if (!headers.has(name)) headers.set(name, line.slice(c + 1).trim());
  }
  // A message without headers (no "Name:" line before the first blank line) is all body.
  if (headers.size === 0) return { headers, body: raw };
  return { headers, body };
}

/** The content type and its parameters, lowercased type. */
function contentType(p: Part): { type: string; params: Map<string, string> } {
  const value = p.headers.get('content-type') ?? 'text/plain';
  const [type, ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const r of rest) {
    const e = r.indexOf('=');
    if (e < 0) continue;
    params.set(r.slice(0, e).trim().toLowerCase(), r.slice(e + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type: (type ?? '').trim().toLowerCase() || 'text/plain', params };
}

function partText(p: Part, depth: number): string {
  const { type, params } = contentType(p);
  if (type.startsWith('multipart/') && depth < 10) {
    const boundary = params.get('boundary');
    if (boundary === undefined || boundary === '') return p.body;
    const parts = splitMultipart(p.body, boundary).map(parsePart);
    if (type === 'multipart/alternative') {
      const plain = parts.find((q) => contentType(q).type === 'text/plain');
      const chosen = plain ?? parts.find((q) => contentType(q).type.startsWith('text/') || contentType(q).type.startsWith('multipart/'));
      return chosen === undefined ? '' : partText(chosen, depth + 1);
    }
    return parts
      .map((q) => partText(q, depth + 1))
      .filter((t) => t !== '')
      .join('\n\n');
  }
  if (type === 'message/rfc822' && depth < 10) return emailText(p.body);
  if (!type.startsWith('text/')) return '';
  const text = decodeBody(p.body, (p.headers.get('content-transfer-encoding') ?? '').trim().toLowerCase(), params.get('charset'));
  return type === 'text/html' || (type === 'text/plain' && /^\s*<(!doctype html|html)/i.test(text)) ? htmlToText(text) : text;
}

function splitMultipart(body: string, boundary: string): string[] {
  const lines = body.split(/\r?\n/);
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    if (line.startsWith(`--${boundary}`)) {
      if (current !== null) parts.push(current.join('\n'));
      if (line.startsWith(`--${boundary}--`)) return parts;
      current = [];
    } else if (current !== null) current.push(line);
  }
  if (current !== null) parts.push(current.join('\n'));
  return parts;
}

function decodeBody(body: string, encoding: string, charset: string | undefined): string {
  if (encoding === 'quoted-printable') return bytesToText(quotedPrintableBytes(body.replace(/=\r?\n/g, '')), charset);
  if (encoding === 'base64') {
    const bytes = base64Bytes(body);
    return bytes === null ? body : bytesToText(bytes, charset);
  }
  return body;
}

function quotedPrintableBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 /* = */ && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 256) out.push(c);
    else for (const b of new TextEncoder().encode(s[i]!)) out.push(b);
  }
  return Uint8Array.from(out);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64Bytes(s: string): Uint8Array | null {
  const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let k = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (acc >> bits) & 0xff;
    }
  }
  return k === 0 && clean.length > 0 ? null : out.subarray(0, k);
}

function bytesToText(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(label, { fatal: label === 'utf-8' || label === 'utf8' }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

/** RFC 2047 encoded words in a header: =?charset?B?…?= and =?charset?Q?…?=. */
function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=(\s+(?==\?))?/g, (_m, charset: string, enc: string, text: string) => {
    if (enc.toUpperCase() === 'B') {
      const bytes = base64Bytes(text);
      return bytes === null ? text : bytesToText(bytes, charset);
    }
    return bytesToText(quotedPrintableBytes(text.replace(/_/g, ' ')), charset);
  });
}

const ENTITIES: Readonly<Record<string, string>> = table({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', euro: '€', pound: '£', mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“' });

/** The text of an HTML document: scripts, styles and comments removed, block ends as line breaks, tags dropped, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|\/p|\/div|\/tr|\/li|\/h[1-6]|p|div|tr|li)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n');
}
