/**
 * What running a workspace transform in the sandbox costs against calling the same function directly:
 *   1. `sources[0] * 2` called as a plain function;
 *   2. the same code through the sandbox (a worker, a fresh context per run), one run at a time;
 *   3. 100 runs through the sandbox started at once, each its own request to the worker;
 *   3b. the same 100 runs in one batch (one request, each answered as soon as it is made), as a burst of 100
 *       derivations triggered by one burst of file changes now runs them (DefinitionRunner.runAhead);
 *   4. a ControllerAsync derivation (over InMemoryBackend) whose transform runs in the sandbox, its source
 *      written one update at a time: the whole run as the graph's lastRunMs times it, without a disk.
 * and a second table, the derivation as the extension runs it on a state folder: a ControllerAsync over
 * CachingAsyncBackend (flushInterval 0) over FileSystemAsyncBackend, its source changed on disk and notified
 * (as the extension's watcher does), the transform called directly or through the sandbox, with the
 * extension's adapter for local folders (synchronous calls for one value's read and write) and with the same
 * operations made asynchronously through node:fs. Each row counts the adapter calls of a run.
 * and a third, single changes each after a pause (as a user's edits come), the extension's adapter against
 * the same adapter closing each value file as soon as it is read, alternating change by change: the run's
 * duration, and the rename of the dest's new file over the old one.
 * Every result is checked. Run alone with `npm run bench:sandbox`.
 */
import { constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCode, runTransform, runTransforms, Sandbox, type CompiledCode } from '../extension/definitions/sandbox';
import { CachingAsyncBackend, ControllerAsync, FileSystemAsyncBackend, InMemoryBackend, nodeFileAdapter, type FileAdapter } from '../extension/restate/index';
import { localFolderAdapter } from '../extension/workspace/localFolderAdapter';
import { isEntryPoint, measure, measureAsync, median, printTable, type Row } from './table';

const RUNS = 5;
const DIRECT_CALLS = 100_000;
const SANDBOX_RUNS = 300;
const BURST = 100;
const TIMEOUT_MS = 1000;

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`sandbox bench: ${message}`);
}

const perRun = (rate: number): string => `${(1e3 / rate).toFixed(3)} ms per run`;

export async function sandboxRows(): Promise<Row[]> {
  const sandbox = new Sandbox();
  const code = compileCode('sources[0] * 2', ['sources', 'get']);
  try {
    const direct = (sources: readonly number[]): number => sources[0] * 2;
    const directRate = measure(DIRECT_CALLS, RUNS, () => () => {
      let sum = 0;
      for (let i = 0; i < DIRECT_CALLS; i++) sum += direct([i]);
      check(sum === DIRECT_CALLS * (DIRECT_CALLS - 1), 'the direct calls summed up wrong');
    });

    const oneAtATime = await measureAsync(SANDBOX_RUNS, RUNS, async () => {
      for (let i = 0; i < SANDBOX_RUNS; i++) check((await runTransform(sandbox, code, ['/a'], [i], TIMEOUT_MS)) === 2 * i, 'a sandboxed run gave a wrong result');
    });
    const latencies: number[] = [];
    for (let i = 0; i < SANDBOX_RUNS; i++) {
      const started = performance.now();
      await runTransform(sandbox, code, ['/a'], [i], TIMEOUT_MS);
      latencies.push(performance.now() - started);
    }

    const burst = await measureAsync(BURST, RUNS, async () => {
      const results = await Promise.all(Array.from({ length: BURST }, (_, i) => runTransform(sandbox, code, ['/a'], [i], TIMEOUT_MS)));
      check(results.every((result, i) => result === 2 * i), 'a run of the burst gave a wrong result');
    });

    const batched = await measureAsync(BURST, RUNS, async () => {
      const outcomes = await Promise.all(runTransforms(sandbox, Array.from({ length: BURST }, (_, i) => ({ code, sources: ['/a'], values: [i] })), TIMEOUT_MS));
      check(outcomes.every((outcome, i) => outcome !== undefined && 'value' in outcome && outcome.value === 2 * i), 'a run of the batch gave a wrong result');
    });

    const controller = new ControllerAsync(new InMemoryBackend(), { timeRuns: 'always' });
    await controller.setState('/source', 0);
    controller.deriveMany('/dest', ['/source'], (data) => runTransform(sandbox, code, ['/source'], [data.get('/source')], TIMEOUT_MS));
    const lastRuns: number[] = [];
    let written = 0;
    const derived = await measureAsync(SANDBOX_RUNS, RUNS, async () => {
      for (let i = 0; i < SANDBOX_RUNS; i++) {
        written++;
        await controller.setState('/source', written);
        const node = controller.graph().nodes.find((candidate) => candidate.kind === 'derivation');
        if (node?.kind === 'derivation' && node.stats.lastRunMs !== null) lastRuns.push(node.stats.lastRunMs);
      }
      check((await controller.getState('/dest')) === 2 * written, 'the derivation wrote a wrong value');
    });

    return [
      { name: 'called directly', opsPerSecond: directRate, note: `${(1e6 / directRate).toFixed(3)} µs per call` },
      { name: 'through the sandbox, one run at a time', opsPerSecond: oneAtATime, note: `${perRun(oneAtATime)}; median latency ${median(latencies).toFixed(3)} ms` },
      { name: `through the sandbox, ${BURST} runs started at once`, opsPerSecond: burst, note: `the burst in ${(1e3 * BURST / burst).toFixed(1)} ms` },
      { name: `through the sandbox, ${BURST} runs in one batch`, opsPerSecond: batched, note: `the batch in ${(1e3 * BURST / batched).toFixed(1)} ms` },
      { name: 'a ControllerAsync derivation, transform in the sandbox', opsPerSecond: derived, note: `${perRun(derived)} (setState); median lastRunMs ${median(lastRuns).toFixed(3)} ms` },
    ];
  } finally {
    sandbox.dispose();
  }
}

const FOLDER_RUNS = 200;
const FOLDER_BURST = 100;

/** Wraps every call of an adapter so that the calls can be counted. */
function counted(adapter: FileAdapter): { adapter: FileAdapter; calls: () => number } {
  let calls = 0;
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(adapter)) {
    const pathOnly = name === 'join' || name === 'dirname' || name === 'basename';
    wrapped[name] = typeof member !== 'function' || pathOnly ? member : (...args: unknown[]) => {
      calls++;
      return (member as (...parameters: unknown[]) => unknown)(...args);
    };
  }
  return { adapter: wrapped as unknown as FileAdapter, calls: () => calls };
}

/** node:fs through its asynchronous calls, without folders held open: the extension's adapter before it made them synchronous. */
function asyncLocalAdapter(): FileAdapter {
  const { holdFolder: _notHeld, ...adapter } = nodeFileAdapter;
  return adapter;
}

function extensionLocalAdapter(): FileAdapter {
  return localFolderAdapter({ join: nodeFileAdapter.join, dirname: nodeFileAdapter.dirname, basename: nodeFileAdapter.basename, toFsPath: (path) => path, fromFsPath: (path) => path });
}

/**
 * `FOLDER_BURST` derivations `/out/d<i>` = `/src/s<i>` * 2 on a folder, as the extension runs them: single
 * changes of `/src/s0` written to disk and notified one at a time (the median lastRunMs and the adapter calls
 * per run), then every source changed on disk and notified in one batch (the burst's time).
 */
async function folderRows(label: string, adapter: FileAdapter, transform: (value: number) => unknown): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'restate-bench-derive-'));
  const base = join(dir, 'state');
  const calls = counted(adapter);
  const cache = new CachingAsyncBackend(new FileSystemAsyncBackend(base, { adapter: calls.adapter, removeStaleTemporaryFiles: false }), { flushInterval: 0 });
  const controller = new ControllerAsync(cache, { timeRuns: 'always', followBackend: false });
  try {
    mkdirSync(join(base, 'src'), { recursive: true });
    for (let i = 0; i < FOLDER_BURST; i++) writeFileSync(join(base, 'src', `s${i}.json`), String(i));
    for (let i = 0; i < FOLDER_BURST; i++) await controller.deriveMany(`/out/d${i}`, [`/src/s${i}`], (data) => transform(data.get(`/src/s${i}`) as number));
    // What the extension's watcher does for a changed file: the cached read goes, and the change is notified.
    const changed = async (index: number, value: number): Promise<void> => {
      const path = `/src/s${index}`;
      const prevValue = await cache.read(path);
      writeFileSync(join(base, 'src', `s${index}.json`), String(value));
      cache.invalidate(path);
      await controller.notifyChange(path, { prevValue, newValue: await cache.read(path), cause: 'file' });
    };
    const runMs: number[] = [];
    const callsPerRun: number[] = [];
    let value = 1000;
    const single = await measureAsync(FOLDER_RUNS, RUNS, async () => {
      for (let i = 0; i < FOLDER_RUNS; i++) {
        value++;
        const path = '/src/s0';
        const prevValue = await cache.read(path);
        writeFileSync(join(base, 'src', 's0.json'), String(value));
        cache.invalidate(path);
        const newValue = await cache.read(path);
        const before = calls.calls();
        await controller.notifyChange(path, { prevValue, newValue, cause: 'file' });
        callsPerRun.push(calls.calls() - before);
        const node = controller.graph().nodes.find((candidate) => candidate.kind === 'derivation' && candidate.id === 'derive:/out/d0');
        if (node?.kind === 'derivation' && node.stats.lastRunMs !== null) runMs.push(node.stats.lastRunMs);
      }
      check((await cache.read('/out/d0')) === 2 * value, `${label}: the derivation wrote a wrong value`);
    });
    let round = 0;
    const burst = await measureAsync(FOLDER_BURST, RUNS, async () => {
      round++;
      await controller.batch(async () => {
        for (let i = 0; i < FOLDER_BURST; i++) await changed(i, 10_000 * round + i);
      });
      for (let i = 0; i < FOLDER_BURST; i++) check((await cache.read(`/out/d${i}`)) === 2 * (10_000 * round + i), `${label}: a dest of the burst is wrong`);
    });
    return [
      { name: `${label}: a single change, one run`, opsPerSecond: single, note: `median lastRunMs ${median(runMs).toFixed(3)} ms; ${median(callsPerRun)} adapter calls per run` },
      { name: `${label}: ${FOLDER_BURST} sources changed in one batch`, opsPerSecond: burst, note: `the burst in ${(1e3 * FOLDER_BURST / burst).toFixed(1)} ms, its changes read and notified` },
    ];
  } finally {
    await cache.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function derivationFolderRows(): Promise<Row[]> {
  const sandbox = new Sandbox();
  const code: CompiledCode = compileCode('sources[0] * 2', ['sources', 'get']);
  try {
    const direct = (value: number): number => value * 2;
    const sandboxed = (value: number): Promise<unknown> => runTransform(sandbox, code, ['/a'], [value], TIMEOUT_MS);
    return [
      ...(await folderRows('called directly, the extension\'s adapter', extensionLocalAdapter(), direct)),
      ...(await folderRows('called directly, asynchronous node:fs calls', asyncLocalAdapter(), direct)),
      ...(await folderRows('through the sandbox, the extension\'s adapter', extensionLocalAdapter(), sandboxed)),
      ...(await folderRows('through the sandbox, asynchronous node:fs calls', asyncLocalAdapter(), sandboxed)),
    ];
  } finally {
    sandbox.dispose();
  }
}

const PAUSED_CHANGES = 40;
const PAUSE_MS = 200;

/** The extension's adapter, but each value file read without following a link is closed at once, as before. */
function closingReadsAdapter(): FileAdapter {
  const noFollow = (constants.O_RDONLY | constants.O_NOFOLLOW) as unknown as string;
  return { ...extensionLocalAdapter(), readFileNoFollow: async (path: string) => readFileSync(path, { flag: noFollow }) };
}

/** Times each call of the adapter's rename. */
function timedRenames(adapter: FileAdapter): { adapter: FileAdapter; renameMs: number[] } {
  const renameMs: number[] = [];
  const rename: FileAdapter['rename'] = async (from, to, opts) => {
    const started = performance.now();
    await adapter.rename(from, to, opts);
    renameMs.push(performance.now() - started);
  };
  return { adapter: { ...adapter, rename }, renameMs };
}

/**
 * The derivation `/out/d0` = `/src/s0` * 2 on a folder of 100 dests, called directly, with single changes of
 * its source each after a pause of `PAUSE_MS`, the adapters alternating change by change.
 */
export async function pausedChangeRows(): Promise<Row[]> {
  const setups = await Promise.all([
    { label: 'the extension\'s adapter (the read-back kept open until the turn ends)', adapter: extensionLocalAdapter() },
    { label: 'each value file closed as soon as it is read', adapter: closingReadsAdapter() },
  ].map(async ({ label, adapter }) => {
    const dir = mkdtempSync(join(tmpdir(), 'restate-bench-paused-'));
    const base = join(dir, 'state');
    const timed = timedRenames(adapter);
    const cache = new CachingAsyncBackend(new FileSystemAsyncBackend(base, { adapter: timed.adapter, removeStaleTemporaryFiles: false }), { flushInterval: 0 });
    const controller = new ControllerAsync(cache, { timeRuns: 'always', followBackend: false });
    mkdirSync(join(base, 'src'), { recursive: true });
    for (let i = 0; i < FOLDER_BURST; i++) writeFileSync(join(base, 'src', `s${i}.json`), String(i));
    for (let i = 0; i < FOLDER_BURST; i++) await controller.deriveMany(`/out/d${i}`, [`/src/s${i}`], (data) => (data.get(`/src/s${i}`) as number) * 2);
    return { label, dir, base, cache, controller, renameMs: timed.renameMs, runMs: [] as number[] };
  }));
  try {
    for (const setup of setups) setup.renameMs.length = 0;
    for (let change = 0; change < PAUSED_CHANGES; change++) {
      for (const setup of setups) {
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
        const value = 1000 + change;
        const prevValue = await setup.cache.read('/src/s0');
        writeFileSync(join(setup.base, 'src', 's0.json'), String(value));
        setup.cache.invalidate('/src/s0');
        await setup.controller.notifyChange('/src/s0', { prevValue, newValue: await setup.cache.read('/src/s0'), cause: 'file' });
        const node = setup.controller.graph().nodes.find((candidate) => candidate.kind === 'derivation' && candidate.id === 'derive:/out/d0');
        if (node?.kind === 'derivation' && node.stats.lastRunMs !== null) setup.runMs.push(node.stats.lastRunMs);
        check((await setup.cache.read('/out/d0')) === 2 * value, `${setup.label}: the derivation wrote a wrong value`);
      }
    }
    return setups.map((setup) => ({
      name: setup.label,
      opsPerSecond: 1e3 / median(setup.runMs),
      note: `median lastRunMs ${median(setup.runMs).toFixed(3)} ms; the rename ${median(setup.renameMs).toFixed(3)} ms`,
    }));
  } finally {
    for (const setup of setups) {
      await setup.cache.close();
      rmSync(setup.dir, { recursive: true, force: true });
    }
  }
}

export async function runSandboxBench(): Promise<Row[]> {
  const rows = await sandboxRows();
  printTable(`sandbox: the transform sources[0] * 2 through the sandbox and called directly (runs/s, median of ${RUNS})`, rows);
  const folder = await derivationFolderRows();
  printTable(`a derivation sources[0] * 2 on a state folder, as the extension runs it (changes/s, median of ${RUNS})`, folder);
  const paused = await pausedChangeRows();
  printTable(`the same derivation, ${PAUSED_CHANGES} single changes each after ${PAUSE_MS} ms, the adapters alternating (runs/s of the median lastRunMs)`, paused);
  return [...rows, ...folder, ...paused];
}

if (isEntryPoint('sandbox')) void runSandboxBench();
