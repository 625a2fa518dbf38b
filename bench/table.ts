/** Small helpers shared by the benchmarks: timing, medians and a printed table. */
import { basename } from 'node:path';

/**
 * Whether the benchmark file `name` is the script node was started with, run from source through tsx or
 * built into out/bench/ (bundled, every suite's module shares one import.meta.url, so that cannot tell).
 */
export function isEntryPoint(name: string): boolean {
  return basename(process.argv[1] ?? '').replace(/\.(ts|mjs|js)$/, '') === name;
}

export interface Row {
  readonly name: string;
  readonly opsPerSecond: number;
  /** The same updates' rate by wall time, where the row's own rate is by CPU time. */
  readonly wallOpsPerSecond?: number;
  readonly note?: string;
}

/**
 * Times `operations` operations `runs` times after a warm-up and returns the median rate. `setup` runs
 * untimed before each run and returns the timed body.
 */
export function measure(operations: number, runs: number, setup: () => () => void): number {
  setup()();
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const body = setup();
    const started = performance.now();
    body();
    rates.push(operations / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

export async function measureAsync(operations: number, runs: number, body: () => Promise<void>): Promise<number> {
  await body();
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await body();
    rates.push(operations / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/**
 * Prints rows with their rate and the ratio to `baseline` (the first row unless named), and the wall-time
 * rate and its ratio in two more columns when the rows have one.
 */
export function printTable(title: string, rows: readonly Row[], baselineName = rows[0]?.name, firstColumn = 'workload'): void {
  const baselineRow = rows.find((row) => row.name === baselineName);
  const baseline = baselineRow?.opsPerSecond ?? 1;
  const ratio = (rate: number, base: number): string => (rate / base).toFixed(2) + '×';
  if (rows.some((row) => row.wallOpsPerSecond !== undefined)) {
    const wallBaseline = baselineRow?.wallOpsPerSecond ?? 1;
    const header = [firstColumn, 'ops/s (CPU)', `ratio to "${baselineName}"`, 'ops/s (wall)', 'ratio (wall)', 'note'];
    const body = rows.map((row) => {
      const wall = row.wallOpsPerSecond;
      return [row.name, formatRate(row.opsPerSecond), ratio(row.opsPerSecond, baseline), wall === undefined ? '' : formatRate(wall), wall === undefined ? '' : ratio(wall, wallBaseline), row.note ?? ''];
    });
    printCells(title, header, body);
    return;
  }
  const header = [firstColumn, 'ops/s', `ratio to "${baselineName}"`, 'note'];
  const body = rows.map((row) => [row.name, formatRate(row.opsPerSecond), ratio(row.opsPerSecond, baseline), row.note ?? '']);
  printCells(title, header, body);
}

/** Prints a Markdown table of already formatted cells. */
export function printCells(title: string, header: readonly string[], body: readonly (readonly string[])[]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column].length)));
  const line = (cells: readonly string[]): string => '| ' + cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log('|' + widths.map((width) => '-'.repeat(width + 2)).join('|') + '|');
  for (const cells of body) console.log(line(cells));
}
