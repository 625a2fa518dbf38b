// The filesystem backends against bare node:fs doing the same work, in one run (targets: atomic writes at
// least 0.4x bare writes, reads at least 0.8x bare reads, by CPU time as bench:peers). Run: npm run bench:fs
import { mkdirSync, mkdtempSync, promises as fsp, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemAsyncBackend, FileSystemSyncBackend } from '../extension/restate/index';
import { isEntryPoint } from './table';

export interface FsBenchRow {
  readonly operation: string;
  /** CPU time of the process (all its threads, so the thread pool's work for async calls too). */
  readonly bareMs: number;
  readonly backendMs: number;
  /** Bare CPU time over backend CPU time: 1 means as fast as bare node:fs, 0.5 means half as fast. */
  readonly ratio: number;
  /** The same by wall time, which also counts the time another process held the core. */
  readonly wallRatio: number;
  readonly target: number | undefined;
}

const COUNT = 10_000;
const ROUNDS = 3;

interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function timeSync(run: () => void): Timing {
  const cpu = process.cpuUsage();
  const start = performance.now();
  run();
  const wallMs = performance.now() - start;
  return { cpuMs: cpuMs(process.cpuUsage(cpu)), wallMs };
}

async function timeAsync(run: () => Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const wallMs = performance.now() - start;
  return { cpuMs: cpuMs(process.cpuUsage(cpu)), wallMs };
}

/** Runs 10k leaf writes, 10k leaf reads and a 10k-child parent read through each backend and through bare node:fs. */
export async function benchFs(count = COUNT, rounds = ROUNDS): Promise<FsBenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'restate-bench-fs-'));
  // The best of the rounds, by CPU time and by wall time apart.
  const best = new Map<string, Timing>();
  const record = (key: string, timing: Timing): void => {
    const known = best.get(key);
    best.set(key, { cpuMs: Math.min(known?.cpuMs ?? Infinity, timing.cpuMs), wallMs: Math.min(known?.wallMs ?? Infinity, timing.wallMs) });
  };
  try {
    for (let round = 0; round < rounds; round++) {
      // Every round writes into fresh folders, so each contender creates its files, and the order alternates.
      const bareDir = join(root, `bare-${round}`, 'items');
      const syncBase = join(root, `sync-${round}`);
      const asyncBase = join(root, `async-${round}`);
      const bareAsyncDir = join(root, `bare-async-${round}`, 'items');
      mkdirSync(bareDir, { recursive: true });
      mkdirSync(bareAsyncDir, { recursive: true });
      const sync = new FileSystemSyncBackend(syncBase);
      const async = new FileSystemAsyncBackend(asyncBase);
      const file = (dir: string, i: number): string => join(dir, `k${i}.json`);

      const bareWrite = (): void => {
        for (let i = 0; i < count; i++) writeFileSync(file(bareDir, i), JSON.stringify(i));
      };
      const syncWrite = (): void => {
        for (let i = 0; i < count; i++) sync.write(`/items/k${i}`, i);
      };
      if (round % 2 === 0) {
        record('write bare', timeSync(bareWrite));
        record('write sync', timeSync(syncWrite));
      } else {
        record('write sync', timeSync(syncWrite));
        record('write bare', timeSync(bareWrite));
      }
      const bareAsyncWrite = async (): Promise<void> => {
        for (let i = 0; i < count; i++) await fsp.writeFile(file(bareAsyncDir, i), JSON.stringify(i));
      };
      const asyncWrite = async (): Promise<void> => {
        for (let i = 0; i < count; i++) await async.write(`/items/k${i}`, i);
      };
      record('write bare async', await timeAsync(bareAsyncWrite));
      record('write async', await timeAsync(asyncWrite));

      let sink = 0;
      const bareRead = (): void => {
        for (let i = 0; i < count; i++) sink += JSON.parse(readFileSync(file(bareDir, i), 'utf8')) as number;
      };
      const syncRead = (): void => {
        for (let i = 0; i < count; i++) sink += sync.read(`/items/k${i}`) as number;
      };
      for (const order of round % 2 === 0 ? [0, 1] : [1, 0]) {
        if (order === 0) record('read bare', timeSync(bareRead));
        else record('read sync', timeSync(syncRead));
      }
      record('read bare async', await timeAsync(async () => {
        for (let i = 0; i < count; i++) sink += JSON.parse(await fsp.readFile(file(bareAsyncDir, i), 'utf8')) as number;
      }));
      record('read async', await timeAsync(async () => {
        for (let i = 0; i < count; i++) sink += (await async.read(`/items/k${i}`)) as number;
      }));

      const bareParent = (dir: string): Record<string, unknown> => {
        const result: Record<string, unknown> = {};
        for (const name of readdirSync(dir).sort()) result[name.slice(0, -5)] = JSON.parse(readFileSync(join(dir, name), 'utf8'));
        return result;
      };
      record('parent bare', timeSync(() => void bareParent(bareDir)));
      record('parent sync', timeSync(() => void sync.read('/items')));
      record('parent bare async', await timeAsync(async () => {
        const names = (await fsp.readdir(bareAsyncDir)).sort();
        const values = await Promise.all(names.map(async (name) => JSON.parse(await fsp.readFile(join(bareAsyncDir, name), 'utf8')) as unknown));
        const result: Record<string, unknown> = {};
        names.forEach((name, i) => (result[name.slice(0, -5)] = values[i]));
      }));
      record('parent async', await timeAsync(async () => void (await async.read('/items'))));
      record('list bare', timeSync(() => void readdirSync(bareDir).sort()));
      record('list sync', timeSync(() => void sync.listChildren('/items')));
      if (sink === -1) console.log('unreachable');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const row = (operation: string, bare: string, backend: string, target?: number): FsBenchRow => {
    const bareTiming = best.get(bare)!;
    const backendTiming = best.get(backend)!;
    return {
      operation,
      bareMs: bareTiming.cpuMs,
      backendMs: backendTiming.cpuMs,
      ratio: bareTiming.cpuMs / backendTiming.cpuMs,
      wallRatio: bareTiming.wallMs / backendTiming.wallMs,
      target,
    };
  };
  return [
    row(`${count} leaf writes, FileSystemSyncBackend vs writeFileSync`, 'write bare', 'write sync', 0.4),
    row(`${count} leaf reads, FileSystemSyncBackend vs readFileSync`, 'read bare', 'read sync', 0.8),
    row(`${count} leaf writes, FileSystemAsyncBackend vs fs.promises.writeFile`, 'write bare async', 'write async', 0.4),
    row(`${count} leaf reads, FileSystemAsyncBackend vs fs.promises.readFile`, 'read bare async', 'read async', 0.8),
    row(`parent with ${count} children, sync read vs readdirSync + readFileSync`, 'parent bare', 'parent sync'),
    row(`parent with ${count} children, async read vs fs.promises`, 'parent bare async', 'parent async'),
    row(`listChildren of ${count} children vs readdirSync`, 'list bare', 'list sync'),
  ];
}

export function formatFsBench(rows: readonly FsBenchRow[]): string {
  const header = ['operation', 'bare CPU ms', 'backend CPU ms', 'ratio', 'ratio (wall)', 'target'];
  const lines = rows.map((r) => [
    r.operation,
    r.bareMs.toFixed(1),
    r.backendMs.toFixed(1),
    `${r.ratio.toFixed(2)}x`,
    `${r.wallRatio.toFixed(2)}x`,
    r.target === undefined ? '' : `>= ${r.target}x ${r.ratio >= r.target ? 'ok' : 'MISSED'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n');
}

if (isEntryPoint('fs')) {
  void benchFs().then((rows) => console.log(formatFsBench(rows)));
}
