/**
 * What `inspect` costs the app's setState: 100k writes to distinct leaves of a ControllerSync without an
 * inspector, with one open that nobody is connected to (the goal: at most 1.1× the time without), with a no-op
 * trace listener (what any listener costs, S123), and with one explorer subscribed (every record made
 * JSON-safe, batched and written to the socket during the writes).
 *
 * Run alone with `npm run bench:inspect`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerSync, inspect, inspectorDiscovery, type Inspector, type InspectorConnection } from '../extension/restate/index';
import { isEntryPoint, median, printTable, type Row } from './table';

const WRITES = 100_000;
const ROUNDS = 9;
const leafPaths = Array.from({ length: WRITES }, (_, i) => `/leaves/${i % 1000}/${i}`);

type Setup = 'none' | 'open' | 'listener' | 'subscribed';

interface Prepared {
  controller: ControllerSync;
  cleanup(): Promise<void>;
}

async function prepare(setup: Setup, stateFolder: string): Promise<Prepared> {
  const controller = new ControllerSync();
  if (setup === 'none') return { controller, cleanup: () => Promise.resolve() };
  if (setup === 'listener') {
    const detach = controller.onTrace(() => undefined);
    return { controller, cleanup: () => Promise.resolve(detach()) };
  }
  // A buffer large enough for every record: the in-process explorer reads only after the timed loop.
  const inspector: Inspector = await inspect(controller, { name: 'bench', stateFolder, maxBufferedBytes: 1024 * 1024 * 1024 });
  let connection: InspectorConnection | undefined;
  if (setup === 'subscribed') {
    const opened = inspectorDiscovery(stateFolder).connect(inspector.announcement);
    connection = opened;
    await new Promise<void>((resolve) => {
      opened.on('graph', () => resolve());
      opened.subscribe();
    });
  }
  return {
    controller,
    cleanup: async () => {
      connection?.close();
      await inspector.dispose();
    },
  };
}

async function timedRound(setup: Setup, stateFolder: string): Promise<number> {
  const { controller, cleanup } = await prepare(setup, stateFolder);
  // The previous round's 100k leaves are collected now rather than during this round's writes.
  (globalThis as { gc?: () => void }).gc?.();
  // CPU time of the process, not wall time: on a shared machine wall time also counts others' turns.
  const started = process.cpuUsage();
  for (let i = 0; i < WRITES; i++) controller.setState(leafPaths[i], { n: i, label: 'value' });
  const used = process.cpuUsage(started);
  const rate = WRITES / ((used.user + used.system) / 1e6);
  await cleanup();
  return rate;
}

export async function runInspectBench(): Promise<Row[]> {
  const stateFolder = mkdtempSync(join(tmpdir(), 'restate-inspect-bench-'));
  const setups: Setup[] = ['none', 'open', 'listener', 'subscribed'];
  const rates: Record<Setup, number[]> = { none: [], open: [], listener: [], subscribed: [] };
  try {
    for (const setup of setups) await timedRound(setup, stateFolder);
    // Rounds go round the set-ups, each starting one later, so that a slow spell falls on all of them.
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < setups.length; k++) {
        const setup = setups[(round + k) % setups.length];
        rates[setup].push(await timedRound(setup, stateFolder));
      }
    }
  } finally {
    rmSync(stateFolder, { recursive: true, force: true });
  }
  const none = median(rates.none);
  const slower = (rate: number): string => `${(none / rate).toFixed(2)}× the time of no inspector`;
  const rows: Row[] = [
    { name: 'setState, no inspector', opsPerSecond: none },
    { name: 'setState, inspector open, nobody connected', opsPerSecond: median(rates.open), note: slower(median(rates.open)) },
    { name: 'setState, a no-op trace listener (no inspector)', opsPerSecond: median(rates.listener), note: slower(median(rates.listener)) },
    { name: 'setState, inspector open, one explorer subscribed', opsPerSecond: median(rates.subscribed), note: slower(median(rates.subscribed)) },
  ];
  printTable(`inspect: ${WRITES / 1000}k setState of distinct leaves (writes per CPU second, median of ${ROUNDS} rounds, ControllerSync, InMemoryBackend)`, rows);
  return rows;
}

if (isEntryPoint('inspect')) void runInspectBench();
