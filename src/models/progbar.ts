/**
 * Keras's progress output, installed by fit() when verbose > 0:
 *   Epoch 1/10
 *   32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.5120 - loss: 0.6931
 * verbose 1 redraws the bar in place on a TTY and prints one line per epoch
 * elsewhere; verbose 2 prints `32/32 - 0s - 2ms/step - …` once per epoch.
 * The sink is a function so the library itself never touches a console.
 */
import type { Callback, FitParams, Logs } from './callback.js';

export interface ProgressSink {
  /** Write text with no newline added. */
  write(text: string): void;
  /** True when the output can be redrawn in place. */
  readonly interactive: boolean;
}

interface StdoutLike {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** stdout in Node, console.log elsewhere (each line buffered until its newline). */
export function defaultSink(): ProgressSink {
  const stdout = (globalThis as { process?: { stdout?: StdoutLike } }).process?.stdout;
  if (stdout !== undefined) return { write: (s) => void stdout.write(s), interactive: stdout.isTTY === true };
  let pending = '';
  return {
    interactive: false,
    write: (s) => {
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) console.log(line);
    },
  };
}

/** Keras formats a metric value as %.4f, or %.4e when |v| ≤ 1e-3. */
export function formatValue(v: number): string {
  // Python's spellings, as Keras prints them
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Math.abs(v) > 1e-3) return v.toFixed(4);
  const [mant, exp] = v.toExponential(4).split('e');
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

export function formatLogs(logs: Logs): string {
  return Object.keys(logs)
    .sort()
    .map((k) => ` - ${k}: ${formatValue(logs[k]!)}`)
    .join('');
}

function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function formatPerStep(seconds: number): string {
  if (seconds >= 1) return ` ${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return ` ${Math.round(seconds * 1e3)}ms/step`;
  return ` ${Math.round(seconds * 1e6)}us/step`;
}

const BAR_WIDTH = 20;
const GREEN = '\x1b[32m';
const GREY = '\x1b[37m';
const RESET = '\x1b[0m';
const REDRAW_INTERVAL_MS = 50;

export class ProgbarLogger implements Callback {
  private params!: FitParams;
  private epochStart = 0;
  private firstStepEnd = 0;
  private lastDraw = 0;
  private lastLineLength = 0;

  constructor(
    private readonly verbose: 1 | 2,
    private readonly sink: ProgressSink = defaultSink(),
    private readonly now: () => number = () => performance.now(),
  ) {}

  setParams(params: FitParams): void {
    this.params = params;
  }

  onEpochBegin(epoch: number): void {
    if (this.params.epochs - this.params.initialEpoch > 1 || this.params.epochs > 1) this.sink.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
    this.epochStart = this.now();
    this.lastDraw = 0;
    this.lastLineLength = 0;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (batch === 0) this.firstStepEnd = this.now();
    if (this.verbose !== 1 || !this.sink.interactive) return;
    const t = this.now();
    if (batch + 1 < this.params.steps && t - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = t;
    this.draw(batch + 1, logs, false);
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    if (this.verbose === 2) {
      const { elapsed, perStep } = this.timing(this.params.steps);
      this.sink.write(`${this.params.steps}/${this.params.steps} - ${formatDuration(elapsed)} -${formatPerStep(perStep)}${formatLogs(logs)}\n`);
      return;
    }
    this.draw(this.params.steps, logs, true);
    this.sink.write('\n');
  }

  private timing(current: number): { elapsed: number; perStep: number } {
    const t = this.now();
    const elapsed = (t - this.epochStart) / 1000;
    // Keras leaves the first step (compilation, warm-up) out of the per-step time.
    const perStep = current > 1 ? (t - this.firstStepEnd) / 1000 / (current - 1) : elapsed / Math.max(1, current);
    return { elapsed, perStep };
  }

  private draw(current: number, logs: Logs, final: boolean): void {
    const target = this.params.steps;
    const digits = String(target).length;
    const done = Math.floor((BAR_WIDTH * current) / target);
    const color = this.sink.interactive;
    const bar = color
      ? `${GREEN}${'━'.repeat(done)}${RESET}${GREY}${'━'.repeat(BAR_WIDTH - done)}${RESET}`
      : '━'.repeat(done) + ' '.repeat(BAR_WIDTH - done);
    const { elapsed, perStep } = this.timing(current);
    const time = final ? formatDuration(elapsed) : formatDuration(perStep * (target - current));
    const line = `${String(current).padStart(digits)}/${target} ${bar} ${time}${formatPerStep(perStep)}${formatLogs(logs)}`;
    if (this.sink.interactive) {
      const pad = Math.max(0, this.lastLineLength - line.length);
      this.sink.write(`\r${line}${' '.repeat(pad)}`);
      this.lastLineLength = line.length;
    } else {
      this.sink.write(line);
    }
  }
}
