/**
 * Inference in chunks of steps (layers/recurrent.ts forwardInChunks): a forward with training
 * false runs the sequence chunk by chunk with caches the size of a chunk, and must give the
 * same bits as the one-pass forward (training true, no dropout) — outputs, final states, masks,
 * goBackwards, initial states, stateful carry, Bidirectional — while its caches stay chunk-sized;
 * a backward after such a forward runs the whole pass again and gives the same gradients.
 */
import { after, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { input, layers, model, sequential, Tensor, type SymbolicTensor } from '../src/index.js';
import { setInferenceChunkFloats, type Recurrent } from '../src/layers/recurrent.js';

// Chunks of the minimum, 16 steps, for any size: T 37 runs as 16 + 16 + 5.
setInferenceChunkFloats(0);
after(() => setInferenceChunkFloats(null));

const [T, B, I, H] = [37, 3, 4, 6];
const KINDS = ['lstm', 'gru', 'gruBefore', 'simpleRNN'] as const;

function make(kind: (typeof KINDS)[number], extra: Record<string, unknown>): Recurrent {
  const args = { units: H, seed: 5, inputShape: [null, I], ...extra };
  if (kind === 'gruBefore') return layers.gru({ ...args, resetAfter: false } as never) as unknown as Recurrent;
  return (layers as unknown as Record<string, (a: unknown) => Recurrent>)[kind]!(args);
}

function data(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniformIn(-2, 2));
}

/** Rows b ≥ 1 padded at the end (b · 7 masked steps). */
function endMask(): Float32Array {
  return Float32Array.from({ length: B * T }, (_, i) => (i % T < T - 7 * Math.floor(i / T) ? 1 : 0));
}

describe('inference in chunks of steps', () => {
  for (const kind of KINDS) {
    it(`${kind}: the same bits as one pass (outputs, final states; masks, goBackwards, returnSequences) with chunk-sized caches`, () => {
      for (const returnSequences of [false, true]) {
        for (const goBackwards of [false, true]) {
          for (const mask of [null, endMask()]) {
            // Two layers with the same weights (the same seed): one runs in chunks, the other in one pass.
            const [inChunks, inOnePass] = [0, 1].map(() => make(kind, { returnSequences, goBackwards, zeroOutputForMask: mask !== null && returnSequences }));
            for (const l of [inChunks!, inOnePass!]) sequential({ layers: [l as never] });
            const x = data(1, B * T * I);
            const what = `${kind} returnSequences ${returnSequences} goBackwards ${goBackwards} mask ${mask !== null}`;
            assert.deepEqual(Array.from(inChunks!.forward(x, B, T, false, mask)), Array.from(inOnePass!.forward(x, B, T, true, mask)), `${what}: outputs`);
            const finalH = (l: Recurrent): number[] => {
              const f = (l as unknown as { finalState(i: number): { buf: Float32Array; off: number } }).finalState(0);
              return Array.from(f.buf.subarray(f.off, f.off + B * H));
            };
            assert.deepEqual(finalH(inChunks!), finalH(inOnePass!), `${what}: final h`);
            // The caches hold one chunk of 16 steps, not 37.
            const held = (inChunks as unknown as { hs: Float32Array }).hs.length;
            assert.ok(held <= 16 * B * H, `${what}: hs holds ${held} floats`);
          }
        }
      }
    });
  }

  it('initial states given to the call, returnState outputs and Bidirectional: predict gives the same bits chunked or not', () => {
    const x = input({ shape: [null, I] });
    const h0 = input({ shape: [H] });
    const c0 = input({ shape: [H] });
    const [seq, h, c] = layers.lstm({ units: H, returnSequences: true, returnState: true, seed: 7 }).apply(x, { initialState: [h0, c0] }) as unknown as SymbolicTensor[];
    const bi = layers.bidirectional({ layer: layers.gru({ units: H, returnSequences: true, seed: 8 }) as never }).apply(seq!) as SymbolicTensor;
    const m = model({ inputs: [x, h0, c0], outputs: [bi, h!, c!] });
    const feeds = [new Tensor(data(2, B * T * I), [B, T, I]), new Tensor(data(3, B * H), [B, H]), new Tensor(data(4, B * H), [B, H])];
    const chunked = (m.predict(feeds) as unknown as Tensor[]).map((t) => Array.from(t.data));
    setInferenceChunkFloats(1e9);
    const once = (m.predict(feeds) as unknown as Tensor[]).map((t) => Array.from(t.data));
    setInferenceChunkFloats(0);
    assert.deepEqual(chunked, once);
  });

  it('a stateful layer carries the last chunk’s final state to the next call', () => {
    const run = (floats: number): number[] => {
      setInferenceChunkFloats(floats);
      const m = sequential({ layers: [layers.lstm({ units: H, stateful: true, batchSize: B, inputShape: [T, I], seed: 9 } as never), layers.dense({ units: 2, seed: 10 })] });
      const x = new Tensor(data(5, B * T * I), [B, T, I]);
      const first = Array.from((m.predict(x, { batchSize: B }) as Tensor).data);
      const second = Array.from((m.predict(x, { batchSize: B }) as Tensor).data);
      setInferenceChunkFloats(0);
      return [...first, ...second];
    };
    assert.deepEqual(run(0), run(1e9));
  });

  it('a backward after a chunked forward (a layer called with training false in a trained graph) gives the one-pass gradients', () => {
    for (const kind of KINDS) {
      const grads = (train: boolean): number[][] => {
        const l = make(kind, { returnSequences: true });
        sequential({ layers: [l as never] });
        const x = data(6, B * T * I);
        const dy = data(7, B * T * H);
        l.forward(x, B, T, train, endMask());
        const dx = Array.from(l.backward(dy, B, T, true)!);
        return [dx, ...l.weights.map((w) => Array.from(w.grad))];
      };
      assert.deepEqual(grads(false), grads(true), kind);
    }
  });
});
