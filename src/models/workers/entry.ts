/**
 * Entry module of an rnnkit worker thread (Node worker_threads or a module Web Worker):
 * a persistent pool worker (poolWorker.ts; Node, started with pool workerData) or a
 * per-fit worker (replica.ts). An exception escaping here reaches the main thread as the
 * worker's 'error' event, which fails fit (or marks the pool broken) with the message.
 */
import { poolWorkerData, runPoolWorker } from './poolWorker.js';
import { runWorker } from './replica.js';

const pool = await poolWorkerData();
if (pool !== null) runPoolWorker(pool.wt, pool.data);
else await runWorker();
