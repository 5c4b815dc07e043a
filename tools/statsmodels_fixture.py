#!/usr/bin/python3
"""Fixture for test/holtWinters.test.ts: statsmodels' ExponentialSmoothing on the CO2 series the
timeseries CLI documents (vega-datasets co2-concentration.csv, column CO2), fitted on the rows
before the test part (the last 20%, as Forecaster.evaluate: start = rows - round(0.2 * rows)),
initialization_method='estimated' (statsmodels' default: heuristic starting states, then
level, trend and seasons optimised with the smoothing parameters), seasonal_periods=12, every
variant rnnkit selects among.
Writes test/fixtures/statsmodels-holtwinters-co2.json.
Run: /usr/bin/python3 tools/statsmodels_fixture.py   (Debian: apt-get install python3-statsmodels)
"""
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from statsmodels_data import co2, write_fixture

y, rows, start, train = co2()
m = 12



def forecast(res, seasonal, h):
    """res.forecast(h) with statsmodels issue #9538 corrected (fixed upstream by PR #10230, after
    the Debian 0.13.5 this runs): at h = m, 2m, … statsmodels used the season of the last row
    before its update (s[T-m]) instead of the updated one (s[T]), unlike Hyndman's formula
    y[T+h|T] = l[T] + φ_h·b[T] ⊕ s[T+h-m(k+1)] that rnnkit follows."""
    f = np.array(res.forecast(h), dtype=float)
    if seasonal:
        old, new = res.season[-m - 1], res.season[-1]
        for j in range(m - 1, h, m):
            f[j] = f[j] - old + new if seasonal == 'add' else f[j] / old * new
    return f


out = {'statsmodels': statsmodels.__version__, 'rows': rows, 'train': start, 'period': m, 'fits': []}
for trend, damped in ((None, False), ('add', False), ('add', True)):
    for seasonal in (None, 'add', 'mul'):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            mod = ExponentialSmoothing(train, trend=trend, damped_trend=damped, seasonal=seasonal,
                                       seasonal_periods=m if seasonal else None, initialization_method='estimated')
            res = mod.fit()
        p = res.params
        out['fits'].append({
            'trend': trend, 'damped': damped, 'seasonal': seasonal,
            'alpha': float(p['smoothing_level']),
            'beta': float(p['smoothing_trend']) if trend else None,
            'gamma': float(p['smoothing_seasonal']) if seasonal else None,
            'phi': float(p['damping_trend']) if damped else None,
            'initialLevel': float(p['initial_level']),
            'initialTrend': float(p['initial_trend']) if trend else None,
            'initialSeason': [float(v) for v in np.atleast_1d(p['initial_seasons'])] if seasonal else None,
            # The heuristic starting states (Hyndman et al. 2.6) the optimiser starts from.
            'heuristic': {'level': float(mod._initial_level), 'trend': float(mod._initial_trend) if trend else None,
                          'season': [float(v) for v in mod._initial_seasonal] if seasonal else None},
            'sse': float(res.sse), 'aic': float(res.aic), 'aicc': float(res.aicc),
            'forecast': [float(v) for v in forecast(res, seasonal, 24)],
            'forecastUncorrected': [float(v) for v in res.forecast(24)],
        })
# A short series: 12 rows with a season of 4 (fewer than 10 + 2*(4//2) = 14), where
# 'estimated' starts from the 'simple' states instead of the heuristic.
short = y[:12]
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    mod = ExponentialSmoothing(short, trend='add', seasonal='add', seasonal_periods=4, initialization_method='estimated')
    res = mod.fit()
out['short'] = {'rows': 12, 'period': 4, 'trend': 'add', 'seasonal': 'add',
                'start': {'level': float(mod._initial_level), 'trend': float(mod._initial_trend),
                          'season': [float(v) for v in mod._initial_seasonal]},
                'sse': float(res.sse)}
best = min(out['fits'], key=lambda r: r['aicc'])
out['best'] = {k: best[k] for k in ('trend', 'damped', 'seasonal')}
# Rolling origins as Forecaster.evaluate with lookback 24, horizon 12 (windowOrigins: the last
# input row e of every window whose 12 targets lie in the test part): the best model's
# parameters and initial states fixed, smoothed through y[:e + 1], 12 steps forecast.
lookback, horizon = 24, 12
origins = [e for e in range(lookback - 1, rows - horizon) if e + 1 >= start]
err = []
first = None
for e in origins:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        mod = ExponentialSmoothing(y[:e + 1], trend=best['trend'], damped_trend=best['damped'], seasonal=best['seasonal'],
                                   seasonal_periods=m if best['seasonal'] else None, initialization_method='known',
                                   initial_level=best['initialLevel'], initial_trend=best['initialTrend'],
                                   initial_seasonal=best['initialSeason'])
        res = mod.fit(smoothing_level=best['alpha'], smoothing_trend=best['beta'], smoothing_seasonal=best['gamma'],
                      damping_trend=best['phi'], optimized=False)
    fc = forecast(res, best['seasonal'], horizon)
    if first is None:
        first = [float(v) for v in fc]
    err.extend(np.abs(fc - y[e + 1:e + 1 + horizon]))
out['rolling'] = {'lookback': lookback, 'horizon': horizon, 'origins': len(origins), 'firstOrigin': origins[0],
                  'firstForecast': first, 'mae': float(np.mean(err))}
path = write_fixture('statsmodels-holtwinters-co2.json', out)
print(path, 'best', out['best'], 'sse', best['sse'], 'aicc', best['aicc'], 'rolling', out['rolling']['origins'], out['rolling']['mae'])
