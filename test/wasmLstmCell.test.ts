/**
 * assembly/lstmCell.ts: the LSTM step's activations and cell update in one pass against the
 * four passes it replaces (activationForward × 3 + lstmCellForward; lstmCellBackward +
 * activationBackward × 3), bit for bit (Object.is) for every activation pair the wasm
 * kernels have, H with and without a vector tail, values into saturation. Run again on the
 * relaxed-SIMD build by test/wasmRelaxed.test.ts.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { addr, residentAlloc, wasmRuntime, wasmSupported } from '../src/backend/wasm/runtime.js';
import { Act, type ActId } from '../src/backend/ts/activation.js';

const skip = !wasmSupported() && 'WebAssembly SIMD not available';

function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, the separate kernels give ${want[i]}`);
}

describe('fused LSTM step kernels equal the separate ones bit for bit', { skip }, () => {
  const acts: [ActId, ActId][] = [
    [Act.tanh, Act.sigmoid],
    [Act.relu, Act.hardSigmoid],
    [Act.linear, Act.hardSigmoidLegacy],
    [Act.sigmoid, Act.tanh],
  ];
  for (const H of [1, 3, 4, 13, 32]) {
    for (const [act, ract] of acts) {
      it(`H ${H}, act ${act}, recurrent act ${ract}: forward and backward`, () => {
        const k = wasmRuntime().kernels;
        const B = 3;
        const G = 4 * H;
        const rng = new Rng(H * 31 + act * 7 + ract);
        // pre-activations up to ±12: tanh and sigmoid saturate, relu and the hard sigmoids clip
        const r = (n: number, s: number): Float32Array => {
          const a = residentAlloc(n);
          for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * s;
          return a;
        };
        const pre = r(B * G, 12), cPrev = r(B * H, 2);
        const copy = (a: Float32Array): Float32Array => {
          const b = residentAlloc(a.length);
          b.set(a);
          return b;
        };
        const z = (n: number): Float32Array => residentAlloc(n);
        // forward: separate
        const g1 = z(B * G), c1 = z(B * H), a1 = z(B * H), h1 = z(B * H);
        k.activationForward(ract, addr(g1), addr(pre), B, 2 * H, G);
        k.activationForward(act, addr(g1, 2 * H), addr(pre, 2 * H), B, H, G);
        k.activationForward(ract, addr(g1, 3 * H), addr(pre, 3 * H), B, H, G);
        k.lstmCellForward(B, H, act, addr(g1), addr(cPrev), addr(c1), addr(a1), addr(h1));
        // fused, and fused in place (gates = pre, as the time loop may)
        const g2 = z(B * G), c2 = z(B * H), a2 = z(B * H), h2 = z(B * H);
        k.lstmGatesCellForward(B, H, act, ract, addr(pre), addr(g2), addr(cPrev), addr(c2), addr(a2), addr(h2));
        for (const [got, want, what] of [[g2, g1, 'gates'], [c2, c1, 'c'], [a2, a1, 'act(c)'], [h2, h1, 'h']] as const) assertSame(got, want, `forward ${what}`);
        const inPlace = copy(pre);
        k.lstmGatesCellForward(B, H, act, ract, addr(inPlace), addr(inPlace), addr(cPrev), addr(c2), addr(a2), addr(h2));
        assertSame(inPlace, g1, 'forward gates in place');
        // backward
        const dh = r(B * H, 1), dc = r(B * H, 1);
        const d1 = z(B * G), n1 = z(B * H);
        k.lstmCellBackward(B, H, act, addr(d1), addr(n1), addr(dh), addr(dc), addr(g1), addr(cPrev), addr(c1), addr(a1));
        k.activationBackward(ract, addr(d1), addr(d1), addr(pre), addr(g1), B, 2 * H, G);
        k.activationBackward(act, addr(d1, 2 * H), addr(d1, 2 * H), addr(pre, 2 * H), addr(g1, 2 * H), B, H, G);
        k.activationBackward(ract, addr(d1, 3 * H), addr(d1, 3 * H), addr(pre, 3 * H), addr(g1, 3 * H), B, H, G);
        const d2 = z(B * G), n2 = z(B * H);
        k.lstmGatesCellBackward(B, H, act, ract, addr(d2), addr(n2), addr(dh), addr(dc), addr(pre), addr(g1), addr(cPrev), addr(c1), addr(a1));
        assertSame(d2, d1, 'backward dPre');
        assertSame(n2, n1, 'backward dcNext');
      });
    }
  }
});
