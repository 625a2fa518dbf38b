/**
 * Core throughput: setState on distinct leaves with and without unrelated subscriptions (S56), with a
 * root subscriber, and a chain of 100 derivations.
 */
import { ControllerSync } from '../extension/restate/index';
import { isEntryPoint, measure, printTable, type Row } from './table';

const LEAVES = 100_000;
const RUNS = 5;
const leafPaths = Array.from({ length: LEAVES }, (_, i) => `/leaves/${i % 1000}/${i}`);

function writeAllLeaves(prepare: (controller: ControllerSync) => void): () => () => void {
  return () => {
    const controller = new ControllerSync();
    prepare(controller);
    return () => {
      for (let i = 0; i < LEAVES; i++) controller.setState(leafPaths[i], i);
    };
  };
}

export function runCoreBench(): Row[] {
  const noop = (): void => undefined;
  const rows: Row[] = [];
  rows.push({ name: 'setState, no subscribers', opsPerSecond: measure(LEAVES, RUNS, writeAllLeaves(() => undefined)) });
  rows.push({
    name: 'setState, existing leaves, new values',
    note: 'steady state: the paths were written and updated before',
    opsPerSecond: measure(LEAVES, RUNS, () => {
      const controller = new ControllerSync();
      // Two passes, so the timed one sees the steady state of an app that keeps updating its paths.
      for (let i = 0; i < LEAVES; i++) controller.setState(leafPaths[i], i);
      for (let i = 0; i < LEAVES; i++) controller.setState(leafPaths[i], -i);
      let round = 0;
      return () => {
        round++;
        for (let i = 0; i < LEAVES; i++) controller.setState(leafPaths[i], i + round);
      };
    }),
  });
  rows.push({
    name: 'floor: Map.set of the same paths',
    note: 'no tree, no equality check, no notification',
    opsPerSecond: measure(LEAVES, RUNS, () => {
      const map = new Map<string, unknown>();
      return () => {
        for (let i = 0; i < LEAVES; i++) map.set(leafPaths[i], i);
      };
    }),
  });
  rows.push({
    name: 'setState, 100k unrelated exact subscriptions',
    opsPerSecond: measure(LEAVES, RUNS, writeAllLeaves((c) => {
      for (let i = 0; i < 100_000; i++) c.subscribe(`/other/${i}/value`, noop);
    })),
  });
  rows.push({
    name: 'setState, 10k unrelated wildcard subscriptions',
    opsPerSecond: measure(LEAVES, RUNS, writeAllLeaves((c) => {
      for (let i = 0; i < 10_000; i++) c.subscribe(`/other/*/field${i}`, noop);
    })),
  });
  rows.push({
    name: 'setState, one root subscriber',
    opsPerSecond: measure(LEAVES, RUNS, writeAllLeaves((c) => {
      c.subscribe('/', noop);
    })),
  });
  const chainUpdates = 10_000;
  rows.push({
    name: 'derive chain of depth 100, source updates',
    note: 'each update recomputes 100 derivations',
    opsPerSecond: measure(chainUpdates, RUNS, () => {
      const controller = new ControllerSync();
      controller.setState('/chain/0', 0);
      for (let i = 1; i <= 100; i++) controller.derive(`/chain/${i}`, `/chain/${i - 1}`, (value) => (value as number) + 1);
      return () => {
        for (let i = 1; i <= chainUpdates; i++) controller.setState('/chain/0', i);
        if (controller.getState('/chain/100') !== chainUpdates + 100) throw new Error('derive chain bench computed a wrong value');
      };
    }),
  });
  printTable('restate core: setState throughput (median of 5 runs, ControllerSync over InMemoryBackend)', rows);
  return rows;
}

if (isEntryPoint('core')) runCoreBench();
