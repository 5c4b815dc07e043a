/**
 * Entry module of a fit worker thread (Node worker_threads or a module Web Worker):
 * see replica.ts. An exception escaping here reaches the main thread as the worker's
 * 'error' event, which fails fit with the message.
 */
import { runWorker } from './replica.js';

await runWorker();
