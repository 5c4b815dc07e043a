/**
 * Small multiples of forecast plots (plotForecastPanels / forecastPanelsSvg): one nested <svg>
 * per series laid out by columns, each exactly the chart forecastSvg draws at the panel size;
 * refusals.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { forecastPanelsSvg, forecastSvg, type ForecastPlotData } from '../src/index.js';

const panel = (title: string, k: number): ForecastPlotData => ({
  historyX: [0, 1, 2, 3],
  historyY: [1, 2, 3, 4].map((v) => v * k),
  actualX: [4, 5],
  actualY: [5 * k, 6 * k],
  forecastX: [4, 5],
  forecastY: [5.5 * k, 6.5 * k],
  title,
});

describe('forecastPanelsSvg', () => {
  it('lays one panel per series out by columns, each the chart forecastSvg draws at the panel size', () => {
    const ps = ['a', 'b', 'c', 'd', 'e'].map((t, i) => panel(t, i + 1));
    const svg = forecastPanelsSvg(ps, { columns: 2, title: 'five', panelWidth: 400, panelHeight: 250 });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="786" /);
    const found = [...svg.matchAll(/<svg class="panel" data-name="([^"]+)" x="(\d+)" y="(\d+)" width="400" height="250"/g)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    assert.deepEqual(found, [['a', 0, 36], ['b', 400, 36], ['c', 0, 286], ['d', 400, 286], ['e', 0, 536]]);
    // Each panel's body is forecastSvg's, byte for byte.
    for (const p of ps) {
      const own = forecastSvg(p, { width: 400, height: 250 }).trimEnd();
      assert.ok(svg.includes(own.slice(own.indexOf('>') + 1)), `panel ${p.title} body`);
    }
    assert.equal((svg.match(/<\/svg>/g) ?? []).length, 6);
    // Default: up to three to a row.
    assert.match(forecastPanelsSvg(ps.slice(0, 2)), /width="960" height="300"/);
  });

  it('a date axis of 3–4 years has each year once (half-year steps were drawn as the year twice)', () => {
    const t0 = Date.UTC(2002, 0, 1);
    const d: ForecastPlotData = { historyX: [t0, Date.UTC(2005, 5, 1)], historyY: [1, 2], forecastX: [Date.UTC(2005, 5, 1)], forecastY: [2], xFormat: 'date' };
    const ticks = [...forecastSvg(d).matchAll(/<text class="xtick"[^>]*>([^<]+)</g)].map((m) => m[1]);
    assert.deepEqual(ticks, ['2002', '2003', '2004', '2005']);
  });

  it('refuses no panels, bad sizes and unknown options, naming them', () => {
    assert.throws(() => forecastPanelsSvg([]), /plotForecastPanels: panels must be a non-empty array/);
    assert.throws(() => forecastPanelsSvg([panel('a', 1)], { columns: 0 }), /columns must be an integer ≥ 1, got 0/);
    assert.throws(() => forecastPanelsSvg([panel('a', 1)], { panelWidth: 10 }), /panelWidth must be an integer ≥ 100, got 10/);
    assert.throws(() => forecastPanelsSvg([panel('a', 1)], { rows: 2 } as never), /unknown option 'rows'/);
  });
});
