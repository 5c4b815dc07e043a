/** Training helpers the task commands share. */
import type { Callback, Logs } from '../index.js';

export interface BestFit<H> {
  history: H;
  /** The best monitored loss, and the epoch (1-based) that reached it. */
  best: number;
  bestEpoch: number;
  /** 'val_loss' when the fit validated, else 'loss'. */
  monitor: string;
}

/**
 * Run `fit` with one more callback that calls `save` whenever the monitored loss (val_loss,
 * else loss) improves, so the best epoch's model is what stays on disk.
 */
export async function fitKeepingBest<H>(save: () => Promise<void>, fit: (keepBest: Callback) => Promise<H>): Promise<BestFit<H>> {
  let best = Infinity;
  let bestEpoch = 0;
  let monitor = 'loss';
  const keepBest: Callback = {
    onEpochEnd: async (epoch: number, logs: Logs) => {
      monitor = logs.val_loss !== undefined ? 'val_loss' : 'loss';
      const value = logs[monitor]!;
      if (value < best) {
        best = value;
        bestEpoch = epoch + 1;
        await save();
      }
    },
  };
  const history = await fit(keepBest);
  return { history, best, bestEpoch, monitor };
}
