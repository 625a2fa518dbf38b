/**
 * What running a workspace transform in the sandbox costs against calling the same function directly:
 *   1. `sources[0] * 2` called as a plain function;
 *   2. the same code through the sandbox (a worker, a fresh context per run), one run at a time;
 *   3. 100 runs through the sandbox started at once, each its own request to the worker;
 *   3b. the same 100 runs in one batch (one request, each answered as soon as it is made), as a burst of 100
 *       derivations triggered by one burst of file changes now runs them (DefinitionRunner.runAhead);
 *   4. a ControllerAsync derivation (over InMemoryBackend) whose transform runs in the sandbox, its source
 *      written one update at a time: the whole run as the graph's lastRunMs times it, without a disk.
 * Every result is checked. Run alone with `npm run bench:sandbox`.
 */
import { compileCode, runTransform, runTransforms, Sandbox } from '../extension/definitions/sandbox';
import { ControllerAsync, InMemoryBackend } from '../extension/restate/index';
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

export async function runSandboxBench(): Promise<Row[]> {
  const rows = await sandboxRows();
  printTable(`sandbox: the transform sources[0] * 2 through the sandbox and called directly (runs/s, median of ${RUNS})`, rows);
  return rows;
}

if (isEntryPoint('sandbox')) void runSandboxBench();
