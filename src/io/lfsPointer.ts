/**
 * Git LFS pointers: the small text file a repository holds in place of a model file that was
 * never fetched (`git clone` without `git lfs pull`). Loaders say so instead of a format error.
 * Also files that went through a text conversion (a binary model committed or downloaded as
 * UTF-8 text): each byte that was not valid UTF-8 became U+FFFD, the bytes EF BF BD.
 */
const LFS = new TextEncoder().encode('version https://git-lfs');

/** Whether the bytes are a Git LFS pointer. */
export function isLfsPointer(bytes: Uint8Array): boolean {
  return bytes.length >= LFS.length && LFS.every((b, i) => bytes[i] === b);
}

const REPLACEMENT = [0xef, 0xbf, 0xbd];

/**
 * Whether the bytes look like a binary file decoded as UTF-8 and written back: U+FFFD's bytes
 * EF BF BD near the start (where ONNX's and HDF5's headers put bytes ≥ 0x80) or several times.
 * One sequence far in can be a weight's bytes (two files of a survey held one and loaded); a
 * converted file holds them wherever a byte ≥ 0x80 was, thousands of times in a model. Only
 * used to word an error, so a false match costs a misleading hint, never a refusal.
 */
export function looksTextConverted(bytes: Uint8Array): boolean {
  let count = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] !== REPLACEMENT[0] || bytes[i + 1] !== REPLACEMENT[1] || bytes[i + 2] !== REPLACEMENT[2]) continue;
    if (i < 32 || ++count >= 8) return true;
    i += 2;
  }
  return false;
}

/** The hint for such a file, worded for any format. */
export const TEXT_CONVERTED = 'it looks like it went through a text conversion (UTF-8 replacement characters, bytes EF BF BD, where binary bytes were); download the file in binary mode (the raw file, not a page or a text copy), or check the repository\'s .gitattributes for a text filter';

/** ' (…text conversion…)' to append to a format error when the bytes look text-converted, else ''. */
export function textConversionNote(bytes: Uint8Array): string {
  return looksTextConverted(bytes) ? ` (${TEXT_CONVERTED})` : '';
}

/**
 * ' (…a Git LFS pointer…)' to append to a format error when the bytes are one, ' (…empty…)'
 * when there are none (published repositories hold 0-byte model files too), ' (…text
 * conversion…)' when they look text-converted, else ''.
 */
export function lfsNote(bytes: Uint8Array): string {
  if (bytes.byteLength === 0) return ' (the file is empty: 0 bytes)';
  if (isLfsPointer(bytes)) return ' (it is a Git LFS pointer, not the model file: fetch it with git lfs pull)';
  return textConversionNote(bytes);
}
