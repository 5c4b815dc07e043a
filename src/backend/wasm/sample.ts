/**
 * The 'wasm' backend's one-call sampling step (assembly/sample.ts, lstmSampleStep): a
 * stream of an Embedding → LSTM → Dense(softmax) model steps, computes the probabilities
 * and draws each row's next index in one WebAssembly call, with the numbers of
 * lstmStepProjected + denseForward and the draws of sampleIndex (the uniforms drawn in
 * JavaScript by the caller's generators). The buffers are the sampler's own, in WebAssembly
 * memory; the weights and the carried state are bound by address (bind), which declines
 * where any of them is not resident (no shared memory, or weights made by the TypeScript
 * backend): the stream then samples as before.
 */
import { addr, isResident, residentAlloc, wasmRuntime } from './runtime.js';
import type { ActId } from '../ts/activation.js';

interface SampleExports {
  hasActivation(act: number): number;
  /** args: the 23 operands of assembly/sample.ts's sampleStep (draw left out), as i32. */
  lstmSampleStep(args: number, draw: number): void;
  lstmPackRecurrent(dst: number, rk: number, H: number): void;
  lstmQuantizeRecurrent(dst: number, scales: number, rk: number, H: number): void;
}

/** A resident block of at least `bytes` bytes (a Float32Array owner; views of other types are made on it). */
function block(bytes: number): Float32Array {
  return residentAlloc(Math.ceil(bytes / 4));
}

export class WasmLstmSampler {
  private readonly k: SampleExports;
  // Owners of the blocks below (a typed view of another type must not outlive its block).
  private readonly f32: Float32Array;
  private readonly bytes: Float32Array;
  /** [B] indices as floats, [B, 4H] gates, [B, H] cAct, [B, V] pre-activations and probabilities. */
  readonly ids: Float32Array;
  private readonly gates: Float32Array;
  private readonly cAct: Float32Array;
  private readonly pre: Float32Array;
  readonly probs: Float32Array;
  /** [B] the uniforms drawn for this step (f64, as Rng.uniform returns them). */
  readonly uniforms: Float64Array;
  /** [B] the drawn indices; −1 for a row the caller draws itself. */
  readonly out: Int32Array;
  /** [V] 1 where an index is banned. */
  readonly banned: Uint8Array;
  /** Batch 1, H a multiple of 4: the recurrent kernel repacked for the fused matrix-vector step (else empty). */
  private readonly packed: Float32Array;
  /** precision 'int8': the recurrent kernel in 8 bits (lstmQuantizeRecurrent), its [4H] column scales and the step's i16 h; else empty. */
  private readonly int8: Float32Array;
  private readonly scales: Float32Array;
  private readonly hq: Float32Array;
  /** The kernel's operands (set by bind), in WebAssembly memory: one argument instead of two dozen. */
  private readonly args: Int32Array;
  private readonly argsOwner: Float32Array;

  /**
   * null where the kernel cannot run: weights outside WebAssembly memory (`recurrentKernel`
   * stands for them: a model built on the TypeScript backend), or an activation without a
   * wasm kernel.
   */
  static create(B: number, H: number, V: number, act: ActId, ract: ActId, recurrentKernel: Float32Array, int8 = false): WasmLstmSampler | null {
    if (!isResident(recurrentKernel)) return null;
    const rt = wasmRuntime();
    const k = rt.kernels as unknown as SampleExports;
    if (!rt.resident || typeof k.lstmSampleStep !== 'function' || !k.hasActivation(act) || !k.hasActivation(ract)) return null;
    return new WasmLstmSampler(k, B, H, V, act, ract, int8);
  }

  private constructor(
    k: SampleExports,
    readonly B: number,
    readonly H: number,
    readonly V: number,
    private readonly act: ActId,
    private readonly ract: ActId,
    int8: boolean,
  ) {
    this.k = k;
    // One block of floats: ids, gates, cAct, pre, probs; one of 8-byte-aligned others: uniforms, out, banned.
    const n = [B, 4 * B * H, B * H, B * V, B * V];
    this.f32 = block(4 * n.reduce((a, b) => a + b, 0));
    let o = 0;
    const take = (len: number): Float32Array => this.f32.subarray(o, (o += len));
    this.ids = take(n[0]!);
    this.gates = take(n[1]!);
    this.cAct = take(n[2]!);
    this.pre = take(n[3]!);
    this.probs = take(n[4]!);
    this.bytes = block(8 * B + 4 * B + V);
    this.argsOwner = block(4 * 23);
    this.args = new Int32Array(this.argsOwner.buffer, this.argsOwner.byteOffset, 23);
    const buf = this.bytes.buffer;
    const at = this.bytes.byteOffset;
    this.uniforms = new Float64Array(buf, at, B);
    this.out = new Int32Array(buf, at + 8 * B, B);
    this.banned = new Uint8Array(buf, at + 12 * B, V);
    this.packed = !int8 && B === 1 && H % 4 === 0 ? residentAlloc(4 * H * H) : new Float32Array(0);
    const K2 = H + (H % 2);
    this.int8 = int8 ? block(4 * H * K2) : new Float32Array(0);
    this.scales = int8 ? residentAlloc(4 * H) : new Float32Array(0);
    this.hq = int8 ? block(2 * (K2 + 2)) : new Float32Array(0);
  }

  /** The blocks this sampler owns, for an owner that frees them at once (Stream keeps them where releaseBuffers finds them). */
  blocks(): Float32Array[] {
    return [this.f32, this.bytes, this.argsOwner, this.packed, this.int8, this.scales, this.hq];
  }

  /**
   * The step's operands by address: table [vocab, 4H], recurrentKernel [H, 4H], h and c
   * [B, H], denseKernel [H, V], denseBias [V] or null. False (nothing bound) where one is
   * not resident.
   */
  bind(table: Float32Array, recurrentKernel: Float32Array, h: Float32Array, c: Float32Array, denseKernel: Float32Array, denseBias: Float32Array | null): boolean {
    if (!(isResident(table) && isResident(recurrentKernel) && isResident(h) && isResident(c) && isResident(denseKernel) && (denseBias === null || isResident(denseBias)))) return false;
    const { B, H, V } = this;
    const packed = this.packed.length > 0;
    if (packed) this.k.lstmPackRecurrent(addr(this.packed), addr(recurrentKernel), H);
    const int8 = this.int8.length > 0;
    if (int8) this.k.lstmQuantizeRecurrent(addr(this.int8), addr(this.scales), addr(recurrentKernel), H);
    this.args.set([
      B, H, V, this.act, this.ract,
      addr(this.ids), addr(table), addr(recurrentKernel), packed ? addr(this.packed) : 0, addr(h), addr(c), addr(this.gates), addr(this.cAct),
      addr(denseKernel), denseBias === null ? 0 : addr(denseBias), addr(this.pre), addr(this.probs),
      this.uniforms.byteOffset, this.banned.byteOffset, this.out.byteOffset,
      int8 ? addr(this.int8) : 0, int8 ? addr(this.scales) : 0, int8 ? addr(this.hq) : 0,
    ]);
    return true;
  }

  /** One step on the bound operands; with `draw`, out holds each row's draw (−1: the caller's). */
  run(draw: boolean): void {
    this.k.lstmSampleStep(this.args.byteOffset, draw ? 1 : 0);
  }
}
