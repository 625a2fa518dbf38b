/**
 * batch and change history costs:
 *   1. 10k writes feeding 100 derivations, in one batch and without: in the batch every derivation runs
 *      once (checked), without it each runs once per write that reaches it.
 *   2. What recording a change history (the Changes view's model, fed by the trace) costs per change.
 *
 * Run alone with `npm run bench:batch`.
 */
import { ChangeHistory } from '../extension/changes/history';
import { ControllerAsync, ControllerSync, type TraceRecord } from '../extension/restate/index';
import { isEntryPoint, measure, measureAsync, printTable, type Row } from './table';

const WRITES = 10_000;
const DERIVATIONS = 100;
const RUNS = 5;
// Write i lands below /w/<i % 100>, the source of derivation i % 100: each derivation has 100 writes.
const writePaths = Array.from({ length: WRITES }, (_, i) => `/w/${i % DERIVATIONS}/${i}`);

/** A controller with 100 derivations over /w/0 … /w/99, and a counter of their runs. */
function withDerivations<C extends ControllerSync | ControllerAsync>(controller: C): { controller: C; runs: () => number } {
  let runs = 0;
  for (let j = 0; j < DERIVATIONS; j++) {
    void controller.derive(`/d/${j}`, `/w/${j}`, (value) => {
      runs++;
      return typeof value === 'object' && value !== null ? Object.keys(value).length : 0;
    });
  }
  const initial = runs;
  return { controller, runs: () => runs - initial };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`batch bench: ${message}`);
}

async function batchRows(): Promise<Row[]> {
  const rows: Row[] = [];
  rows.push({
    name: 'sync, 10k writes, no batch',
    note: 'each derivation runs once per write: 10k runs',
    opsPerSecond: measure(WRITES, RUNS, () => {
      const { controller, runs } = withDerivations(new ControllerSync());
      return () => {
        for (let i = 0; i < WRITES; i++) controller.setState(writePaths[i], i);
        check(runs() === WRITES, `expected ${WRITES} derivation runs without batch, got ${runs()}`);
      };
    }),
  });
  rows.push({
    name: 'sync, 10k writes in one batch',
    note: 'each derivation runs once: 100 runs (checked)',
    opsPerSecond: measure(WRITES, RUNS, () => {
      const { controller, runs } = withDerivations(new ControllerSync());
      return () => {
        controller.batch(() => {
          for (let i = 0; i < WRITES; i++) controller.setState(writePaths[i], i);
        });
        check(runs() === DERIVATIONS, `expected ${DERIVATIONS} derivation runs in a batch, got ${runs()}`);
        check(controller.getState('/d/7') === WRITES / DERIVATIONS, 'a derivation computed a wrong value');
      };
    }),
  });
  rows.push({
    name: 'async, 10k writes, no batch',
    opsPerSecond: await measureAsync(WRITES, RUNS, async () => {
      const { controller, runs } = withDerivations(new ControllerAsync());
      await controller.getState('/');
      for (let i = 0; i < WRITES; i++) await controller.setState(writePaths[i], i);
      check(runs() === WRITES, 'async: one run per write');
    }),
    note: 'setup included in the timing',
  });
  rows.push({
    name: 'async, 10k writes in one batch',
    opsPerSecond: await measureAsync(WRITES, RUNS, async () => {
      const { controller, runs } = withDerivations(new ControllerAsync());
      await controller.getState('/');
      await controller.batch(async () => {
        for (let i = 0; i < WRITES; i++) await controller.setState(writePaths[i], i);
      });
      check(runs() === DERIVATIONS, `async: expected ${DERIVATIONS} runs in a batch, got ${runs()}`);
    }),
    note: 'setup included in the timing',
  });
  return rows;
}

const CHANGES = 100_000;
const HISTORY_SIZE = 1000;
const leafPaths = Array.from({ length: CHANGES }, (_, i) => `/leaves/${i % 1000}/${i}`);

function historyRows(): Row[] {
  const write = (attach: (controller: ControllerSync) => void) => (): (() => void) => {
    const controller = new ControllerSync();
    attach(controller);
    return () => {
      for (let i = 0; i < CHANGES; i++) controller.setState(leafPaths[i], { n: i, label: 'value' });
    };
  };
  const plain = measure(CHANGES, RUNS, write(() => undefined));
  const traced = measure(CHANGES, RUNS, write((c) => {
    c.onTrace(() => undefined);
  }));
  const recorded = measure(CHANGES, RUNS, write((c) => {
    const history = new ChangeHistory({ maxEntries: HISTORY_SIZE });
    c.onTrace((record) => history.record('bench', record));
  }));
  // The model alone, on records built up front: what the Changes view adds once a record exists.
  const records: TraceRecord[] = leafPaths.map((path, i) => ({
    kind: 'set', path, prevValue: { n: i - 1, label: 'value' }, value: { n: i, label: 'value' }, changed: true, notified: true,
    payload: undefined, batched: i % 10 !== 0, cause: 'api', depth: 1, seq: i + 1, time: i * 0.01,
  }));
  const modelOnly = measure(CHANGES, RUNS, () => {
    const history = new ChangeHistory({ maxEntries: HISTORY_SIZE });
    return () => {
      for (const record of records) history.record('bench', record);
    };
  });
  const microseconds = (rate: number): string => `${((1e6 / rate) - (1e6 / plain)).toFixed(2)} µs per change over plain`;
  return [
    { name: 'setState, no trace listener', opsPerSecond: plain },
    { name: 'setState, a no-op trace listener', opsPerSecond: traced, note: microseconds(traced) },
    { name: `setState, recording a ChangeHistory (${HISTORY_SIZE} kept)`, opsPerSecond: recorded, note: microseconds(recorded) },
    { name: 'ChangeHistory.record alone (prebuilt records)', opsPerSecond: modelOnly, note: `${(1e6 / modelOnly).toFixed(2)} µs per record` },
  ];
}

export async function runBatchBench(): Promise<{ batch: Row[]; history: Row[] }> {
  const batch = await batchRows();
  printTable(`batch: ${WRITES / 1000}k writes feeding ${DERIVATIONS} derivations (writes/s, median of ${RUNS} runs, InMemoryBackend)`, batch);
  const history = historyRows();
  printTable(`change history: cost of recording each change (median of ${RUNS} runs, ${CHANGES / 1000}k distinct leaves, ControllerSync)`, history);
  return { batch, history };
}

if (isEntryPoint('batch')) void runBatchBench();
