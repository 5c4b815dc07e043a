/**
 * The WebAssembly side of the 'wasm' backend: one instance of the kernels in
 * wasm/kernels.ts (the relaxed-SIMD build where the engine validates it, else the plain
 * SIMD build; both embedded as base64, so nothing is located at run time) on one linear
 * memory, and the allocator that places the backend's buffers in that memory.
 *
 * Buffers allocated here are ordinary Float32Array views, so every TypeScript helper
 * works on them unchanged, and a kernel is called with their byte offsets: no copies.
 * The memory is a shared WebAssembly.Memory because growing a shared memory leaves
 * existing views valid (growing an unshared one detaches every view). Where shared
 * memory is unavailable (a browser page that is not cross-origin isolated) the module
 * runs on an unshared memory used as scratch only: `residentAlloc` returns plain arrays
 * and the kernel wrappers copy operands in and out (the GEMM) or fall back to the
 * TypeScript kernels.
 *
 * Freeing: a block returns to the free list at once when `residentFree` is given the view
 * that owns it (model.dispose()), else when that view is garbage collected
 * (FinalizationRegistry; its callbacks only run between event-loop tasks, so a loop that
 * never yields frees nothing that way). Views made from an owner (subarray) must not
 * outlive it; the library only keeps such views beside their owner (weights in the
 * engine's arena, which the engine holds). Freed blocks are reused first-fit, neighbours
 * coalesced; the memory grows only when no free block fits (a WebAssembly memory never
 * shrinks).
 */
import { KERNELS_WASM_RELAXED, KERNELS_WASM_SIMD } from './kernelsWasm.js';

export interface WasmKernelExports {
  gemm(M: number, N: number, K: number, a: number, sai: number, sak: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  gemmNT(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  // B packed in 8-column panels (assembly/packed.ts)
  packB(K: number, N: number, b: number, ldb: number, dst: number): void;
  packBT(K: number, N: number, b: number, ldb: number, dst: number): void;
  gemmPacked(M: number, N: number, K: number, a: number, sai: number, sak: number, bp: number, c: number, ldc: number, accumulate: number): void;
  gemmPackB(M: number, N: number, K: number, a: number, sai: number, sak: number, b: number, ldb: number, c: number, ldc: number, accumulate: number, work: number): void;
  gemmPackBWorkFloats(): number;
  transpose(out: number, src: number, ld: number, rows: number, cols: number): void;
  hasActivation(act: number): number;
  activationForward(act: number, y: number, x: number, rows: number, cols: number, ld: number): void;
  activationBackward(act: number, dx: number, dy: number, x: number, y: number, rows: number, cols: number, ld: number): void;
  /** The rational tanh/sigmoid of assembly/simd.ts (tests and measurement only; no kernel uses them). */
  activationRational(act: number, y: number, x: number, n: number): void;
  softmaxForward(y: number, x: number, rows: number, cols: number): void;
  addBias(y: number, bias: number, rows: number, cols: number): void;
  biasGrad(dBias: number, dy: number, rows: number, cols: number): void;
  gruCellForward(B: number, H: number, act: number, ract: number, pre: number, gates: number, mh: number, biasH: number, hasBias: number, hPrev: number, h: number): void;
  gruCellBackward(B: number, H: number, act: number, ract: number, dPre: number, dPreH: number, dhNext: number, dh: number, pre: number, gates: number, mh: number, hPrev: number): void;
  // the resetAfter = false GRU cell (wasm/cells.ts)
  gruCellForwardZR(B: number, H: number, ract: number, pre: number, gates: number, hPrev: number, rh: number): void;
  gruCellForwardH(B: number, H: number, act: number, pre: number, gates: number, hState: number, h: number): void;
  gruCellBackwardZH(B: number, H: number, act: number, ract: number, dPre: number, dhNext: number, dh: number, pre: number, gates: number, hState: number): void;
  gruCellBackwardR(B: number, H: number, ract: number, dPre: number, dhPrev: number, pre: number, gates: number, hPrev: number): void;
  lstmCellForward(B: number, H: number, act: number, gates: number, cPrev: number, c: number, cAct: number, h: number): void;
  lstmCellBackward(B: number, H: number, act: number, dPre: number, dcNext: number, dh: number, dc: number, gates: number, cPrev: number, c: number, cAct: number): void;
  // the activations and the cell update of a step in one pass (assembly/lstmCell.ts)
  lstmGatesCellForward(B: number, H: number, act: number, ract: number, pre: number, gates: number, cPrev: number, c: number, cAct: number, h: number): void;
  lstmGatesCellBackward(B: number, H: number, act: number, ract: number, dPre: number, dcNext: number, dh: number, dc: number, pre: number, gates: number, cPrev: number, c: number, cAct: number): void;
  adamUpdate(params: number, grads: number, m: number, v: number, vHat: number, lo: number, hi: number, hyper: number): void;
  lstmStep(B: number, I: number, H: number, act: number, ract: number, x: number, kernel: number, recurrentKernel: number, bias: number, h: number, c: number, gates: number, cAct: number): void;
  lstmStepProjected(B: number, H: number, act: number, ract: number, ids: number, table: number, recurrentKernel: number, h: number, c: number, gates: number, cAct: number): void;
  denseForward(act: number, rows: number, I: number, O: number, x: number, kernel: number, bias: number, pre: number, out: number): void;
}

export interface WasmRuntime {
  readonly kernels: WasmKernelExports;
  readonly memory: WebAssembly.Memory;
  /** Buffers can live in the module's memory (shared memory available). */
  readonly resident: boolean;
  /** The fused multiply-add build is running. */
  readonly relaxed: boolean;
}

const PAGE = 65536;
/** Blocks start here; below is the module's own (tiny) data. */
const HEAP_BASE = PAGE;
/** Block alignment: a cache line. */
const ALIGN = 64;
/** 4 GiB: reserved address space, not memory (pages are committed as they are touched). */
const MAX_PAGES = 65536;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** An unsigned LEB128 number of a WebAssembly binary at `pos`: its value and the position after it (also bench/profileFit.ts). */
export function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, pos];
}

/**
 * The same module importing an unshared memory: flips the `shared` bit of the memory
 * import's limits (0x03 → 0x01). The kernels use no atomics, so nothing else changes.
 */
export function unshareMemoryImport(module: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const bytes = module.slice();
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const [size, body] = readLeb(bytes, pos + 1);
    if (id === 2) {
      let [count, p] = readLeb(bytes, body);
      while (count-- > 0) {
        let len: number;
        [len, p] = readLeb(bytes, p); // module name
        p += len;
        [len, p] = readLeb(bytes, p); // field name
        p += len;
        const kind = bytes[p++]!;
        if (kind === 0x02) {
          if (bytes[p] === 0x03) bytes[p] = 0x01;
          return bytes;
        }
        if (kind === 0x00) [, p] = readLeb(bytes, p); // function: type index
        else if (kind === 0x01) {
          p++; // table: element type, then limits
          const flags = bytes[p++]!;
          [, p] = readLeb(bytes, p);
          if (flags & 1) [, p] = readLeb(bytes, p);
        } else if (kind === 0x03) p += 2; // global: value type, mutability
      }
    }
    pos = body + size;
  }
  throw new Error('rnnkit: the embedded WebAssembly module imports no memory (build error)');
}

let supported: boolean | null = null;
let rt: WasmRuntime | null = null;

/** The memory the runtime will use, reserved by `wasmMemoryReserved` (or the reason it could not be). */
let reserved: { memory: WebAssembly.Memory; resident: boolean; maxBytes: number } | { error: string } | null = null;

/** Reservations tried, largest first: 4 GiB of address space, else 1 GiB, else 256 MiB (32-bit and mobile engines reserve less). */
const MAXIMA = [MAX_PAGES, 16384, 4096];

/**
 * Reserve the module's memory: shared with the largest maximum the engine grants, else
 * (no SharedArrayBuffer: a page that is not cross-origin isolated; or no room for a
 * shared reservation) unshared. Where even that fails — a process whose address space is
 * limited (ulimit -v) cannot fit the engine's reservation — the reason is kept and the
 * TypeScript backend is used instead.
 */
function reserveMemory(): NonNullable<typeof reserved> {
  let why = 'no reservation was granted';
  const attempt = (shared: boolean): NonNullable<typeof reserved> | null => {
    for (const maximum of MAXIMA) {
      try {
        const memory = new WebAssembly.Memory({ initial: 16, maximum, shared });
        if (shared && !(memory.buffer instanceof SharedArrayBuffer)) return null;
        return { memory, resident: shared, maxBytes: maximum * PAGE };
      } catch (e) {
        why = e instanceof Error ? e.message : String(e); // try a smaller reservation
      }
    }
    return null;
  };
  return (typeof SharedArrayBuffer === 'function' ? attempt(true) : null) ?? attempt(false) ?? { error: why };
}

/**
 * Whether the WebAssembly memory could be reserved (done once, on the first call). False
 * where the engine refuses every reservation; `wasmMemoryError()` then says why.
 */
export function wasmMemoryReserved(): boolean {
  reserved ??= reserveMemory();
  return !('error' in reserved);
}

/** Why the WebAssembly memory could not be reserved, or null when it was (or was not tried yet). */
export function wasmMemoryError(): string | null {
  return reserved !== null && 'error' in reserved ? reserved.error : null;
}

/**
 * Whether this engine can run the kernels: WebAssembly with SIMD. Validating the
 * kernel module itself is the exact feature test.
 */
export function wasmSupported(): boolean {
  if (supported === null) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(unshareMemoryImport(decodeBase64(KERNELS_WASM_SIMD)));
    } catch {
      supported = false;
    }
  }
  return supported;
}

/** The instance (created on first use). Throws where WebAssembly SIMD is missing. */
export function wasmRuntime(): WasmRuntime {
  if (rt !== null) return rt;
  if (!wasmSupported()) throw new Error('rnnkit: WebAssembly SIMD is not available in this engine');
  if (!wasmMemoryReserved()) throw new RangeError(`rnnkit: WebAssembly memory could not be reserved (${wasmMemoryError()}); useBackend('ts') needs none`);
  const { memory, resident, maxBytes: max } = reserved as { memory: WebAssembly.Memory; resident: boolean; maxBytes: number };
  const prepare = (b64: string): Uint8Array<ArrayBuffer> => (resident ? decodeBase64(b64) : unshareMemoryImport(decodeBase64(b64)));
  let bytes = prepare(KERNELS_WASM_RELAXED);
  const relaxed = WebAssembly.validate(bytes);
  if (!relaxed) bytes = prepare(KERNELS_WASM_SIMD);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  rt = { kernels: instance.exports as unknown as WasmKernelExports, memory, resident, relaxed };
  top = HEAP_BASE;
  maxBytes = max;
  return rt;
}

// ---------------------------------------------------------------- allocator

/** Free blocks [start, end) in bytes, sorted, coalesced. */
const freeBlocks: number[] = [];
let top = HEAP_BASE;
/** The memory's reserved maximum in bytes. */
let maxBytes = MAX_PAGES * PAGE;
const residentBuffers = new WeakSet<ArrayBufferLike>();
/** The block each live owner view holds: [start, end) in bytes. */
const owners = new WeakMap<Float32Array, readonly [number, number]>();
/**
 * A hint for the garbage collector: V8 does not see the WebAssembly memory a view holds, so
 * a loop dropping models (even one that yields) would collect them rarely — 1,000 dropped
 * LSTM(512) models peaked at 1.8 GiB in use. Beside each block of 64 KiB or more lives an
 * ArrayBuffer of its size, never written (the allocator mostly maps such sizes lazily:
 * measured, the RSS of that loop fell from 2.0 GiB to 230 MiB), which V8 counts as external
 * memory: dropped models are then collected as often as plain arrays of that size would be
 * (the same loop peaks under 100 MiB). It goes with the view, or at once with residentFree.
 * Not only blocks of 1 MiB or more: a small model is made of smaller blocks (a char
 * Embedding → LSTM(64) → Dense one trained on batches of 32: 34 blocks, 4.2 MiB, none of
 * 1 MiB, 95% of the bytes in blocks of 64 KiB or more), and a yielding loop dropping such
 * models reached 858 MiB in use (RSS 1 GiB) before V8 first collected them; with the hint
 * from 64 KiB, 85 MiB (RSS 260 MiB). Smaller blocks hold too little to matter.
 */
const ballast = new WeakMap<Float32Array, ArrayBuffer>();
const BALLAST_FROM = 1 << 16;
/** The buffer of the newest block: nearly every check is against it, and === is cheaper than the WeakSet. */
let newestBuffer: ArrayBufferLike | null = null;
let heapView: Float32Array = new Float32Array(0);

const registry = new FinalizationRegistry<readonly [number, number]>(([start, end]) => release(start, end));

function release(start: number, end: number): void {
  let i = 0;
  while (i < freeBlocks.length && freeBlocks[i]! < start) i += 2;
  freeBlocks.splice(i, 0, start, end);
  // coalesce with the next, then the previous block
  if (i + 2 < freeBlocks.length && freeBlocks[i + 1] === freeBlocks[i + 2]) freeBlocks.splice(i + 1, 2);
  if (i >= 2 && freeBlocks[i - 1] === freeBlocks[i]) {
    freeBlocks.splice(i - 1, 2);
    i -= 2;
  }
  if (freeBlocks[i + 1] === top) {
    top = freeBlocks[i]!;
    freeBlocks.splice(i, 2);
  }
}

function reserve(bytes: number): number {
  for (let i = 0; i < freeBlocks.length; i += 2) {
    const start = freeBlocks[i]!;
    const end = freeBlocks[i + 1]!;
    if (end - start >= bytes) {
      if (end - start === bytes) freeBlocks.splice(i, 2);
      else freeBlocks[i] = start + bytes;
      return start;
    }
  }
  const start = top;
  const memory = wasmRuntime().memory;
  const need = start + bytes;
  const have = memory.buffer.byteLength;
  if (need > have) {
    try {
      memory.grow(Math.ceil((Math.max(need, have * 1.25) - have) / PAGE));
    } catch {
      growExactly(memory, need, bytes, have);
    }
  }
  top = need;
  return start;
}

/** Grow to just `need` bytes (the 25% headroom did not fit), or say why the memory cannot give them. */
function growExactly(memory: WebAssembly.Memory, need: number, bytes: number, have: number): void {
  try {
    memory.grow(Math.ceil((need - have) / PAGE));
  } catch {
    const inUse = `${mib(residentBytesInUse())} in use by live buffers`;
    const cure = "dispose() models you no longer need (dropped ones are only freed once the event loop turns), or useBackend('ts')";
    if (need > maxBytes) throw new RangeError(`rnnkit: WebAssembly memory is full (${mib(maxBytes)}): cannot allocate ${mib(bytes)} more (${inUse}); ${cure}`);
    throw new RangeError(`rnnkit: WebAssembly memory cannot grow past ${mib(have)} (the system refused more; ${inUse}) allocating ${mib(bytes)}; ${cure}`);
  }
}

/** Bytes in MiB or GiB, for messages. */
function mib(bytes: number): string {
  return bytes >= 2 ** 30 && bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * n floats in the module's memory, zero-filled (or a plain array where buffers cannot
 * live there). The block is freed when the returned view is collected.
 */
export function residentAlloc(n: number): Float32Array {
  const runtime = wasmRuntime();
  if (!runtime.resident || n === 0) return new Float32Array(n);
  // Rounded up in doubles: the int32 bit trick wraps for 2 GiB and more (an UpSampling1D of a
  // hostile size asks that much), and the request must reach reserve()'s clear refusal intact.
  const bytes = Math.ceil((n * 4) / ALIGN) * ALIGN;
  const start = reserve(bytes);
  const buffer = runtime.memory.buffer;
  residentBuffers.add(buffer);
  newestBuffer = buffer;
  const view = new Float32Array(buffer, start, n);
  view.fill(0);
  const block = [start, start + bytes] as const;
  owners.set(view, block);
  registry.register(view, block, view);
  if (bytes >= BALLAST_FROM) {
    try {
      ballast.set(view, new ArrayBuffer(bytes));
    } catch {
      // no room for the hint (a limited address space): the block is freed all the same
    }
  }
  return view;
}

/**
 * Return the block `a` owns to the allocator now (model.dispose()); the view must not be
 * used afterwards (its bytes go to the next allocation). Anything else — a view made from
 * an owner, a plain array, a block already freed — is left alone. Returns the bytes freed.
 */
export function residentFree(a: Float32Array): number {
  const block = owners.get(a);
  if (block === undefined) return 0;
  owners.delete(a);
  ballast.delete(a);
  registry.unregister(a);
  release(block[0], block[1]);
  return block[1] - block[0];
}

/** Bytes the WebAssembly memory has grown to (0 before it is created): it never shrinks, freed blocks are reused. */
export function wasmMemoryBytes(): number {
  return rt === null ? 0 : rt.memory.buffer.byteLength;
}

/** Whether a kernel can be given this array by pointer. */
export function isResident(a: Float32Array): boolean {
  const buffer = a.buffer;
  return buffer === newestBuffer || residentBuffers.has(buffer);
}

/**
 * Resident, or absent: the recurrent wrappers' check on an optional buffer. (Their callers
 * check buffers one by one: an array literal per step would allocate.)
 */
export function residentOrNull(a: Float32Array | null): boolean {
  return a === null || isResident(a);
}

/** Byte address of a[off] (a must be resident). */
export function addr(a: Float32Array, off = 0): number {
  return a.byteOffset + off * 4;
}

/** A float view of the whole memory, refreshed after growth (for scratch copies). */
export function heapF32(): Float32Array {
  const buffer = wasmRuntime().memory.buffer;
  if (heapView.buffer !== buffer) heapView = new Float32Array(buffer);
  return heapView;
}

/** Bytes in use by blocks (for tests and diagnostics). */
export function residentBytesInUse(): number {
  let free = 0;
  for (let i = 0; i < freeBlocks.length; i += 2) free += freeBlocks[i + 1]! - freeBlocks[i]!;
  return top - HEAP_BASE - free;
}

let scratchView: Float32Array = new Float32Array(0);

/**
 * Byte address of a scratch area of at least n floats for copied operands (valid
 * until the next call; read it through heapF32()).
 */
export function scratch(n: number): number {
  const runtime = wasmRuntime();
  if (runtime.resident) {
    if (scratchView.length < n) scratchView = residentAlloc(Math.max(n, Math.ceil(scratchView.length * 1.5)));
    return scratchView.byteOffset;
  }
  const need = HEAP_BASE + n * 4;
  const have = runtime.memory.buffer.byteLength;
  if (need > have) runtime.memory.grow(Math.ceil((Math.max(need, have * 1.5) - have) / PAGE));
  return HEAP_BASE;
}
