#!/usr/bin/python3
"""Fixture for test/ets.test.ts: statsmodels' ETSModel (statsmodels.tsa.exponential_smoothing.ets)
on the CO2 series the timeseries CLI documents (vega-datasets co2-concentration.csv, column CO2),
fitted on the rows before the test part (the last 20%, as Forecaster.evaluate: start = rows -
round(0.2 * rows)), initialization_method='estimated' (the default), seasonal_periods=12, every
variant rnnkit's selectEts chooses among (error add/mul x trend none/add/damped x season
none/add/mul: 18). Per variant: parameters, initial states, loglik, AIC, AICc, BIC, 24 forecasts.
Then, for the AICc-best variant, rolling origins as Forecaster.evaluate (lookback 24, horizon 12)
with the parameters and initial states fixed. A short series (12 rows, period 4: under
10 + 2*(4//2), so the 'simple' start) as well.
Writes test/fixtures/statsmodels-ets-co2.json.
Run: /usr/bin/python3 tools/ets_fixture.py   (Debian: apt-get install python3-statsmodels)
"""
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from statsmodels_data import co2, write_fixture

y, rows, start, train = co2()
m = 12


def fit(data, error, trend, damped, seasonal, period):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        mod = ETSModel(data, error=error, trend=trend, damped_trend=damped, seasonal=seasonal,
                       seasonal_periods=period if seasonal else None)
        res = mod.fit(disp=False)
    return mod, res


def record(mod, res, error, trend, damped, seasonal):
    return {
        'error': error, 'trend': trend, 'damped': damped, 'seasonal': seasonal,
        'name': mod.short_name,
        'alpha': float(res.smoothing_level),
        'beta': float(res.smoothing_trend) if trend else 0.0,
        'gamma': float(res.smoothing_seasonal) if seasonal else 0.0,
        'phi': float(res.damping_trend) if damped else 1.0,
        'initialLevel': float(res.initial_level),
        'initialTrend': float(res.initial_trend) if trend else 0.0,
        'initialSeason': [float(v) for v in res.initial_seasonal] if seasonal else [],
        'loglik': float(res.llf), 'aic': float(res.aic), 'aicc': float(res.aicc), 'bic': float(res.bic),
        'k': int(res.df_model), 'sigma2': float(res.scale),
        'converged': bool(res.mle_retvals['converged']) if res.mle_retvals else None,
        'forecast': [float(v) for v in res.forecast(24)],
    }


out = {'statsmodels': statsmodels.__version__, 'rows': rows, 'train': start, 'period': m, 'fits': []}
for error in ('add', 'mul'):
    for trend, damped in ((None, False), ('add', False), ('add', True)):
        for seasonal in (None, 'add', 'mul'):
            mod, res = fit(train, error, trend, damped, seasonal, m)
            out['fits'].append(record(mod, res, error, trend, damped, seasonal))
best = min(out['fits'], key=lambda r: r['aicc'])
out['best'] = {k: best[k] for k in ('error', 'trend', 'damped', 'seasonal')}
out['bestAic'] = {k: min(out['fits'], key=lambda r: r['aic'])[k] for k in ('error', 'trend', 'damped', 'seasonal')}

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
        mod = ETSModel(y[:e + 1], error=best['error'], trend=best['trend'], damped_trend=best['damped'],
                       seasonal=best['seasonal'], seasonal_periods=m if best['seasonal'] else None,
                       initialization_method='known', initial_level=best['initialLevel'],
                       initial_trend=best['initialTrend'] if best['trend'] else None,
                       initial_seasonal=np.array(best['initialSeason']) if best['seasonal'] else None)
        params = [best['alpha']] + ([best['beta']] if best['trend'] else []) + \
            ([best['gamma']] if best['seasonal'] else []) + ([best['phi']] if best['damped'] else [])
        res = mod.smooth(np.array(params))
    fc = np.asarray(res.forecast(horizon), dtype=float)
    if first is None:
        first = [float(v) for v in fc]
    err.extend(np.abs(fc - y[e + 1:e + 1 + horizon]))
out['rolling'] = {'lookback': lookback, 'horizon': horizon, 'origins': len(origins), 'firstOrigin': origins[0],
                  'firstForecast': first, 'mae': float(np.mean(err))}

# A short series: 12 rows with a season of 4 (fewer than 10 + 2*(4//2) = 14), where 'estimated'
# starts from the 'simple' states instead of the heuristic.
mod, res = fit(y[:12], 'add', 'add', False, 'add', 4)
out['short'] = {'rows': 12, 'period': 4, **record(mod, res, 'add', 'add', False, 'add')}

path = write_fixture('statsmodels-ets-co2.json', out)
for r in out['fits']:
    print(r['name'], 'loglik %.6f aicc %.4f converged %s' % (r['loglik'], r['aicc'], r['converged']))
print(path, 'best', out['best'], 'aicc', best['aicc'], 'rolling', out['rolling']['origins'], out['rolling']['mae'])
