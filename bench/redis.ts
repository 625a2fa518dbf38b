/**
 * RedisBackend against the same client's bare commands, on a redis-server of its own (a free loopback port,
 * a temporary folder, no persistence), started and stopped here:
 *   1. One request at a time: RedisBackend.write / read against bare SET / GET.
 *   2. Many writes in flight (the client pipelines what is sent in one tick): bare SET, then what a write
 *      adds step by step: a Lua script, the script's hash fields, its change log entry, RedisBackend.write.
 *   3. Latency from setState in one process to the notification in another (ControllerAsync on both
 *      sides, loopback), p50 / p90 / p99 / p99.9 / max, with the machine's load average before and after:
 *      on a shared machine the tail is the scheduler's as much as ours.
 *   4. Remote changes delivered per second to one subscriber in another process, live and from a backlog.
 *
 * Run with `npm run bench:redis`. The follower side of 3 and 4 is this same file, started as a child
 * process with `follow <url> <prefix> <mode> <count>`.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { createClient } from '@redis/client';
import { ControllerAsync } from '../extension/restate/index';
import { WRITE_SCRIPT } from '../extension/restate/backends/redis/scripts';
import { RedisBackend } from '../extension/restate/redis';
import { startRedisServer } from '../test/backends/redisServer';
import { isEntryPoint, median, printCells, printTable, type Row } from './table';

const SEQUENTIAL = 3_000;
const IN_FLIGHT = 20_000;
const LATENCY_SAMPLES = 5_000;
const LATENCY_GAP_MS = 1;
const DELIVERIES = 20_000;
/** How long the follower is kept busy while the writer fills the log, for the backlog row. */
const BACKLOG_HOLD_MS = 4_000;
const RUNS = 5;

type Client = ReturnType<typeof createClient>;

/**
 * The median rate of each body over RUNS runs of `operations` operations, after one warm-up run each. The
 * runs go round the bodies, each round starting one later, so that a slow spell of the shared machine falls
 * on all of them rather than on one.
 */
async function rates(operations: number, bodies: readonly (() => Promise<void>)[]): Promise<number[]> {
  for (const body of bodies) await body();
  const measured = bodies.map((): number[] => []);
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < bodies.length; k++) {
      const index = (run + k) % bodies.length;
      const started = performance.now();
      await bodies[index]();
      measured[index].push(operations / ((performance.now() - started) / 1000));
    }
  }
  return measured.map(median);
}

async function sequentialRows(client: Client, backend: RedisBackend): Promise<Row[]> {
  const value = JSON.stringify({ name: 'Alice', age: 42 });
  const parsed = { name: 'Alice', age: 42 };
  const [bareSet, write, bareGet, read] = await rates(SEQUENTIAL, [
    async () => {
      for (let i = 0; i < SEQUENTIAL; i++) await client.set(`bare:${i % 100}`, value);
    },
    async () => {
      for (let i = 0; i < SEQUENTIAL; i++) await backend.write(`/seq/${i % 100}`, parsed);
    },
    async () => {
      for (let i = 0; i < SEQUENTIAL; i++) JSON.parse((await client.get(`bare:${i % 100}`)) ?? 'null');
    },
    async () => {
      for (let i = 0; i < SEQUENTIAL; i++) await backend.read(`/seq/${i % 100}`);
    },
  ]);
  return [
    { name: 'bare SET', opsPerSecond: bareSet },
    { name: 'RedisBackend.write', opsPerSecond: write, note: `${(write / bareSet).toFixed(2)}× bare SET (goal ≥ 0.7×)` },
    { name: 'bare GET + JSON.parse', opsPerSecond: bareGet },
    { name: 'RedisBackend.read (a leaf)', opsPerSecond: read, note: `${(read / bareGet).toFixed(2)}× bare GET (goal ≥ 0.7×)` },
  ];
}

/** Scripts that do part of what the write script does, to see where a write's time goes. */
const SCRIPT_SET = "redis.call('SET', KEYS[1], ARGV[1]) return 1";
const SCRIPT_FIELDS = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) redis.call('ZADD', KEYS[2], 0, ARGV[1]) redis.call('HINCRBY', KEYS[3], ARGV[1], 1) return 1";
const SCRIPT_FIELDS_LOG = `${SCRIPT_FIELDS.slice(0, -'return 1'.length)} redis.call('XADD', KEYS[4], 'MAXLEN', '~', '10000', '*', 'path', ARGV[1], 'kind', 'write', 'value', ARGV[2], 'client', 'bench') return 1`;

async function inFlightRows(client: Client, backend: RedisBackend): Promise<Row[]> {
  const value = JSON.stringify({ name: 'Alice', age: 42 });
  const parsed = { name: 'Alice', age: 42 };
  const paths = Array.from({ length: IN_FLIGHT }, (_, i) => `/flight/${i % 1000}`);
  const shas = new Map<string, string>();
  for (const source of [SCRIPT_SET, SCRIPT_FIELDS, SCRIPT_FIELDS_LOG, WRITE_SCRIPT]) shas.set(source, String(await client.sendCommand(['SCRIPT', 'LOAD', source])));
  // Each script has keys of its own: the first writes a string where the others keep hashes.
  const script = (source: string, keyCount: number) => async (): Promise<void> => {
    const sha = shas.get(source)!;
    const tag = sha.slice(0, 8);
    const keys = [`bench:{${tag}}:values`, `bench:{${tag}}:children`, `bench:{${tag}}:versions`, `bench:{${tag}}:log`].slice(0, keyCount);
    await Promise.all(paths.map((path) => client.sendCommand(['EVALSHA', sha, String(keyCount), ...keys, path, value])));
  };
  const writeSha = shas.get(WRITE_SCRIPT)!;
  const writeKeys = ['restate:{raw}:values', 'restate:{raw}:children', 'restate:{raw}:log', 'restate:{raw}:versions'];
  const [bare, bareTyped, scriptSet, scriptFields, scriptLog, writeScript, write] = await rates(IN_FLIGHT, [
    async () => {
      await Promise.all(paths.map((path) => client.sendCommand(['SET', `bare${path}`, value])));
    },
    async () => {
      await Promise.all(paths.map((path) => client.set(`bare${path}`, value)));
    },
    script(SCRIPT_SET, 1),
    script(SCRIPT_FIELDS, 3),
    script(SCRIPT_FIELDS_LOG, 4),
    async () => {
      await Promise.all(paths.map((path) => client.sendCommand(['EVALSHA', writeSha, '4', ...writeKeys, path, value, 'bench', '10000', ''])));
    },
    async () => {
      await Promise.all(paths.map((path) => backend.write(path, parsed)));
    },
  ]);
  const rows: Row[] = [{ name: 'bare SET, pipelined', opsPerSecond: bare, note: 'client.sendCommand, as RedisBackend sends' }];
  const step = (name: string, opsPerSecond: number, what: string): void => {
    const extra = 1e6 / opsPerSecond - 1e6 / bare;
    rows.push({ name, opsPerSecond, note: `${what}; +${extra.toFixed(2)} µs a write over bare SET` });
  };
  step('client.set (typed command)', bareTyped, "node-redis's typed command layer");
  step('EVALSHA: SET in a Lua script', scriptSet, 'the cost of a script call');
  step('EVALSHA: HSET + ZADD + HINCRBY', scriptFields, 'value, children index, version');
  step('EVALSHA: those + XADD to the log', scriptLog, 'plus the change log entry');
  step("EVALSHA: RedisBackend's write script", writeScript, 'the real script: also the old value into the log entry and the version (an overwrite skips the children index)');
  step('RedisBackend.write, pipelined', write, 'plus the client side: path and name checks, JSON, promises');
  return rows;
}

/** Starts this file as the follower process; resolves to its one line of JSON output once it is done. */
function startFollower(url: string, prefix: string, mode: 'latency' | 'count', count: number): { ready: Promise<void>; result: Promise<unknown>; hold(ms: number): Promise<void> } {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], 'follow', url, prefix, mode, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  let onHolding: () => void = () => undefined;
  const result = new Promise<unknown>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else if (line === 'holding') onHolding();
      else resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`the follower exited with ${code}`)));
  });
  const hold = (ms: number): Promise<void> => {
    const holding = new Promise<void>((resolve) => {
      onHolding = resolve;
    });
    child.stdin.write(`hold ${ms}\n`);
    return holding;
  };
  return { ready, result, hold };
}

/** The follower: a controller over the same tree that subscribes to /bench and reports what it saw. */
async function follow(url: string, prefix: string, mode: string, count: number): Promise<void> {
  const backend = new RedisBackend({ url, prefix, onWarning: () => undefined, logLength: 1_000_000 });
  const controller = new ControllerAsync(backend);
  const latencies: number[] = [];
  let received = 0;
  let first = 0;
  // After a hold, the rate counts only what came after it: the backlog, delivered at this side's own pace.
  let countFrom: number | undefined;
  let receivedBeforeCount = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  controller.subscribe('/bench', (event) => {
    if (event.emittingPath !== '/bench/ping') return;
    const now = performance.timeOrigin + performance.now();
    if (received === 0) first = now;
    received++;
    if (mode === 'latency') latencies.push(now - (event.newValue as { sent: number }).sent);
    if (received === count) {
      const perSecond = countFrom === undefined ? (received - 1) / ((now - first) / 1000) : (received - receivedBeforeCount) / ((now - countFrom) / 1000);
      process.stdout.write(JSON.stringify(mode === 'latency' ? { latencies } : { received, perSecond, beforeHold: receivedBeforeCount }) + '\n');
      done();
    }
  });
  // The log follower starts reading with the first command: a read makes sure it is connected.
  await backend.read('/', null);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // `hold <ms>` keeps this process busy, so that the writer's changes wait in the log and are then
  // delivered as fast as this side can: its own rate, whatever the writer's.
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const [word, ms] = line.split(' ');
    if (word !== 'hold') return;
    // Writes to a pipe are synchronous on Linux: the writer hears of the hold before it starts.
    process.stdout.write('holding\n');
    const until = performance.now() + Number(ms);
    while (performance.now() < until) {
      // busy on purpose
    }
    countFrom = performance.timeOrigin + performance.now();
    receivedBeforeCount = received;
  });
  process.stdout.write('ready\n');
  await finished;
  commands.close();
  controller.stopFollowing();
  await backend.close();
}

async function remoteRows(url: string): Promise<{ latency: string[][]; delivery: Row[] }> {
  const prefix = 'remote';
  const writerBackend = new RedisBackend({ url, prefix, onWarning: () => undefined, logLength: 1_000_000 });
  const writer = new ControllerAsync(writerBackend, { followBackend: false });
  await writer.setState('/bench/ping', { sent: 0, i: -1 });

  // Nothing else of the benchmark runs meanwhile: only the writer here, the follower and the server.
  const latencyFollower = startFollower(url, prefix, 'latency', LATENCY_SAMPLES);
  await latencyFollower.ready;
  const loadBefore = loadavg()[0];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await writer.setState('/bench/ping', { sent: performance.timeOrigin + performance.now(), i });
    await new Promise((resolve) => setTimeout(resolve, LATENCY_GAP_MS));
  }
  const { latencies } = (await latencyFollower.result) as { latencies: number[] };
  const loadAfter = loadavg()[0];
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
  const latency = [[
    `${LATENCY_SAMPLES.toLocaleString('en-US')} setState calls, ${LATENCY_GAP_MS} ms apart`,
    at(0.5), at(0.9), at(0.99), at(0.999), sorted[sorted.length - 1].toFixed(2),
    `load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cpus().length} cores; goal p99 < 5 ms`,
  ]];

  const writeAll = async (): Promise<number> => {
    const started = performance.now();
    const chunk = 1_000;
    for (let i = 0; i < DELIVERIES; i += chunk) {
      await Promise.all(Array.from({ length: chunk }, (_, j) => writerBackend.write('/bench/ping', { sent: 0, i: i + j })));
    }
    return DELIVERIES / ((performance.now() - started) / 1000);
  };
  const live = startFollower(url, prefix, 'count', DELIVERIES);
  await live.ready;
  const written = await writeAll();
  const { perSecond: liveRate } = (await live.result) as { perSecond: number };

  const backlog = startFollower(url, prefix, 'count', DELIVERIES);
  await backlog.ready;
  await backlog.hold(BACKLOG_HOLD_MS);
  const heldStarted = performance.now();
  await writeAll();
  const writtenInHold = performance.now() - heldStarted < BACKLOG_HOLD_MS;
  const { perSecond: backlogRate, beforeHold } = (await backlog.result) as { perSecond: number; beforeHold: number };
  await writerBackend.close();
  return {
    latency,
    delivery: [
      { name: 'writer: RedisBackend.write, 1,000 in flight', opsPerSecond: written },
      { name: 'follower, while the writer writes', opsPerSecond: liveRate, note: 'bounded by the writer' },
      {
        name: 'follower, from a backlog in the log',
        opsPerSecond: backlogRate,
        note: `the follower's own rate, counted from the end of the hold (goal ≥ 20k/s)${beforeHold > 0 ? `; ${beforeHold} came before it` : ''}${writtenInHold ? '' : '; the writer outlasted the hold, so this is partly live'}`,
      },
    ],
  };
}

export async function runRedisBench(): Promise<void> {
  const [one, five, fifteen] = loadavg();
  console.log(`Load average at the start: ${one.toFixed(1)} / ${five.toFixed(1)} / ${fifteen.toFixed(1)} (1 / 5 / 15 min) on ${cpus().length} cores`);
  const server = await startRedisServer();
  const client: Client = createClient({ url: server.url });
  client.on('error', () => undefined);
  await client.connect();
  const backend = new RedisBackend({ url: server.url, prefix: 'bench', onWarning: () => undefined });
  try {
    printTable(`RedisBackend against bare @redis/client commands, one request at a time (ops/s, median of ${RUNS} runs of ${SEQUENTIAL.toLocaleString('en-US')})`, await sequentialRows(client, backend), 'bare SET', 'operation');
    printTable(`Writes in flight: ${IN_FLIGHT.toLocaleString('en-US')} sent at once and pipelined by the client (writes/s, median of ${RUNS} runs, each step adds to the one above)`, await inFlightRows(client, backend), 'bare SET, pipelined', 'operation');
    const { latency, delivery } = await remoteRows(server.url);
    printCells('Latency from setState in process A to the notification in process B (ms, loopback)', ['workload', 'p50', 'p90', 'p99', 'p99.9', 'max', 'note'], latency);
    printTable(`Remote changes delivered to one subscriber in another process (${DELIVERIES.toLocaleString('en-US')} writes)`, delivery, delivery[0].name, 'side');
  } finally {
    await backend.close();
    client.destroy();
    await server.dispose();
  }
}

if (isEntryPoint('redis')) {
  const [command, url, prefix, mode, count] = process.argv.slice(2);
  if (command === 'follow') void follow(url, prefix, mode, Number(count));
  else void runRedisBench();
}
