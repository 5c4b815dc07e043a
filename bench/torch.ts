/**
 * PyTorch as a contestant: finds a python3 that imports torch, writes the workloads (spec,
 * data, rnnkit's initial weights with their names) into a temporary directory, and runs bench/torch_bench.py
 * once per thread count as a child process — after the JavaScript contestants, never beside
 * them. Nothing here is needed when PyTorch is missing: its rows then say 'not installed'.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WeightValue } from './frameworks.js';
import type { Dataset, Mode, ModelSpec } from './workloads.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_bench.py');

export type TorchFound = { python: string; version: string } | { missing: string };

/** `python3` from PATH first, then Debian's /usr/bin/python3 (where python3-torch installs). */
export function findTorch(): TorchFound {
  const tried: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    tried.push(`${python}: ${r.error !== undefined ? r.error.message : (r.stderr.trim().split('\n').pop() || `exit ${r.status}`)}`);
  }
  return { missing: tried.join('; ') };
}

export interface TorchJob {
  name: string;
  mode: Mode;
  model: ModelSpec;
  data: Dataset;
  weights: readonly WeightValue[];
  /** Sampling workloads: streams generated at once (rows of one batch). Default 1. */
  sampleRows?: number;
}

/** The measuring plan shared with the JavaScript side (bench/run.ts). */
export interface TorchPlan {
  epochs: number;
  minBatches: number;
  checkSeqs: number;
  slowBatchSeconds: number;
  batchBudgetSeconds: number;
  predictBudgetSeconds: number;
  sampleBudgetSeconds: number;
  sampleWarmup: number;
  sampleMin: number;
  sampleMax: number;
  sampleSeed: number;
  maxRuns: number;
  probeIds: readonly number[];
}

/** What torch_bench.py reports per workload (the same fields as a JS measurement). */
export interface TorchResult {
  checkLosses?: number[];
  checkOutputs?: number[];
  times?: number[];
  loss?: number;
  perRun?: number;
  note?: string;
  error?: string;
}

export interface TorchRun {
  version: string;
  threads: number;
  python: string;
  results: Record<string, TorchResult>;
}

/** Writes the jobs once; `run(threads)` may then be called for each thread count. */
export class TorchBench {
  private readonly dir: string;
  private readonly manifest: { plan: TorchPlan; workloads: unknown[] };

  constructor(
    private readonly python: string,
    jobs: readonly TorchJob[],
    plan: TorchPlan,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-torch-'));
    const files = new Map<Float32Array, string>();
    let k = 0;
    const put = (data: Float32Array, shape: readonly number[]): { file: string; shape: readonly number[] } => {
      let file = files.get(data);
      if (file === undefined) {
        file = `a${k++}.f32`;
        fs.writeFileSync(path.join(this.dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // little-endian float32
        files.set(data, file);
      }
      return { file, shape };
    };
    this.manifest = {
      plan,
      workloads: jobs.map((j) => {
        const d = j.data;
        const m = j.model;
        const emb = m.embeddingVocab !== undefined;
        const yw = m.returnSequences === true ? d.T : 1;
        return {
          name: j.name,
          mode: j.mode,
          model: m,
          seed: m.weightSeed,
          sampleRows: j.sampleRows ?? 1,
          x: put(d.x, emb ? [d.n, d.T] : [d.n, d.T, d.I]),
          // An encoder–decoder: the decoder input, and one-hot targets per decoder step.
          ...(m.decoder === undefined ? { y: put(d.y, [d.n, yw]) } : { decoderX: put(d.decoderX!, [d.n, m.decoder.T, m.decoder.I]), y: put(d.y, [d.n, m.decoder.T, m.classes!]) }),
          weights: j.weights.map((w) => ({ ...put(w.data, w.shape), name: w.name })),
        };
      }),
    };
  }

  /** Runs torch_bench.py with `threads` threads (torch.set_num_threads and the BLAS/OpenMP variables). */
  run(threads: number): TorchRun {
    return runTorchScript(this.python, SCRIPT, this.dir, { threads, ...this.manifest }, threads) as TorchRun;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes `manifest` as manifest-<threads>.json into `dir` (beside the raw arrays it names) and
 * runs `python script manifest.json` with `threads` threads (the BLAS/OpenMP variables; the
 * script calls torch.set_num_threads); returns the one JSON object the script prints.
 * Shared by torch_bench.py and torch_decode.py (the seq2seq-decode workload).
 */
export function runTorchScript(python: string, script: string, dir: string, manifest: object, threads: number): unknown {
  const file = path.join(dir, `manifest-${threads}.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  const n = String(threads);
  const r = spawnSync(python, [script, file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 20 * 60_000,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n },
  });
  if (r.status !== 0) throw new Error(`${python} ${path.basename(script)} (${threads} threads) failed: ${r.error?.message ?? `exit ${r.status}`}`);
  return JSON.parse(r.stdout) as unknown;
}
