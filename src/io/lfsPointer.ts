/**
 * Git LFS pointers: the small text file a repository holds in place of a model file that was
 * never fetched (`git clone` without `git lfs pull`). Loaders say so instead of a format error.
 */
const LFS = new TextEncoder().encode('version https://git-lfs');

/** Whether the bytes are a Git LFS pointer. */
export function isLfsPointer(bytes: Uint8Array): boolean {
  return bytes.length >= LFS.length && LFS.every((b, i) => bytes[i] === b);
}

/**
 * ' (…a Git LFS pointer…)' to append to a format error when the bytes are one, ' (…empty…)'
 * when there are none (published repositories hold 0-byte model files too), else ''.
 */
export function lfsNote(bytes: Uint8Array): string {
  if (bytes.byteLength === 0) return ' (the file is empty: 0 bytes)';
  return isLfsPointer(bytes) ? ' (it is a Git LFS pointer, not the model file: fetch it with git lfs pull)' : '';
}
