/**
 * Workloads 1–4 and 4b of bench/peers.ts (4b is number 5 on the command line), counted instead of timed: each library's code for a workload runs under
 * valgrind's cachegrind, which counts the instructions executed and simulates the CPU's first-level data
 * cache. Counts do not depend on what else the machine is doing, so two builds, or two libraries, can be
 * compared on a shared machine where timings move by ±20% from one run to the next. Each workload runs
 * twice per library, with the same warm-up and with and without the measured updates; the difference,
 * divided by the number of measured updates, is what one update costs once the code is optimised.
 *
 * Node runs with --single-threaded (compilation and garbage collection on the main thread, where they are
 * counted) and fixed hash and random seeds. The code outside the garbage collector then counts the same
 * from one run to the next; the collector does not quite, because some of its decisions depend on time,
 * and it comes in lumps. So the stretches are long enough to hold several collections, and the table
 * also gives the instructions outside the collector, the steadier number for comparing two builds.
 *
 * `npm run bench:count [-- [--workloads 1,3] library…]`: restate and MobX unless libraries are named, by
 * their names in peers.ts's tables. It takes about 20 minutes; without valgrind it says so and stops.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerWorkloads, type Instance } from './peers';
import { isEntryPoint, printCells } from './table';

/** Updates before the counted stretch, and in it, per workload: enough for the JIT to settle, and to average garbage collections. */
const STRETCHES: readonly { warmUp: number; measured: number }[] = [
  { warmUp: 400, measured: 300 },
  { warmUp: 600, measured: 1_000 },
  { warmUp: 600, measured: 1_500 },
  { warmUp: 200_000, measured: 100_000 },
  { warmUp: 200_000, measured: 100_000 },
];

const NODE_FLAGS = ['--single-threaded', '--hash-seed=1', '--random-seed=1'];

interface Counts {
  instructions: number;
  /** Of the instructions, those of V8's garbage collector, which runs in lumps. */
  gcInstructions: number;
  d1ReadMisses: number;
  d1WriteMisses: number;
}

/** In the child: prepares one library's instance of a workload and makes `updates` updates. */
function runUpdates(workloadIndex: number, library: string, updates: number): void {
  const contender = peerWorkloads[workloadIndex].contenders.find((candidate) => candidate.name === library);
  if (contender === undefined) throw new Error(`workload ${workloadIndex + 1} has no library named ${JSON.stringify(library)}`);
  const instance: Instance = contender.prepare();
  for (let k = 1; k <= updates; k++) instance.update(k);
  instance.verify(updates);
}

/** V8's garbage collector, by the names of its C++ functions (its code has symbols; JIT code has none). */
const GC_FUNCTION = /v8::internal::(Heap|Scaveng|MarkCompact|Mark(ing)?[A-Z]|Minor|Sweep|Evacuat|Concurrent|LiveObject|RememberedSet|IncrementalMarking|Pretenuring|.*Visitor|BodyDescriptor)/;

/**
 * Sums a cachegrind output file's counts: its `events:` line names the columns, `fn=` lines start each
 * function's lines of counts. Function names may be compressed as `(n) name`, then just `(n)`.
 */
export function readCachegrindFile(file: string): Counts {
  const text = readFileSync(file, 'utf8');
  const events = /^events: (.*)$/m.exec(text)?.[1].split(' ') ?? [];
  const column = (name: string): number => events.indexOf(name);
  const [ir, d1mr, d1mw] = [column('Ir'), column('D1mr'), column('D1mw')];
  if (ir === -1 || d1mr === -1 || d1mw === -1) throw new Error(`${file} has no Ir, D1mr and D1mw columns: ${events.join(' ')}`);
  const names = new Map<string, string>();
  const counts: Counts = { instructions: 0, gcInstructions: 0, d1ReadMisses: 0, d1WriteMisses: 0 };
  let inGc = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) {
      const compressed = /^fn=\((\d+)\)(?: (.*))?$/.exec(line);
      let name = line.slice(3);
      if (compressed !== null) {
        if (compressed[2] !== undefined) names.set(compressed[1], compressed[2]);
        name = names.get(compressed[1]) ?? '';
      }
      // The function's own name: its parameters name V8's types too (a HeapObject, say).
      inGc = GC_FUNCTION.test(name.split('(')[0]);
      continue;
    }
    const first = line.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const cells = line.split(' ');
    // The first cell is the line number; missing trailing counts are zero.
    const value = (index: number): number => Number(cells[index + 1] ?? 0) || 0;
    counts.instructions += value(ir);
    if (inGc) counts.gcInstructions += value(ir);
    counts.d1ReadMisses += value(d1mr);
    counts.d1WriteMisses += value(d1mw);
  }
  return counts;
}

/** Runs the child under cachegrind and sums what it counted. */
function countRun(workloadIndex: number, library: string, updates: number): Counts {
  const file = join(tmpdir(), `restate-count-${process.pid}-${workloadIndex}-${updates}.out`);
  const result = spawnSync(
    'valgrind',
    ['--tool=cachegrind', '--cache-sim=yes', `--cachegrind-out-file=${file}`, process.execPath, ...NODE_FLAGS, process.argv[1], '--child', String(workloadIndex), library, String(updates)],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  try {
    if (result.status !== 0) {
      throw new Error(`cachegrind of workload ${workloadIndex + 1} for ${library} failed (exit ${result.status}): ${result.stderr.slice(-600)}`);
    }
    return readCachegrindFile(file);
  } finally {
    rmSync(file, { force: true });
  }
}

function valgrindAvailable(): boolean {
  return spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status === 0;
}

export function runCountBench(libraries: readonly string[], workloadNumbers: readonly number[]): void {
  if (!valgrindAvailable()) {
    console.log('bench:count needs valgrind (Debian: apt-get install valgrind); skipped.');
    return;
  }
  peerWorkloads.forEach((workload, workloadIndex) => {
    if (!workloadNumbers.includes(workloadIndex + 1)) return;
    const { warmUp, measured } = STRETCHES[workloadIndex];
    const rows: { library: string; perUpdate: Counts }[] = [];
    const chosen = workload.contenders.filter((contender) => libraries.includes(contender.name));
    for (const { name: library } of chosen) {
      const base = countRun(workloadIndex, library, warmUp);
      const full = countRun(workloadIndex, library, warmUp + measured);
      const per = (key: keyof Counts): number => (full[key] - base[key]) / measured;
      rows.push({ library, perUpdate: { instructions: per('instructions'), gcInstructions: per('gcInstructions'), d1ReadMisses: per('d1ReadMisses'), d1WriteMisses: per('d1WriteMisses') } });
    }
    const baseline = rows.find((row) => row.library === 'restate')?.perUpdate.instructions ?? rows[0]?.perUpdate.instructions ?? 1;
    const format = (value: number): string => Math.round(value).toLocaleString('en-US');
    printCells(
      `${workload.title.split(';')[0]}: per update, counted over updates ${warmUp + 1}–${warmUp + measured}`,
      ['library', 'instructions', 'ratio to "restate"', 'outside the GC', 'L1 data read misses', 'L1 data write misses'],
      rows.map(({ library, perUpdate }) => [
        library,
        format(perUpdate.instructions),
        `${(perUpdate.instructions / baseline).toFixed(2)}×`,
        format(perUpdate.instructions - perUpdate.gcInstructions),
        format(perUpdate.d1ReadMisses),
        format(perUpdate.d1WriteMisses),
      ]),
    );
  });
}

/**
 * `mobx (reaction)` is left out unless named: it rereads all 1,000 names on each of workload 4's writes,
 * which under cachegrind takes the better part of an hour.
 */
const DEFAULT_LIBRARIES = ['restate', 'mobx', 'mobx (observe each)'];

/** The workloads and libraries the command line asks for; an unknown one is an error that names it. */
export function parseCountArguments(args: readonly string[]): { libraries: string[]; workloadNumbers: number[] } {
  const only = args.indexOf('--workloads');
  let workloadNumbers = peerWorkloads.map((_, i) => i + 1);
  if (only !== -1) {
    const list = args[only + 1] ?? '';
    workloadNumbers = list.split(',').map(Number);
    const wrong = workloadNumbers.find((n) => !Number.isInteger(n) || n < 1 || n > peerWorkloads.length);
    if (list === '' || wrong !== undefined) throw new Error(`--workloads takes numbers from 1 to ${peerWorkloads.length} separated by commas, got ${JSON.stringify(list)}`);
  }
  const named = args.filter((_, i) => only === -1 || (i !== only && i !== only + 1));
  const known = new Set(peerWorkloads.flatMap((workload) => workload.contenders.map((contender) => contender.name)));
  const unknown = named.filter((library) => !known.has(library));
  if (unknown.length > 0) throw new Error(`no library named ${unknown.map((name) => JSON.stringify(name)).join(', ')}; the libraries are ${[...known].join(', ')}`);
  return { libraries: named.length > 0 ? named : DEFAULT_LIBRARIES, workloadNumbers };
}

if (isEntryPoint('count')) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') runUpdates(Number(args[1]), args[2], Number(args[3]));
  else {
    const { libraries, workloadNumbers } = parseCountArguments(args);
    runCountBench(libraries, workloadNumbers);
  }
}
