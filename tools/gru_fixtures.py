#!/usr/bin/python3
"""Golden fixtures for Keras GRU with reset_after=True (the Keras default).

TensorFlow.js cannot run this GRU variant, so the reference is PyTorch's nn.GRU in float64,
fed weights drawn in the Keras layout and converted (survey B16/B16b):

    Keras gate order z, r, h   <->   PyTorch gate order r, z, n  (swap the first two blocks)
    weight_ih_l0 = kernel^T (reordered)        kernel            [I, 3H]
    weight_hh_l0 = recurrent_kernel^T (reord.) recurrent_kernel  [H, 3H]
    bias_ih_l0   = bias[0] (reordered)         bias              [2, 3H]  row 0 input, row 1 recurrent
    bias_hh_l0   = bias[1] (reordered)

Keras go_backwards=True is emulated by feeding PyTorch the time-reversed input. Keras returns the
sequence in processing order, which is exactly PyTorch's output order on the reversed input, and
the last output is the state after consuming input step 0. dX is taken w.r.t. the original
(un-reversed) input, so it is already in input order.

Loss = sum(out * R) with a random R; out is [B, T, H] when returnSequences, else [B, H].

Self-check: an independent implementation of the Keras reset_after=True equations, written
directly on the Keras-layout weights in torch float64 (with autograd), must agree with PyTorch
on the output, final state and every gradient to 1e-12.

Run:  /usr/bin/python3 tools/gru_fixtures.py   (writes test/fixtures/gru-reset-after-torch.json)
"""

import json
import os
import sys

import numpy as np
import torch

SEED = 20240607
TOL = 1e-12
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures",
                        "gru-reset-after-torch.json")

CASES = [
    dict(name="B3_T5_I4_H6_last", B=3, T=5, I=4, H=6, returnSequences=False, goBackwards=False),
    dict(name="B3_T5_I4_H6_seq", B=3, T=5, I=4, H=6, returnSequences=True, goBackwards=False),
    dict(name="B3_T5_I4_H6_seq_goBackwards", B=3, T=5, I=4, H=6, returnSequences=True, goBackwards=True),
    dict(name="B3_T5_I4_H6_last_goBackwards", B=3, T=5, I=4, H=6, returnSequences=False, goBackwards=True),
    dict(name="B2_T1_I3_H4_seq", B=2, T=1, I=3, H=4, returnSequences=True, goBackwards=False),
    dict(name="B3_T4_I2_H1_seq", B=3, T=4, I=2, H=1, returnSequences=True, goBackwards=False),
]


def keras_to_torch_order(w, H):
    """Reorder the gate blocks along the last axis: Keras (z, r, h) -> PyTorch (r, z, n)."""
    return torch.cat([w[..., H:2 * H], w[..., 0:H], w[..., 2 * H:3 * H]], dim=-1)


def torch_to_keras_order(w, H):
    """Reorder the gate blocks along the last axis: PyTorch (r, z, n) -> Keras (z, r, h).
    (The swap of the first two blocks is its own inverse.)"""
    return keras_to_torch_order(w, H)


def run_torch(kernel, rkernel, bias, x, R, return_sequences, go_backwards):
    """PyTorch nn.GRU forward/backward; returns (output, finalState, dKernel, dRK, dBias, dX)
    with all gradients converted back to the Keras layout."""
    I, threeH = kernel.shape
    H = threeH // 3
    gru = torch.nn.GRU(input_size=I, hidden_size=H, num_layers=1, bias=True,
                       batch_first=True, bidirectional=False).double()
    with torch.no_grad():
        gru.weight_ih_l0.copy_(keras_to_torch_order(kernel, H).t())   # [3H, I]
        gru.weight_hh_l0.copy_(keras_to_torch_order(rkernel, H).t())  # [3H, H]
        gru.bias_ih_l0.copy_(keras_to_torch_order(bias[0], H))
        gru.bias_hh_l0.copy_(keras_to_torch_order(bias[1], H))
    gru.zero_grad()

    xl = x.clone().requires_grad_(True)
    feed = torch.flip(xl, dims=[1]) if go_backwards else xl
    seq, h_n = gru(feed)                      # seq [B, T, H] in processing order, h_n [1, B, H]
    out = seq if return_sequences else seq[:, -1, :]
    loss = (out * R).sum()
    loss.backward()

    dK = torch_to_keras_order(gru.weight_ih_l0.grad.t(), H)          # [I, 3H]
    dRK = torch_to_keras_order(gru.weight_hh_l0.grad.t(), H)         # [H, 3H]
    dB = torch.stack([torch_to_keras_order(gru.bias_ih_l0.grad, H),
                      torch_to_keras_order(gru.bias_hh_l0.grad, H)])  # [2, 3H]
    return out.detach(), h_n[0].detach(), dK, dRK, dB, xl.grad.detach()


def run_keras_reference(kernel, rkernel, bias, x, R, return_sequences, go_backwards):
    """Keras reset_after=True GRU written from the equations (survey B1/B4), float64 autograd."""
    I, threeH = kernel.shape
    H = threeH // 3
    B, T, _ = x.shape
    W = kernel.clone().requires_grad_(True)
    U = rkernel.clone().requires_grad_(True)
    b = bias.clone().requires_grad_(True)
    xl = x.clone().requires_grad_(True)
    h = torch.zeros(B, H, dtype=torch.float64)
    outs = []
    steps = range(T - 1, -1, -1) if go_backwards else range(T)
    for t in steps:
        mx = xl[:, t, :] @ W + b[0]
        mh = h @ U + b[1]
        z = torch.sigmoid(mx[:, 0:H] + mh[:, 0:H])
        r = torch.sigmoid(mx[:, H:2 * H] + mh[:, H:2 * H])
        hh = torch.tanh(mx[:, 2 * H:] + r * mh[:, 2 * H:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    seq = torch.stack(outs, dim=1)            # processing order
    out = seq if return_sequences else outs[-1]
    loss = (out * R).sum()
    loss.backward()
    return out.detach(), h.detach(), W.grad, U.grad, b.grad, xl.grad


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def dump_json(doc):
    """JSON with one key per line and every array on a single line (floats via repr: exact)."""
    def enc(v, ind):
        pad = " " * ind
        if isinstance(v, dict):
            items = [f'{pad} {json.dumps(k)}: {enc(val, ind + 1)}' for k, val in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and v and isinstance(v[0], dict):
            return "[\n" + ",\n".join(pad + " " + enc(e, ind + 1) for e in v) + "\n" + pad + "]"
        return json.dumps(v, separators=(",", ":"))
    return enc(doc, 0) + "\n"


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    cases_out = []
    worst = 0.0
    names = ["output", "finalState", "dKernel", "dRecurrentKernel", "dBias", "dX"]
    for c in CASES:
        B, T, I, H = c["B"], c["T"], c["I"], c["H"]
        u = lambda shape, lo, hi: torch.from_numpy(rng.uniform(lo, hi, size=shape)).double()
        kernel = u((I, 3 * H), -0.5, 0.5)
        rkernel = u((H, 3 * H), -0.5, 0.5)
        bias = u((2, 3 * H), -0.5, 0.5)
        x = u((B, T, I), -1.0, 1.0)
        R = u((B, T, H) if c["returnSequences"] else (B, H), -1.0, 1.0)

        got = run_torch(kernel, rkernel, bias, x, R, c["returnSequences"], c["goBackwards"])
        ref = run_keras_reference(kernel, rkernel, bias, x, R, c["returnSequences"], c["goBackwards"])
        case_worst = 0.0
        for n, a, e in zip(names, got, ref):
            assert a.shape == e.shape, (c["name"], n, a.shape, e.shape)
            d = float((a - e).abs().max())
            case_worst = max(case_worst, d)
            if not d <= TOL:
                sys.exit(f"self-check FAILED: case {c['name']} {n}: max |torch - keras-ref| = {d:.3e}")
        worst = max(worst, case_worst)
        print(f"{c['name']}: max |torch - keras-ref| = {case_worst:.3e}")

        entry = dict(c)
        entry.update(kernel=flat(kernel), recurrentKernel=flat(rkernel), bias=flat(bias),
                     x=flat(x), R=flat(R))
        for n, a in zip(names, got):
            entry[n] = flat(a)
        cases_out.append(entry)

    doc = {
        "generatedBy": f"tools/gru_fixtures.py (PyTorch {torch.__version__}, float64)",
        "description": "Keras GRU reset_after=True golden values. Keras layout: kernel [I,3H], "
                       "recurrentKernel [H,3H], bias [2,3H] (row 0 input, row 1 recurrent), gate order "
                       "z,r,h; x [B,T,I]; output [B,T,H] if returnSequences else [B,H] (goBackwards: "
                       "processing order); finalState [B,H]; loss = sum(output * R); gradients of that "
                       "loss in the same layouts; dX in input order. Flat row-major arrays.",
        "seed": SEED,
        "selfCheckMaxAbsDiff": worst,
        "cases": cases_out,
    }
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, "w") as f:
        f.write(dump_json(doc))
    print(f"self-check max diff over all cases: {worst:.3e} (tolerance {TOL:g})")
    print(f"wrote {os.path.normpath(OUT_PATH)} ({os.path.getsize(OUT_PATH)} bytes)")


if __name__ == "__main__":
    main()
