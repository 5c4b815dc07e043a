/**
 * AssemblyScript: the LSTM step's elementwise part in one pass, re-exported by
 * assembly/index.ts (the module's entry) and built with it. The time loop used to make four
 * passes over a step's [B, 4H] gates forward (three activationForward calls, then
 * lstmCellForward) and four backward (lstmCellBackward, then three activationBackward);
 * these do the same operations in the same order on each element, so the numbers are the
 * same bit for bit, with the gates read and written once. Gate order i, f, c, o; rows 4H
 * floats apart; states [B, H]; tails through the vector code one lane at a time.
 */
import { SIGMOID, TANH, actGradv, actv, lane, madd } from './simd';

/**
 * gates = (ract, ract, act, ract)(pre) by gate, then c = f ⊙ cPrev + i ⊙ g, cAct = act(c),
 * h = o ⊙ cAct (activationForward × 3 + lstmCellForward). gates may alias pre.
 */
export function lstmGatesCellForward(B: i32, H: i32, act: i32, ract: i32, pre: usize, gates: usize, cPrev: usize, c: usize, cAct: usize, h: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) gatesCellForward(B, H, TANH, SIGMOID, pre, gates, cPrev, c, cAct, h);
  else gatesCellForward(B, H, act, ract, pre, gates, cPrev, c, cAct, h);
}

@inline function gatesCellForward(B: i32, H: i32, act: i32, ract: i32, pre: usize, gates: usize, cPrev: usize, c: usize, cAct: usize, h: usize): void {
  const G = <usize>(4 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const p = pre + <usize>b * G;
    const g = gates + <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const iv = actv(ract, v128.load(p + q));
      const fv = actv(ract, v128.load(p + hb + q));
      const gv = actv(act, v128.load(p + 2 * hb + q));
      const ov = actv(ract, v128.load(p + 3 * hb + q));
      v128.store(g + q, iv);
      v128.store(g + hb + q, fv);
      v128.store(g + 2 * hb + q, gv);
      v128.store(g + 3 * hb + q, ov);
      const cv = madd(fv, v128.load(cPrev + r + q), f32x4.mul(iv, gv));
      const av = actv(act, cv);
      v128.store(c + r + q, cv);
      v128.store(cAct + r + q, av);
      v128.store(h + r + q, f32x4.mul(ov, av));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const iv = lane(actv(ract, f32x4.splat(load<f32>(p + q))));
      const fv = lane(actv(ract, f32x4.splat(load<f32>(p + hb + q))));
      const gv = lane(actv(act, f32x4.splat(load<f32>(p + 2 * hb + q))));
      const ov = lane(actv(ract, f32x4.splat(load<f32>(p + 3 * hb + q))));
      store<f32>(g + q, iv);
      store<f32>(g + hb + q, fv);
      store<f32>(g + 2 * hb + q, gv);
      store<f32>(g + 3 * hb + q, ov);
      const cv = fv * load<f32>(cPrev + r + q) + iv * gv;
      const av = lane(actv(act, f32x4.splat(cv)));
      store<f32>(c + r + q, cv);
      store<f32>(cAct + r + q, av);
      store<f32>(h + r + q, ov * av);
    }
  }
}

/**
 * lstmCellBackward then the three activationBackward calls in one pass: from dh, dc
 * (reaching h_s, c_s) the pre-activation gradients into dPre (rows 4H apart) and
 * dcNext = dc_total ⊙ f.
 *   dc_total = dc + act'(dh ⊙ o);  dPre_i = ract'(dc_total ⊙ g);  dPre_f = ract'(dc_total ⊙ cPrev);
 *   dPre_c = act'(dc_total ⊙ i);  dPre_o = ract'(dh ⊙ cAct)
 */
export function lstmGatesCellBackward(B: i32, H: i32, act: i32, ract: i32, dPre: usize, dcNext: usize, dh: usize, dc: usize, pre: usize, gates: usize, cPrev: usize, c: usize, cAct: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) gatesCellBackward(B, H, TANH, SIGMOID, dPre, dcNext, dh, dc, pre, gates, cPrev, c, cAct);
  else gatesCellBackward(B, H, act, ract, dPre, dcNext, dh, dc, pre, gates, cPrev, c, cAct);
}

@inline function gatesCellBackward(B: i32, H: i32, act: i32, ract: i32, dPre: usize, dcNext: usize, dh: usize, dc: usize, pre: usize, gates: usize, cPrev: usize, c: usize, cAct: usize): void {
  const G = <usize>(4 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * G;
    const p = pre + <usize>b * G;
    const d = dPre + <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const dhv = v128.load(dh + r + q);
      const av = v128.load(cAct + r + q);
      const iv = v128.load(g + q);
      const fv = v128.load(g + hb + q);
      const gv = v128.load(g + 2 * hb + q);
      const ov = v128.load(g + 3 * hb + q);
      const dcs = f32x4.add(v128.load(dc + r + q), actGradv(act, f32x4.mul(dhv, ov), v128.load(c + r + q), av));
      v128.store(d + q, actGradv(ract, f32x4.mul(dcs, gv), v128.load(p + q), iv));
      v128.store(d + hb + q, actGradv(ract, f32x4.mul(dcs, v128.load(cPrev + r + q)), v128.load(p + hb + q), fv));
      v128.store(d + 2 * hb + q, actGradv(act, f32x4.mul(dcs, iv), v128.load(p + 2 * hb + q), gv));
      v128.store(d + 3 * hb + q, actGradv(ract, f32x4.mul(dhv, av), v128.load(p + 3 * hb + q), ov));
      v128.store(dcNext + r + q, f32x4.mul(dcs, fv));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const dhv = load<f32>(dh + r + q);
      const av = load<f32>(cAct + r + q);
      const iv = load<f32>(g + q);
      const fv = load<f32>(g + hb + q);
      const gv = load<f32>(g + 2 * hb + q);
      const ov = load<f32>(g + 3 * hb + q);
      const dcs = load<f32>(dc + r + q) + lane(actGradv(act, f32x4.splat(dhv * ov), f32x4.splat(load<f32>(c + r + q)), f32x4.splat(av)));
      store<f32>(d + q, lane(actGradv(ract, f32x4.splat(dcs * gv), f32x4.splat(load<f32>(p + q)), f32x4.splat(iv))));
      store<f32>(d + hb + q, lane(actGradv(ract, f32x4.splat(dcs * load<f32>(cPrev + r + q)), f32x4.splat(load<f32>(p + hb + q)), f32x4.splat(fv))));
      store<f32>(d + 2 * hb + q, lane(actGradv(act, f32x4.splat(dcs * iv), f32x4.splat(load<f32>(p + 2 * hb + q)), f32x4.splat(gv))));
      store<f32>(d + 3 * hb + q, lane(actGradv(ract, f32x4.splat(dhv * av), f32x4.splat(load<f32>(p + 3 * hb + q)), f32x4.splat(ov))));
      store<f32>(dcNext + r + q, dcs * fv);
    }
  }
}
