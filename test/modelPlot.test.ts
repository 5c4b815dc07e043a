/**
 * plotModel: one box per layer, one arrow per connection (a shared layer's calls
 * merged), edges running from rank to rank, no two boxes overlapping, the Keras
 * options, and the file written.
 */
import { after, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Sequential, input, layers, model, modelSvg, plotModel, type Model, type SymbolicTensor } from '../src/index.js';
import { removeTempDirs, tempDir } from './helpers/saving.js';

after(removeTempDirs);

function seq2seqWithAttention(): Model {
  const encIn = input({ shape: [null, 7], name: 'enc_in' });
  const [encSeq, h, c] = layers.lstm({ units: 8, returnSequences: true, returnState: true, name: 'encoder' }).apply(encIn) as unknown as SymbolicTensor[];
  const decIn = input({ shape: [null, 5], name: 'dec_in' });
  const [seq] = layers.lstm({ units: 8, returnSequences: true, returnState: true, name: 'decoder' }).apply(decIn, { initialState: [h!, c!] }) as unknown as SymbolicTensor[];
  const att = layers.attention({ name: 'att' }).apply([seq!, encSeq!]);
  return model({ inputs: [encIn, decIn], outputs: layers.dense({ units: 5, activation: 'softmax', name: 'out' }).apply(layers.concatenate({ name: 'cat' }).apply([seq!, att])) });
}

interface Box { name: string; x: number; y: number; w: number; h: number }

function boxes(svg: string): Box[] {
  return [...svg.matchAll(/<g class="layer" data-name="([^"]+)"[^>]*>\n<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => ({ name: m[1]!, x: +m[2]!, y: +m[3]!, w: +m[4]!, h: +m[5]! }));
}

function edges(svg: string): { from: string; to: string; y0: number; y1: number }[] {
  return [...svg.matchAll(/<path class="edge" data-from="([^"]+)" data-to="([^"]+)" d="M [\d.]+ ([\d.]+) .* ([\d.]+)"/g)].map((m) => ({ from: m[1]!, to: m[2]!, y0: +m[3]!, y1: +m[4]! }));
}

describe('plotModel', () => {
  it('a box per layer, an arrow per connection, downward, no overlaps', () => {
    const m = seq2seqWithAttention();
    const svg = modelSvg(m, { showLayerNames: true });
    const b = boxes(svg);
    assert.deepEqual(b.map((x) => x.name).sort(), m.layers.map((l) => l.name).sort());
    const e = edges(svg);
    const expected = ['enc_in>encoder', 'dec_in>decoder', 'encoder>decoder', 'decoder>att', 'encoder>att', 'decoder>cat', 'att>cat', 'cat>out'];
    assert.deepEqual(e.map((x) => `${x.from}>${x.to}`).sort(), expected.sort(), 'the encoder feeds the decoder once (two state tensors, one arrow)');
    for (const x of e) assert.ok(x.y1 > x.y0, `${x.from} → ${x.to} runs down`);
    for (let i = 0; i < b.length; i++)
      for (let j = i + 1; j < b.length; j++) {
        const [p, q] = [b[i]!, b[j]!];
        const apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
        assert.ok(apart, `${p.name} and ${q.name} overlap`);
      }
    assert.match(svg, />decoder \(LSTM\)</);
  });

  it('options: shapes, activations, trainable, left to right; raster-only and unknown options refused by name', async () => {
    const m = seq2seqWithAttention();
    m.getLayer('encoder').trainable = false;
    const svg = modelSvg(m, { showShapes: true, showLayerActivations: true, showTrainable: true, rankdir: 'LR' });
    assert.match(svg, /Output shape: \(None, None, 8\), \(None, 8\), \(None, 8\)/);
    assert.match(svg, /activation: softmax/);
    assert.match(svg, /Trainable: N/);
    assert.match(svg, />LSTM</, 'class names only by default (Keras 3)');
    assert.throws(() => modelSvg(m, { dpi: 96 } as never), /option 'dpi' is not supported yet \(the plot is SVG/);
    assert.throws(() => modelSvg(m, { expandNested: true } as never), /option 'expandNested' is not supported yet/);
    assert.throws(() => modelSvg(m, { rankdir: 'BT' as never }), /rankdir must be 'TB' or 'LR'/);
    const dir = await tempDir('plot');
    const file = join(dir, 'model.svg');
    const s = await plotModel(new Sequential({ layers: [layers.lstm({ units: 3, inputShape: [4, 2] }), layers.dense({ units: 1 })] }), file);
    assert.equal(await readFile(file, 'utf8'), s);
    assert.equal(boxes(s).length, 3, 'a Sequential: its input, the LSTM, the Dense');
  });
});
