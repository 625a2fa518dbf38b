/**
 * restate side by side with the reactive libraries people would otherwise pick: alien-signals,
 * @preact/signals-core, MobX and Valtio, on seven workloads written idiomatically for each library.
 * bench/README.md says what each workload does in each library. Every run is checked against the values
 * it must have computed, so no library is timed doing nothing.
 *
 * Run with `npm run bench:peers` (it passes --expose-gc for the memory workload). It runs at Node's default
 * stack size, as users' programs do: a library that needs a deeper stack for a chain fails that row.
 */
import * as alien from 'alien-signals';
import * as preact from '@preact/signals-core';
import { action, autorun, computed, observable, observe, reaction, type IComputedValue, type IObservableValue } from 'mobx';
import { proxy, subscribe } from 'valtio/vanilla';
import { watch } from 'valtio/vanilla/utils';
import { ControllerSync, InMemoryBackend } from '../extension/restate/index';
import { formatRate, isEntryPoint, median, printCells, printTable, type Row } from './table';

const RUNS = 7;
/** A run stops early once it has taken this long; ops/s stays comparable because every update does the same work. */
const RUN_BUDGET_MS = 400;

const CHAIN_LENGTH = 1_000;
const CHAIN_UPDATES = 10_000;
const LONG_CHAIN_LENGTH = 10_000;
const LONG_CHAIN_UPDATES = 1_000;
const FAN_WIDTH = 1_000;
const FAN_UPDATES = 1_000;
const TRACKERS = 1_000;
const DYNAMIC_UPDATES = 1_000;
const FLIP_EVERY = 10;
const USERS = 1_000;
/** More writes than the other workloads have updates: each write is cheap, and a run of 10k lasted only 25–50 ms, too short to time steadily. */
const USER_WRITES = 100_000;
const LEAVES = 100_000;

/** One library's prepared workload: `update(k)` makes the k-th update (k from 1); `verify(n)` checks the state after n. */
export interface Instance {
  update(k: number): void;
  verify(updates: number): void;
}

export interface Contender {
  readonly name: string;
  readonly note?: string;
  readonly prepare: () => Instance;
}

export interface Workload {
  readonly title: string;
  readonly updates: number;
  /** What one update is made of, for a workload whose cost is best read per part: a chain's cost per link. */
  readonly perUpdate?: { readonly count: number; readonly unit: string };
  readonly contenders: readonly Contender[];
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`wrong result: ${what}`);
}

/** A restate controller over an in-memory backend, with no depth limit (the default: S132 counts cycles, not depth). */
function newController(timeRuns: 'always' | 'when-observed' = 'when-observed'): ControllerSync {
  return new ControllerSync(new InMemoryBackend(), { timeRuns });
}

/**
 * restate as users get it, whose runs are timed only once someone looks at the graph or the trace, and
 * the same with every run timed for the graph's lastRunMs (S119), to show what the timing costs.
 */
function restateContenders(note: string, prepare: (controller: ControllerSync) => Instance): Contender[] {
  return [
    { name: 'restate', note, prepare: () => prepare(newController()) },
    { name: 'restate (runs timed)', note: "the same, with timeRuns: 'always'", prepare: () => prepare(newController('always')) },
  ];
}

// ---- 1. deep chain ---------------------------------------------------------------------------------

/** A chain of `length` derived values after one source, the end observed; every library recomputes every link per update. */
function chainWorkload(number: string, length: number, updates: number, what: string): Workload {
  const chainPaths = Array.from({ length: length + 1 }, (_, i) => `/chain/${i}`);
  const verifyChain = (end: number, observed: number, done: number, extraObservations: number): void => {
    check(end === done + length, `chain end ${end}, expected ${done + length}`);
    check(observed === done + extraObservations, `chain end observed ${observed} times, expected ${done + extraObservations}`);
  };
  return {
    title: `${number}. deep chain${what}: 1 source, ${length.toLocaleString('en-US')} derived values in a chain, the end observed; ops = source updates`,
    updates,
    perUpdate: { count: length, unit: 'link' },
    contenders: [
      ...restateContenders('derive per link, subscribe on the end', (controller) => {
        controller.setState(chainPaths[0], 0);
        for (let i = 1; i <= length; i++) controller.derive(chainPaths[i], chainPaths[i - 1], (value) => (value as number) + 1);
        let observed = 0;
        controller.subscribe(chainPaths[length], () => void observed++);
        return {
          update: (k) => void controller.setState(chainPaths[0], k),
          verify: (n) => verifyChain(controller.getState(chainPaths[length]) as number, observed, n, 0),
        };
      }),
      {
        name: 'alien-signals',
        note: 'computed per link, effect on the end',
        prepare: () => {
          const source = alien.signal(0);
          let last: () => number = source;
          for (let i = 1; i <= length; i++) {
            const previous = last;
            last = alien.computed(() => previous() + 1);
          }
          const end = last;
          let value = 0;
          let observed = 0;
          alien.effect(() => {
            value = end();
            observed++;
          });
          return { update: (k) => source(k), verify: (n) => verifyChain(value, observed, n, 1) };
        },
      },
      {
        name: '@preact/signals-core',
        note: 'computed per link, effect on the end',
        prepare: () => {
          const source = preact.signal(0);
          let last: preact.ReadonlySignal<number> = source;
          for (let i = 1; i <= length; i++) {
            const previous = last;
            last = preact.computed(() => previous.value + 1);
          }
          const end = last;
          let value = 0;
          let observed = 0;
          preact.effect(() => {
            value = end.value;
            observed++;
          });
          return { update: (k) => void (source.value = k), verify: (n) => verifyChain(value, observed, n, 1) };
        },
      },
      {
        name: 'mobx',
        note: 'computed per link, autorun on the end, writes in an action',
        prepare: () => {
          const source = observable.box(0);
          let last: IComputedValue<number> | IObservableValue<number> = source;
          for (let i = 1; i <= length; i++) {
            const previous = last;
            last = computed(() => previous.get() + 1);
          }
          const end = last;
          let value = 0;
          let observed = 0;
          autorun(() => {
            value = end.get();
            observed++;
          });
          const setSource = action((k: number) => source.set(k));
          return { update: setSource, verify: (n) => verifyChain(value, observed, n, 1) };
        },
      },
      {
        name: 'valtio',
        note: 'proxy per link, each kept by a sync subscribe on the previous one',
        prepare: () => {
          const links = Array.from({ length: length + 1 }, (_, i) => proxy({ value: i }));
          for (let i = 1; i <= length; i++) {
            const previous = links[i - 1];
            const current = links[i];
            subscribe(previous, () => void (current.value = previous.value + 1), true);
          }
          let observed = 0;
          subscribe(links[length], () => void observed++, true);
          return {
            update: (k) => void (links[0].value = k),
            verify: (n) => verifyChain(links[length].value, observed, n, 0),
          };
        },
      },
    ],
  };
}

const deepChainWorkload = chainWorkload('1', CHAIN_LENGTH, CHAIN_UPDATES, '');
/** The same chain ten times longer: restate runs it at Node's default stack size, which these scripts keep. */
const longChainWorkload = chainWorkload('1b', LONG_CHAIN_LENGTH, LONG_CHAIN_UPDATES, " at Node's default stack size");

// ---- 2. wide fan-out -------------------------------------------------------------------------------

const fanPaths = Array.from({ length: FAN_WIDTH }, (_, i) => `/fan/${i}`);

function verifyFan(sum: number, updates: number): void {
  const expected = FAN_WIDTH * updates + (FAN_WIDTH * (FAN_WIDTH - 1)) / 2;
  check(sum === expected, `fan-out sum ${sum}, expected ${expected}`);
}

const fanWorkload: Workload = {
  title: `2. wide fan-out: 1 source, ${FAN_WIDTH.toLocaleString('en-US')} derived values depending on it; ops = source updates`,
  updates: FAN_UPDATES,
  contenders: [
    ...restateContenders('derive per value (eager, stored)', (controller) => {
      controller.setState('/source', 0);
      for (let i = 0; i < FAN_WIDTH; i++) controller.derive(fanPaths[i], '/source', (value) => (value as number) + i);
      return {
        update: (k) => void controller.setState('/source', k),
        verify: (n) => verifyFan(fanPaths.reduce((sum, path) => sum + (controller.getState(path) as number), 0), n),
      };
    }),
    {
      name: 'alien-signals',
      note: 'computed per value, one effect reading them all',
      prepare: () => {
        const source = alien.signal(0);
        const values = Array.from({ length: FAN_WIDTH }, (_, i) => alien.computed(() => source() + i));
        let sum = 0;
        alien.effect(() => {
          let total = 0;
          for (const value of values) total += value();
          sum = total;
        });
        return { update: (k) => source(k), verify: (n) => verifyFan(sum, n) };
      },
    },
    {
      name: '@preact/signals-core',
      note: 'computed per value, one effect reading them all',
      prepare: () => {
        const source = preact.signal(0);
        const values = Array.from({ length: FAN_WIDTH }, (_, i) => preact.computed(() => source.value + i));
        let sum = 0;
        preact.effect(() => {
          let total = 0;
          for (const value of values) total += value.value;
          sum = total;
        });
        return { update: (k) => void (source.value = k), verify: (n) => verifyFan(sum, n) };
      },
    },
    {
      name: 'mobx',
      note: 'computed per value, one autorun reading them all',
      prepare: () => {
        const source = observable.box(0);
        const values = Array.from({ length: FAN_WIDTH }, (_, i) => computed(() => source.get() + i));
        let sum = 0;
        autorun(() => {
          let total = 0;
          for (const value of values) total += value.get();
          sum = total;
        });
        const setSource = action((k: number) => source.set(k));
        return { update: setSource, verify: (n) => verifyFan(sum, n) };
      },
    },
    {
      name: 'valtio',
      note: 'proxy per value, kept by a sync subscribe on the source',
      prepare: () => {
        const source = proxy({ value: 0 });
        const values = Array.from({ length: FAN_WIDTH }, (_, i) => proxy({ value: i }));
        values.forEach((derived, i) => subscribe(source, () => void (derived.value = source.value + i), true));
        return {
          update: (k) => void (source.value = k),
          verify: (n) => verifyFan(values.reduce((sum, derived) => sum + derived.value, 0), n),
        };
      },
    },
  ],
};

// ---- 3. dynamic dependencies -----------------------------------------------------------------------

/** The k-th update flips the flag every FLIP_EVERY updates, and otherwise writes k to `a` (k odd) or `b` (k even). */
type DynamicStep = 'flip' | 'a' | 'b';

function dynamicStep(k: number): DynamicStep {
  if (k % FLIP_EVERY === 0) return 'flip';
  return k % 2 === 1 ? 'a' : 'b';
}

/** What every tracked computation must hold after n updates, and how often it must have run. */
function expectedDynamic(updates: number): { value: number; runs: number } {
  let flag = false;
  let a = 0;
  let b = 0;
  let runs = 1;
  for (let k = 1; k <= updates; k++) {
    const step = dynamicStep(k);
    if (step === 'flip') {
      flag = !flag;
      runs++;
    } else if (step === 'a') {
      a = k;
      if (!flag) runs++;
    } else {
      b = k;
      if (flag) runs++;
    }
  }
  return { value: flag ? b : a, runs };
}

function verifyDynamic(results: readonly number[], runs: number, updates: number): void {
  const expected = expectedDynamic(updates);
  for (let i = 0; i < TRACKERS; i++) check(results[i] === expected.value + i, `tracker ${i} holds ${results[i]}, expected ${expected.value + i}`);
  check(runs === expected.runs * TRACKERS, `trackers ran ${runs} times, expected ${expected.runs * TRACKERS}`);
}

const dynamicWorkload: Workload = {
  title: `3. dynamic dependencies: ${TRACKERS.toLocaleString('en-US')} tracked computations reading a or b by a flag, flipped every ${FLIP_EVERY} updates; ops = updates`,
  updates: DYNAMIC_UPDATES,
  contenders: [
    ...restateContenders('track per computation, reads through event.getState', (controller) => {
      controller.setState('/flag', false);
      controller.setState('/a', 0);
      controller.setState('/b', 0);
      const results: number[] = new Array<number>(TRACKERS).fill(0);
      let runs = 0;
      for (let i = 0; i < TRACKERS; i++) {
        controller.track((event) => {
          const value = event.getState('/flag') === true ? event.getState('/b') : event.getState('/a');
          results[i] = (value as number) + i;
          runs++;
        });
      }
      return {
        update: (k) => {
          const step = dynamicStep(k);
          if (step === 'flip') controller.setState('/flag', controller.getState('/flag') !== true);
          else controller.setState(step === 'a' ? '/a' : '/b', k);
        },
        verify: (n) => verifyDynamic(results, runs, n),
      };
    }),
    {
      name: 'alien-signals',
      note: 'effect per computation',
      prepare: () => {
        const flag = alien.signal(false);
        const a = alien.signal(0);
        const b = alien.signal(0);
        const results: number[] = new Array<number>(TRACKERS).fill(0);
        let runs = 0;
        for (let i = 0; i < TRACKERS; i++) {
          alien.effect(() => {
            results[i] = (flag() ? b() : a()) + i;
            runs++;
          });
        }
        return {
          update: (k) => {
            const step = dynamicStep(k);
            if (step === 'flip') flag(!flag());
            else (step === 'a' ? a : b)(k);
          },
          verify: (n) => verifyDynamic(results, runs, n),
        };
      },
    },
    {
      name: '@preact/signals-core',
      note: 'effect per computation',
      prepare: () => {
        const flag = preact.signal(false);
        const a = preact.signal(0);
        const b = preact.signal(0);
        const results: number[] = new Array<number>(TRACKERS).fill(0);
        let runs = 0;
        for (let i = 0; i < TRACKERS; i++) {
          preact.effect(() => {
            results[i] = (flag.value ? b.value : a.value) + i;
            runs++;
          });
        }
        return {
          update: (k) => {
            const step = dynamicStep(k);
            if (step === 'flip') flag.value = !flag.peek();
            else (step === 'a' ? a : b).value = k;
          },
          verify: (n) => verifyDynamic(results, runs, n),
        };
      },
    },
    {
      name: 'mobx',
      note: 'autorun per computation, writes in an action',
      prepare: () => {
        const flag = observable.box(false);
        const a = observable.box(0);
        const b = observable.box(0);
        const results: number[] = new Array<number>(TRACKERS).fill(0);
        let runs = 0;
        for (let i = 0; i < TRACKERS; i++) {
          autorun(() => {
            results[i] = (flag.get() ? b.get() : a.get()) + i;
            runs++;
          });
        }
        const update = action((k: number) => {
          const step = dynamicStep(k);
          if (step === 'flip') flag.set(!flag.get());
          else (step === 'a' ? a : b).set(k);
        });
        return { update, verify: (n) => verifyDynamic(results, runs, n) };
      },
    },
    {
      name: 'valtio',
      note: 'watch({ sync: true }) per computation; one proxy per source',
      prepare: () => {
        const flag = proxy({ on: false });
        const a = proxy({ value: 0 });
        const b = proxy({ value: 0 });
        const results: number[] = new Array<number>(TRACKERS).fill(0);
        let runs = 0;
        for (let i = 0; i < TRACKERS; i++) {
          watch((get) => {
            results[i] = (get(flag).on ? get(b).value : get(a).value) + i;
            runs++;
          }, { sync: true });
        }
        return {
          update: (k) => {
            const step = dynamicStep(k);
            if (step === 'flip') flag.on = !flag.on;
            else (step === 'a' ? a : b).value = k;
          },
          verify: (n) => verifyDynamic(results, runs, n),
        };
      },
    },
  ],
};

// ---- 4. nested writes, subscriber on the parent ------------------------------------------------------

const userNamePaths = Array.from({ length: USERS }, (_, i) => `/users/${i}/name`);
const initialName = (i: number): string => `user ${i}`;
const writtenName = (k: number): string => `name ${k}`;

/**
 * The users that the random-order variant's writes rename, write k taking entry k mod USER_WRITES: a fixed
 * pseudo-random sequence (xorshift32 from a fixed seed), the same for every library and every run, so that a
 * cache that helps only when consecutive writes go to the same or neighbouring paths does not help here.
 */
const randomUsers: Uint16Array = (() => {
  const users = new Uint16Array(USER_WRITES);
  let state = 0x9e3779b9;
  for (let k = 0; k < USER_WRITES; k++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    users[k] = (state >>> 0) % USERS;
  }
  return users;
})();

interface WriteOrder {
  readonly title: string;
  /** The user that the k-th write renames. */
  readonly userOf: (k: number) => number;
}

const sequentialOrder: WriteOrder = { title: '4. nested writes', userOf: (k) => k % USERS };
const randomOrder: WriteOrder = { title: '4b. nested writes in random order', userOf: (k) => randomUsers[k % USER_WRITES] };

/** Each user's name after `updates` writes in `order`. */
function expectedNames(order: WriteOrder, updates: number): string[] {
  const names = Array.from({ length: USERS }, (_, i) => initialName(i));
  for (let k = 1; k <= updates; k++) names[order.userOf(k)] = writtenName(k);
  return names;
}

function verifyUsers(order: WriteOrder, nameOf: (user: number) => unknown, notified: number, updates: number, extraNotifications: number): void {
  const expected = expectedNames(order, updates);
  for (let i = 0; i < USERS; i++) check(nameOf(i) === expected[i], `user ${i} is named ${String(nameOf(i))}, expected ${expected[i]}`);
  check(notified === updates + extraNotifications, `parent notified ${notified} times, expected ${updates + extraNotifications}`);
}

function nestedWorkload(order: WriteOrder): Workload {
  // Every library reads the user from the same place, so the lookup costs each of them the same.
  const userOf = order.userOf;
  return {
    title: `${order.title}: ${USERS.toLocaleString('en-US')} users, one subscriber on the parent; ops = writes of one user's name`,
    updates: USER_WRITES,
    contenders: [
      {
        name: 'restate',
        note: "subscribe('/users'), setState('/users/<i>/name')",
        prepare: () => {
          const controller = newController();
          for (let i = 0; i < USERS; i++) controller.setState(userNamePaths[i], initialName(i));
          let notified = 0;
          controller.subscribe('/users', () => void notified++);
          return {
            update: (k) => void controller.setState(userNamePaths[userOf(k)], writtenName(k)),
            verify: (n) => verifyUsers(order, (i) => controller.getState(userNamePaths[i]), notified, n, 0),
          };
        },
      },
      {
        name: 'alien-signals',
        note: 'a signal per name; one effect reading every name',
        prepare: () => {
          const names = Array.from({ length: USERS }, (_, i) => alien.signal(initialName(i)));
          let notified = 0;
          alien.effect(() => {
            for (const name of names) name();
            notified++;
          });
          return { update: (k) => names[userOf(k)](writtenName(k)), verify: (n) => verifyUsers(order, (i) => names[i](), notified, n, 1) };
        },
      },
      {
        name: '@preact/signals-core',
        note: 'a signal per name; one effect reading every name',
        prepare: () => {
          const names = Array.from({ length: USERS }, (_, i) => preact.signal(initialName(i)));
          let notified = 0;
          preact.effect(() => {
            for (const name of names) void name.value;
            notified++;
          });
          return {
            update: (k) => void (names[userOf(k)].value = writtenName(k)),
            verify: (n) => verifyUsers(order, (i) => names[i].peek(), notified, n, 1),
          };
        },
      },
      {
        name: 'mobx (reaction)',
        note: 'deep observable; reaction on users.map(u => u.name)',
        prepare: () => {
          const store = observable({ users: Array.from({ length: USERS }, (_, i) => ({ name: initialName(i) })) });
          let notified = 0;
          reaction(() => store.users.map((user) => user.name), () => void notified++);
          const rename = action((k: number) => {
            store.users[userOf(k)].name = writtenName(k);
          });
          return { update: rename, verify: (n) => verifyUsers(order, (i) => store.users[i].name, notified, n, 0) };
        },
      },
      {
        name: 'mobx (observe each)',
        note: 'deep observable; observe() on every user object',
        prepare: () => {
          const store = observable({ users: Array.from({ length: USERS }, (_, i) => ({ name: initialName(i) })) });
          let notified = 0;
          for (const user of store.users) observe(user, () => void notified++);
          const rename = action((k: number) => {
            store.users[userOf(k)].name = writtenName(k);
          });
          return { update: rename, verify: (n) => verifyUsers(order, (i) => store.users[i].name, notified, n, 0) };
        },
      },
      {
        name: 'valtio',
        note: 'subscribe(state.users, cb, true) (sync)',
        prepare: () => {
          const state = proxy({ users: Array.from({ length: USERS }, (_, i) => ({ name: initialName(i) })) });
          let notified = 0;
          subscribe(state.users, () => void notified++, true);
          return {
            update: (k) => void (state.users[userOf(k)].name = writtenName(k)),
            verify: (n) => verifyUsers(order, (i) => state.users[i].name, notified, n, 0),
          };
        },
      },
    ],
  };
}

// ---- measuring -------------------------------------------------------------------------------------

function collectGarbage(): void {
  globalThis.gc?.();
}

interface Run {
  /** Updates per second of CPU time: the rate the tables compare. */
  readonly rate: number;
  /** Updates per second of wall time, over the same updates. */
  readonly wallRate: number;
  readonly done: number;
}

/**
 * One timed run on a fresh instance: updates until all are done or the budget is spent. The rate counts CPU
 * time (the process's, so a library's GC threads count too): on a shared machine, wall time also counts the
 * time another process held the core. The wall-time rate of the same updates is kept beside it.
 */
function timedRun(instance: Instance, updates: number): Run {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + RUN_BUDGET_MS;
  let done = 0;
  let now = started;
  while (done < updates) {
    instance.update(++done);
    now = performance.now();
    if (now > deadline) break;
  }
  const cpu = process.cpuUsage(cpuBefore);
  instance.verify(done);
  return { rate: done / ((cpu.user + cpu.system) / 1e6), wallRate: done / ((now - started) / 1000), done };
}

interface Measured {
  readonly contender: Contender;
  readonly runs: Run[];
  failure?: string;
}

/**
 * Every library gets one warm-up run, then the timed runs go round the libraries, each round starting one
 * library later: a slow spell of a shared machine then falls on all of them rather than on one library's
 * runs. A full collection comes first, but not between runs: a forced collection can make V8 drop optimised
 * code, which every library then pays for again over its next few thousand updates.
 */
function runWorkload(workload: Workload): Row[] {
  collectGarbage();
  const measured: Measured[] = workload.contenders.map((contender) => ({ contender, runs: [] }));
  const attempt = (entry: Measured, keep: boolean): void => {
    if (entry.failure !== undefined) return;
    try {
      const run = timedRun(entry.contender.prepare(), workload.updates);
      if (keep) entry.runs.push(run);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      entry.failure = `failed: ${message.split('\n')[0].slice(0, 120)}`;
    }
  };
  for (const entry of measured) attempt(entry, false);
  for (let round = 0; round < RUNS; round++) {
    for (let i = 0; i < measured.length; i++) attempt(measured[(round + i) % measured.length], true);
  }
  const rows = measured.map(({ contender, runs, failure }): Row => {
    if (failure !== undefined) return { name: contender.name, opsPerSecond: 0, note: failure };
    const fewest = Math.min(...runs.map((run) => run.done));
    const partial = fewest < workload.updates ? `; ran ${fewest.toLocaleString('en-US')}+ of ${workload.updates.toLocaleString('en-US')} updates per run` : '';
    const rate = median(runs.map((run) => run.rate));
    const per = workload.perUpdate;
    const perPart = per === undefined ? '' : `; ${Math.round(1e9 / rate / per.count)} ns per ${per.unit} (CPU)`;
    return {
      name: contender.name,
      opsPerSecond: rate,
      wallOpsPerSecond: median(runs.map((run) => run.wallRate)),
      note: (contender.note ?? '') + perPart + partial,
    };
  });
  printTable(`${workload.title} (median of ${RUNS} runs; ops per second of CPU time, and of wall time beside it)`, rows, 'restate', 'library');
  return rows;
}

// ---- 5. memory -------------------------------------------------------------------------------------

interface MemoryContender {
  readonly name: string;
  readonly note: string;
  /** Builds the leaves and returns a reader for leaf i, which keeps them alive. */
  readonly build: () => (i: number) => unknown;
}

const leafPaths = (): string[] => Array.from({ length: LEAVES }, (_, i) => `/leaves/${i}`);
const leafKeys = (): Record<string, number> => Object.fromEntries(Array.from({ length: LEAVES }, (_, i) => [String(i), i]));

const memoryContenders: readonly MemoryContender[] = [
  {
    name: 'restate',
    note: "setState('/leaves/<i>', i) on a fresh controller",
    build: () => {
      const controller = new ControllerSync(new InMemoryBackend());
      const paths = leafPaths();
      for (let i = 0; i < LEAVES; i++) controller.setState(paths[i], i);
      return (i) => controller.getState(`/leaves/${i}`);
    },
  },
  {
    name: 'alien-signals',
    note: 'an array of signals',
    build: () => {
      const leaves = Array.from({ length: LEAVES }, (_, i) => alien.signal(i));
      return (i) => leaves[i]();
    },
  },
  {
    name: '@preact/signals-core',
    note: 'an array of signals',
    build: () => {
      const leaves = Array.from({ length: LEAVES }, (_, i) => preact.signal(i));
      return (i) => leaves[i].peek();
    },
  },
  {
    name: 'mobx',
    note: 'observable({ leaves: { <i>: i } })',
    build: () => {
      const store = observable({ leaves: leafKeys() });
      return (i) => store.leaves[String(i)];
    },
  },
  {
    name: 'valtio',
    note: 'proxy({ leaves: { <i>: i } })',
    build: () => {
      const state = proxy({ leaves: leafKeys() });
      return (i) => state.leaves[String(i)];
    },
  },
];

/** Heap retained by what `build` makes, after full collections before and after. */
function retainedHeap(contender: MemoryContender): number {
  collectGarbage();
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const read = contender.build();
  collectGarbage();
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  for (const i of [0, 1, LEAVES / 2, LEAVES - 1]) check(read(i) === i, `${contender.name} leaf ${i} reads ${String(read(i))}`);
  return after - before;
}

function runMemory(): void {
  const title = `5. memory: heap retained by ${LEAVES.toLocaleString('en-US')} leaves (median of 3 runs)`;
  if (globalThis.gc === undefined) {
    console.log(`\n${title}\n\nskipped: run node with --expose-gc (npm run bench:peers does)`);
    return;
  }
  const results = memoryContenders.map((contender) => ({ contender, bytes: median([0, 1, 2].map(() => retainedHeap(contender))) }));
  const baseline = results[0].bytes;
  const header = ['library', 'heap used', 'bytes per leaf', 'ratio to "restate"', 'note'];
  const body = results.map(({ contender, bytes }) => [
    contender.name,
    `${(bytes / 1024 / 1024).toFixed(1)} MB`,
    formatRate(bytes / LEAVES),
    `${(bytes / baseline).toFixed(2)}×`,
    contender.note,
  ]);
  printCells(title, header, body);
}

/** Workloads 1–4 and 4b (the nested writes in random order), for bench/count.ts to run the same code under cachegrind. */
export const peerWorkloads: readonly Workload[] = [deepChainWorkload, fanWorkload, dynamicWorkload, nestedWorkload(sequentialOrder), nestedWorkload(randomOrder)];

/** Runs the seven workloads and prints one table each; ratios above 1 mean faster than restate. */
export function runPeersBench(): void {
  const [chain, ...others] = peerWorkloads;
  for (const workload of [chain, longChainWorkload, ...others]) runWorkload(workload);
  runMemory();
}

if (isEntryPoint('peers')) runPeersBench();
