# Minimax relative-error fit of tanh(x) ≈ x·P(x²)/Q(x²) on (0, C] (assembly/simd.ts's tanhRationalv):
#   /usr/bin/python3 tools/rationalTanh/fit.py M N C    e.g. 6 3 9.1 (P of degree M, Q of degree N in x²)
# A linear program for a first fit, then differential-correction steps (Cheney–Loeb), each LP solved
# for a scaled correction around the current coefficients so HiGHS's ~1e-7 tolerances do not floor
# the error. Prints the float64 error on the grid and the coefficients (in x², unscaled).
import numpy as np, sys
from scipy.optimize import linprog
m, n, C = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
N = 6000
u = np.cos(np.linspace(np.pi, 0, N)) * 0.5 + 0.5
xs = np.unique(np.concatenate([u * C, np.linspace(1e-4, C, N)])); xs = xs[xs > 0]
S = C * C; zs = xs * xs / S; y = np.tanh(xs)
Pb = np.vstack([xs * zs**k for k in range(m + 1)]).T / y[:, None]
Qb = np.vstack([zs**k for k in range(n + 1)]).T
nv = m + 1 + n + 1
opts = {'primal_feasibility_tolerance': 1e-10, 'dual_feasibility_tolerance': 1e-10}
def err(p, q): return np.max(np.abs((Pb @ p) / (Qb @ q) - 1))
cost = np.zeros(nv + 1); cost[-1] = 1
A = np.vstack([np.hstack([Pb, -Qb, -np.ones((len(xs), 1))]), np.hstack([-Pb, Qb, -np.ones((len(xs), 1))])])
res = linprog(cost, A_ub=A, b_ub=np.zeros(2 * len(xs)), bounds=[(None, None)] * (m + 1) + [(1, 1)] + [(None, None)] * n + [(0, None)], method='highs', options=opts)
p, q = res.x[:m + 1], res.x[m + 1:nv]
delta = err(p, q); print('start', delta)
for it in range(60):
    sig = delta
    Qk = Qb @ q
    r0 = Pb @ p - Qb @ q
    Q0 = Qb @ q
    # variables dp, dq (dq0 = 0), tau; p' = p + sig dp, q' = q + sig dq
    #  (r0 + sig(Pb dp - Qb dq)) - delta (Q0 + sig Qb dq) <= tau sig Qk   and the negated residual
    # divide by sig:
    b1 = -(r0 - delta * Q0) / sig
    A1 = np.hstack([Pb, -Qb * (1 + delta), -Qk[:, None]])
    b2 = -(-r0 - delta * Q0) / sig
    A2 = np.hstack([-Pb, Qb * (1 - delta), -Qk[:, None]])
    bounds = [(None, None)] * (m + 1) + [(0, 0)] + [(None, None)] * n + [(None, None)]
    res = linprog(cost, A_ub=np.vstack([A1, A2]), b_ub=np.concatenate([b1, b2]), bounds=bounds, method='highs', options=opts)
    if not res.success: print(it, res.message); break
    p2 = p + sig * res.x[:m + 1]; q2 = q + sig * res.x[m + 1:nv]
    if np.min(Qb @ q2) <= 0: print('Q not positive'); break
    d2 = err(p2, q2)
    if d2 >= delta * (1 - 1e-4): break
    p, q, delta = p2, q2, d2
print('max rel err (f64 grid)', delta, 'iters', it)
p = p / S**np.arange(m + 1); q = q / S**np.arange(n + 1)
print('p', repr([float(v) for v in p])); print('q', repr([float(v) for v in q]))
np.save(f'coef_{m}_{n}_{C}.npy', np.concatenate([p, q]))
