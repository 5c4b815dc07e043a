"""Shared by the statsmodels fixture tools (ets_fixture.py, sarima_fixture.py,
statsmodels_fixture.py) and statsmodels_baselines.py: reading a CSV column, the test split
Forecaster.evaluate uses (the last 20% of the rows), and writing a fixture (a temporary name,
then renamed). test/helpers/classical.ts reads the same vega-datasets files."""
import csv
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def column(path, name):
    """One CSV column (header row first) as float64."""
    with open(path) as f:
        return np.array([float(r[name]) for r in csv.DictReader(f)])


def vega(file, name):
    """A column of a vega-datasets CSV (node_modules/vega-datasets/data)."""
    return column(os.path.join(ROOT, 'node_modules/vega-datasets/data', file), name)


def test_start(rows, test=0.2):
    """The first row of the test part, as Forecaster.evaluate: rows - round(rows * test)."""
    return rows - round(rows * test)


def co2():
    """Monthly CO2 (ppm): the series, its row count, the test part's first row, the rows before it."""
    y = vega('co2-concentration.csv', 'CO2')
    start = test_start(len(y))
    return y, len(y), start, y[:start]


def write_fixture(name, out):
    """Write test/fixtures/NAME as indented JSON through a temporary file; returns the path."""
    path = os.path.join(ROOT, 'test/fixtures', name)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    os.replace(tmp, path)
    return path
