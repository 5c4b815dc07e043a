#!/usr/bin/python3
"""Reference values for rnnkit's activation functions: PyTorch (float64, autograd) where it has
the function, and Keras 3's numpy-backend formulas (keras/src/backend/numpy/nn.py) where it does not;
the two gelus also in 40-digit arithmetic (mpmath). Each function's values and derivatives at the same
float32-representable inputs, away from the kinks (a derivative at a kink is a convention).

Run:  /usr/bin/python3 tools/activation_fixtures.py   (writes test/fixtures/activations-torch.json)
"""

import json
import os

import mpmath
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(2026)
x32 = np.concatenate([rng.uniform(-8, 8, 80), rng.uniform(-2, 2, 60), [-30.0, -12.0, 12.0, 30.0]]).astype(np.float32)
KINKS = [-6, -3, -1, -0.5, 0, 0.5, 1, 3, 6]
x32 = np.array([v for v in x32 if all(abs(v - k) > 1e-3 for k in KINKS)], dtype=np.float32)
x = x32.astype(np.float64)


def torch_fn(f):
    def run():
        t = torch.tensor(x, requires_grad=True)
        y = f(t)
        (g,) = torch.autograd.grad(y.sum(), t)
        return y.detach().numpy(), g.numpy()
    return run


def numpy_fn(f, df):
    return lambda: (f(x), df(x))


def exact(f):
    """f and its derivative in 40-digit arithmetic."""
    mpmath.mp.dps = 40
    def run():
        vals = [f(mpmath.mpf(float(v))) for v in x]
        ders = [mpmath.diff(f, mpmath.mpf(float(v))) for v in x]
        return np.array([float(v) for v in vals]), np.array([float(v) for v in ders])
    return run


def row_softmax(f):
    """A function of one row: x as 4 rows of len(x)/4 values (log_softmax's derivative is a row sum)."""
    def run():
        n = len(x) // 4 * 4
        t = torch.tensor(x[:n].reshape(4, -1), requires_grad=True)
        y = f(t)
        w = torch.tensor(np.cos(np.arange(n)).reshape(4, -1))
        (g,) = torch.autograd.grad((y * w).sum(), t)
        return y.detach().numpy().ravel(), g.numpy().ravel()
    return run


CASES = {
    'relu6': torch_fn(F.relu6),
    'gelu': torch_fn(F.gelu),
    'gelu_new': torch_fn(lambda t: F.gelu(t, approximate='tanh')),
    'mish': torch_fn(F.mish),
    'exponential': torch_fn(torch.exp),
    'leaky_relu': torch_fn(lambda t: F.leaky_relu(t, 0.2)),
    'hard_silu': torch_fn(F.hardswish),
    'log_sigmoid': torch_fn(F.logsigmoid),
    'hard_tanh': torch_fn(F.hardtanh),
    'tanh_shrink': torch_fn(F.tanhshrink),
    'soft_shrink': torch_fn(lambda t: F.softshrink(t, 0.5)),
    'hard_shrink': torch_fn(lambda t: F.hardshrink(t, 0.5)),
    'celu': torch_fn(F.celu),
    # Keras 3 only: its numpy backend's formulas.
    'sparse_plus': numpy_fn(lambda v: np.where(v <= -1, 0.0, np.where(v < 1, 0.25 * (v + 1) ** 2, v)), lambda v: np.where(v <= -1, 0.0, np.where(v < 1, 0.5 * (v + 1), 1.0))),
    'squareplus': numpy_fn(lambda v: (v + np.sqrt(v**2 + 4)) / 2, lambda v: 0.5 * (1 + v / np.sqrt(v**2 + 4))),
    'sparse_sigmoid': numpy_fn(lambda v: np.where(v <= -1, 0.0, np.where(v >= 1, 1.0, 0.5 * (v + 1))), lambda v: np.where((v > -1) & (v < 1), 0.5, 0.0)),
    # Exact (mpmath, 40 digits): torch's and Keras's x·(1 + erf(x/√2))/2 and x·(1 + tanh u)/2
    # cancel in the lower tail (at x = −7, 1e-16 absolute on a 4e-12 value).
    'gelu_exact': exact(lambda v: v * mpmath.erfc(-v / mpmath.sqrt(2)) / 2),
    'gelu_new_exact': exact(lambda v: v / (1 + mpmath.exp(-2 * mpmath.sqrt(2 / mpmath.pi) * (v + mpmath.mpf('0.044715') * v**3)))),
}

def sig(values):
    """12 significant digits: far below float32's 7, and a third of the file."""
    return [float('%.12g' % v) for v in values]


out = {'x': [float(v) for v in x32], 'rows': {'log_softmax': {}}, 'functions': {}}
for name, run in CASES.items():
    y, g = run()
    out['functions'][name] = {'y': sig(y), 'dydx': sig(g)}
y, g = row_softmax(lambda t: F.log_softmax(t, dim=-1))()
out['rows']['log_softmax'] = {'rows': 4, 'y': sig(y), 'dx_for_cos_weights': sig(g)}

path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'activations-torch.json')
with open(path, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
print('wrote', path, len(x32), 'inputs,', len(CASES), 'functions + log_softmax rows')
