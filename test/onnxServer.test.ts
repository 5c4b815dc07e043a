/**
 * examples/onnx-server.ts for real: a model exported with exportOnnx, the server started in
 * a child process on a free port, batches POSTed as JSON; its answers are rnnkit's predict
 * (within 1e-5, what test/onnxExport.test.ts asserts for ONNX Runtime), and malformed
 * requests get a 400 naming the problem.
 */
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx, layers, sequential, tensor, type Sequential } from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { randomizeWeights, removeTempDirs, tempDir } from './helpers/saving.js';

const SERVER = fileURLToPath(new URL('../examples/onnx-server.ts', import.meta.url));
const T = 7;

let child: ChildProcess;
let url = '';
let model: Sequential;

before(async () => {
  model = sequential({
    layers: [
      layers.embedding({ inputDim: 50, outputDim: 8, maskZero: true, inputShape: [null] }),
      layers.lstm({ units: 6 }),
      layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
    ],
  });
  randomizeWeights(model, 21);
  const file = join(await tempDir('onnx-server'), 'model.onnx');
  await exportOnnx(model, file);
  child = spawn(process.execPath, ['--import', 'tsx', SERVER, file, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${err}`)));
  });
});

after(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await removeTempDirs();
});

async function post(body: string): Promise<{ status: number; json: Record<string, { dims: number[]; data: number[] }> & { error?: string } }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as never };
}

describe('examples/onnx-server.ts', () => {
  it('answers a POSTed batch with rnnkit\'s predictions (right-padded rows of several lengths)', async () => {
    const rng = new Rng(4);
    for (const B of [1, 5]) {
      const ids = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (t < T - (b % 4) ? 1 + rng.int(49) : 0)));
      const { status, json } = await post(JSON.stringify({ inputs: ids }));
      assert.equal(status, 200, JSON.stringify(json));
      assert.deepEqual(Object.keys(json), ['probs']);
      assert.deepEqual(json['probs']!.dims, [B, 3]);
      const ours = model.predict(tensor(Float32Array.from(ids.flat()), [B, T])).data;
      let d = 0;
      json['probs']!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - ours[i]!))));
      assert.ok(d < 1e-5, `server vs predict max|Δ| ${d}`);
    }
  });

  it('refuses malformed requests with a 400 that says why', async () => {
    assert.match((await post('not json')).json.error!, /JSON/);
    assert.match((await post('{"inputs": [[1, 2], [3]]}')).json.error!, /rectangular batch of finite numbers/);
    assert.match((await post('{"inputs": [1, 2]}')).json.error!, /rectangular batch/);
    assert.match((await post('{"inputs": [[1, null]]}')).json.error!, /finite numbers/);
    const get = await fetch(url);
    assert.equal(get.status, 400);
    assert.match(((await get.json()) as { error: string }).error, /POST a JSON body/);
  });
});
