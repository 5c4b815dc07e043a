#!/usr/bin/python3
"""statsmodels' own baselines for tools/forecastCompare.ts, on the same protocol: the series'
last 20% of rows is the test part (start = rows - round(0.2 * rows)); every origin e whose
`horizon` targets lie in it (and e >= lookback - 1); each model fitted once on the rows before
the test part, then run with fixed parameters through y[:e + 1] and `horizon` steps forecast.
  Holt-Winters: ExponentialSmoothing(initialization_method='estimated'), the variant (trend
    none/add/damped x season none/add/mul) with the lowest AICc.
  ETS: ETSModel (error add/mul x the same), lowest AICc.
  SARIMAX: the airline model (1,1,1)(0,1,1,m), or (1,1,1) without a season (rnnkit's defaultSarimaSpec).
Usage: /usr/bin/python3 tools/statsmodels_baselines.py FILE.csv COLUMN LOOKBACK HORIZON [SEASON]
Prints one JSON object: {name: {model, mae}} per baseline.
"""
import json
import sys
import warnings

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

from statsmodels_data import column, test_start

path, name, lookback, horizon = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
m = int(sys.argv[5]) if len(sys.argv) > 5 else None
y = column(path, name)
rows = len(y)
start = test_start(rows)
train = y[:start]
origins = [e for e in range(lookback - 1, rows - horizon) if e + 1 >= start]
actual = np.concatenate([y[e + 1:e + 1 + horizon] for e in origins])
warnings.simplefilter('ignore')
variants = [(t, d, s) for t, d in ((None, False), ('add', False), ('add', True)) for s in ((None, 'add', 'mul') if m else (None,))]
positive = bool(np.all(y > 0))
out = {}

# Holt-Winters (forecasts corrected for statsmodels issue #9538 as tools/statsmodels_fixture.py does).
best = None
for t, d, s in variants:
    if s == 'mul' and not positive:
        continue
    res = ExponentialSmoothing(train, trend=t, damped_trend=d, seasonal=s, seasonal_periods=m if s else None,
                               initialization_method='estimated').fit()
    if best is None or res.aicc < best[0].aicc:
        best = (res, t, d, s)
res, t, d, s = best
p = res.params


def hw_forecast(r, h):
    f = np.array(r.forecast(h), dtype=float)
    if s:
        old, new = r.season[-m - 1], r.season[-1]
        for j in range(m - 1, h, m):
            f[j] = f[j] - old + new if s == 'add' else f[j] / old * new
    return f


pred = []
for e in origins:
    r = ExponentialSmoothing(y[:e + 1], trend=t, damped_trend=d, seasonal=s, seasonal_periods=m if s else None,
                             initialization_method='known', initial_level=p['initial_level'],
                             initial_trend=p['initial_trend'] if t else None,
                             initial_seasonal=p['initial_seasons'] if s else None).fit(
        smoothing_level=p['smoothing_level'], smoothing_trend=p['smoothing_trend'] if t else None,
        smoothing_seasonal=p['smoothing_seasonal'] if s else None, damping_trend=p['damping_trend'] if d else None,
        optimized=False)
    pred.append(hw_forecast(r, horizon))
out['Holt-Winters'] = {'model': f"{'N' if t is None else 'Ad' if d else 'A'},{'N' if s is None else ('A' if s == 'add' else 'M') + str(m)}",
                       'mae': float(np.mean(np.abs(np.concatenate(pred) - actual)))}

# ETS
best = None
for err in ('add', 'mul') if positive else ('add',):
    for t, d, s in variants:
        if s == 'mul' and not positive:
            continue
        res = ETSModel(train, error=err, trend=t, damped_trend=d, seasonal=s, seasonal_periods=m if s else None).fit(disp=False)
        if best is None or res.aicc < best[0].aicc:
            best = (res, err, t, d, s)
res, err, t, d, s = best
params = [res.smoothing_level] + ([res.smoothing_trend] if t else []) + ([res.smoothing_seasonal] if s else []) + ([res.damping_trend] if d else [])
pred = []
for e in origins:
    mod = ETSModel(y[:e + 1], error=err, trend=t, damped_trend=d, seasonal=s, seasonal_periods=m if s else None,
                   initialization_method='known', initial_level=res.initial_level,
                   initial_trend=res.initial_trend if t else None, initial_seasonal=res.initial_seasonal if s else None)
    pred.append(np.asarray(mod.smooth(np.array(params)).forecast(horizon), dtype=float))
out['ETS'] = {'model': res.model.short_name, 'mae': float(np.mean(np.abs(np.concatenate(pred) - actual)))}

# SARIMAX: the airline order rnnkit's defaultSarimaSpec uses, (1,1,1)(0,1,1,m), or (1,1,1).
order, sorder = (1, 1, 1), ((0, 1, 1, m) if m else None)
r = SARIMAX(train, order=order, seasonal_order=sorder if sorder else (0, 0, 0, 0)).fit(disp=False)
full = r.apply(y)
pred = [np.asarray(full.predict(start=e + 1, end=e + horizon, dynamic=True), dtype=float) for e in origins]
out['SARIMAX'] = {'model': f'{order}' + (f'x{sorder}' if sorder else ''), 'mae': float(np.mean(np.abs(np.concatenate(pred) - actual)))}
out['origins'] = len(origins)
print(json.dumps(out))
