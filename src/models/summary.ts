/**
 * model.summary() in Keras 3's layout: a box-drawn table of layers, output shapes
 * and parameter counts, then totals with their float32 sizes.
 */

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: readonly (number | null)[] | null;
  params: number | null;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${units[u]}`;
}

const thousands = (n: number): string => n.toLocaleString('en-US');

/** (None, 10, 32): Python tuple notation with None for the batch, as Keras prints. */
export function formatOutputShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

export function formatSummary(
  modelName: string,
  rows: readonly SummaryRow[],
  totals: { trainable: number; nonTrainable: number; optimizer: number | null },
): string {
  const cells = rows.map((r) => [
    `${r.name} (${r.className})`,
    r.outputShape === null ? '?' : formatOutputShape(r.outputShape),
    r.params === null ? '0 (unbuilt)' : thousands(r.params),
  ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = [33, 24, 15];
  for (const row of [header, ...cells]) row.forEach((c, i) => (widths[i] = Math.max(widths[i]!, c.length + 2)));
  const pad = (c: string, i: number): string => (i === 2 ? ` ${c.padStart(widths[i]! - 2)} ` : ` ${c.padEnd(widths[i]! - 2)} `);
  const rule = (l: string, m: string, r: string, fill: string): string => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const lines = [`Model: "${modelName}"`, rule('┏', '┳', '┓', '━'), '┃' + header.map(pad).join('┃') + '┃', rule('┡', '╇', '┩', '━')];
  cells.forEach((row, i) => {
    lines.push('│' + row.map(pad).join('│') + '│');
    lines.push(i === cells.length - 1 ? rule('└', '┴', '┘', '─') : rule('├', '┼', '┤', '─'));
  });
  if (cells.length === 0) lines.push(rule('└', '┴', '┘', '─'));
  const total = totals.trainable + totals.nonTrainable;
  lines.push(` Total params: ${thousands(total)} (${formatBytes(total * 4)})`);
  lines.push(` Trainable params: ${thousands(totals.trainable)} (${formatBytes(totals.trainable * 4)})`);
  lines.push(` Non-trainable params: ${thousands(totals.nonTrainable)} (${formatBytes(totals.nonTrainable * 4)})`);
  if (totals.optimizer !== null) lines.push(` Optimizer params: ${thousands(totals.optimizer)} (${formatBytes(totals.optimizer * 4)})`);
  return lines.join('\n');
}
