/**
 * SVG plots: well-formed XML (checked by a small tag-balance parser, no dependency), the
 * expected series with their point counts, tick and axis labels, a legend; file output.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History, forecastSvg, historySvg, lineChart, niceTicks, plotHistory } from '../src/index.js';

/** Throws unless every tag is closed in order and attributes are quoted; returns the element names. */
function checkXml(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const body = svg.replace(/^<\?xml[^>]*>\s*/, '');
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    if (m[2] === undefined) throw new Error(`stray ${JSON.stringify(m[0])} at ${m.index}: ${body.slice(m.index - 20, m.index + 20)}`);
    if (m[1] === '/') {
      const open = stack.pop();
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}>`);
    } else {
      names.push(m[2]);
      if (m[4] !== '/') stack.push(m[2]);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  return names;
}

const series = (svg: string): Record<string, number> =>
  Object.fromEntries([...svg.matchAll(/<polyline class="series" data-name="([^"]*)" data-points="(\d+)"[^>]* points="([^"]*)"/g)].map((m) => {
    assert.equal(m[3]!.split(' ').length, Number(m[2]), `points of ${m[1]}`);
    return [m[1]!, Number(m[2])];
  }));

function history(): History {
  const h = new History();
  [0.9, 0.7, 0.6].forEach((loss, e) => h.onEpochEnd(e, { loss, mae: loss / 2, val_loss: loss + 0.1, val_mae: loss / 2 + 0.05 }));
  return h;
}

describe('SVG plots', () => {
  it('nice ticks', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 97, 5), [20, 40, 60, 80]);
  });

  it('tick labels fit the margin: billions and millionths as mantissa × 10^k, where that is shorter', () => {
    const yTicks = (lo: number, hi: number): string[] => [...lineChart([{ name: 'a', x: [0, 1], y: [lo, hi] }]).matchAll(/class="ytick"[^>]*>([^<]*)</g)].map((m) => m[1]!);
    // Argentina's CPI in the AER package: 2000000000 overran the 70-pixel margin.
    assert.deepEqual(yTicks(0, 6e9), ['0', '2e9', '4e9', '6e9']);
    assert.deepEqual(yTicks(1.2e9, 1.9e9), ['1.2e9', '1.4e9', '1.6e9', '1.8e9']);
    assert.deepEqual(yTicks(0, 1e-6), ['0', '2e-7', '4e-7', '6e-7', '8e-7', '1e-6']);
    assert.deepEqual(yTicks(-3e7, 3e7), ['-2e7', '0', '2e7']);
    // As before where fixed-point is short, or shorter than the exponent form.
    assert.deepEqual(yTicks(100, 5000), ['0', '1000', '2000', '3000', '4000', '5000']);
    assert.deepEqual(yTicks(0.001, 0.009), ['0.002', '0.004', '0.006', '0.008']);
    assert.deepEqual(yTicks(12345678, 12345690), ['12345680', '12345685', '12345690']);
  });

  it('plotHistory: every log as a series, epochs on x, labels and legend; written to a file', async () => {
    const svg = historySvg(history());
    assert.ok(checkXml(svg).includes('polyline'));
    assert.deepEqual(series(svg), { loss: 3, val_loss: 3, mae: 3, val_mae: 3 });
    assert.match(svg, /<text class="xlabel"[^>]*>epoch<\/text>/);
    assert.match(svg, /<text class="title"[^>]*>Training history<\/text>/);
    for (const e of [1, 2, 3]) assert.match(svg, new RegExp(`<text class="xtick"[^>]*>${e}(\\.0)?</text>`));
    assert.match(svg, /class="legend"[\s\S]*>val_loss<\/text>/);
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-plot-'));
    try {
      const file = join(dir, 'h.svg');
      const returned = await plotHistory(history(), file);
      assert.equal(await readFile(file, 'utf8'), returned);
      await assert.rejects(plotHistory(history(), join(dir, 'no', 'such', 'dir.svg')), /plot: cannot write/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('forecast plot: history, actual and forecast with their point counts, dates on x, escaped labels', () => {
    const t = (i: number): number => Date.UTC(2000, i, 1);
    const svg = forecastSvg({
      historyX: Array.from({ length: 48 }, (_, i) => t(i)),
      historyY: Array.from({ length: 48 }, (_, i) => i),
      actualX: Array.from({ length: 12 }, (_, i) => t(48 + i)),
      actualY: Array.from({ length: 12 }, (_, i) => 48 + i),
      forecastX: Array.from({ length: 12 }, (_, i) => t(48 + i)),
      forecastY: Array.from({ length: 12 }, (_, i) => 47 + i),
      yLabel: 'CO2 <ppm> & "more"',
      xFormat: 'date',
    });
    checkXml(svg);
    assert.deepEqual(series(svg), { history: 48, actual: 12, forecast: 12 });
    assert.match(svg, /<text class="ylabel"[^>]*>CO2 &lt;ppm&gt; &amp; &quot;more&quot;<\/text>/);
    assert.match(svg, /<text class="xtick"[^>]*>2002<\/text>/);
    assert.match(svg, /stroke-dasharray/); // the forecast is dashed
  });

  it('forecast plot: baselines drawn beside the forecast, named in the legend; bad ones refused by name', () => {
    const x = [0, 1, 2, 3];
    const base = { historyX: x, historyY: x, forecastX: [4, 5], forecastY: [4, 5] };
    const svg = forecastSvg({ ...base, baselines: [{ name: 'Holt-Winters (A,N)', x: [4, 5], y: [4.5, 5.5] }] });
    checkXml(svg);
    assert.deepEqual(series(svg), { history: 4, forecast: 2, 'Holt-Winters (A,N)': 2 });
    assert.match(svg, /class="legend"[\s\S]*>Holt-Winters \(A,N\)<\/text>/);
    assert.throws(() => forecastSvg({ ...base, baselines: [{ name: 'hw', x: [4, 5], y: [1] }] }), /plotForecast: baselines\[0\] 'hw': 2 x values but 1 y values/);
    assert.throws(() => forecastSvg({ ...base, baselines: [{ name: 'hw', x: [4], y: [1], colour: 'red' } as never] }), /plotForecast: baselines\[0\]: unknown option 'colour'; supported options: name, x, y/);
    assert.throws(() => forecastSvg({ ...base, baselines: { name: 'hw' } as never }), /plotForecast: baselines must be an array/);
  });
});
