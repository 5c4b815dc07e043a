/**
 * Serve a model exported by rnnkit (`exportOnnx(model, 'model.onnx')`, or `rnnkit export onnx
 * MODEL_DIR model.onnx`) with ONNX Runtime — no rnnkit at serving time:
 *
 *   node --import tsx examples/onnx-server.ts model.onnx 8080     (port 0: any free port)
 *   curl -d '{"inputs": [[5, 9, 2, 0, 0]]}' http://127.0.0.1:8080/
 *   → {"dense":{"dims":[1,3],"data":[0.31,0.42,0.27]}}
 *
 * `inputs` is a batch as `predict` takes it (token ids, or [steps, features] per row; ids
 * right-padded with 0 where the model masks). One ONNX Runtime thread per process: run one
 * process per core behind a load balancer to scale out.
 */
import { createServer } from 'node:http';
import * as ort from 'onnxruntime-node';

const [file = 'model.onnx', port = '8080'] = process.argv.slice(2);
const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const MAX_BODY = 16 << 20; // bytes: refuse larger requests before parsing them

const server = createServer(async (req, res) => {
  try {
    if (req.method !== 'POST') throw new Error('POST a JSON body {"inputs": [...]}');
    let body = '';
    for await (const chunk of req) if ((body += chunk).length > MAX_BODY) throw new Error(`body over ${MAX_BODY} bytes`);
    const rows: unknown = JSON.parse(body).inputs;
    const dims: number[] = [];
    for (let a = rows; Array.isArray(a); a = a[0]) dims.push(a.length);
    const flat: unknown[] = dims.length < 2 ? [] : (rows as unknown[]).flat(Infinity);
    if (flat.length === 0 || flat.length !== dims.reduce((a, b) => a * b, 1) || !flat.every(Number.isFinite)) throw new Error('inputs must be a rectangular batch of finite numbers');
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(flat as number[]), dims) });
    const json = Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { dims: t.dims, data: Array.from(t.data as Float32Array) }]));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
  } catch (e) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (e as Error).message }));
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log(`serving ${file} on http://127.0.0.1:${(server.address() as { port: number }).port}/`));
