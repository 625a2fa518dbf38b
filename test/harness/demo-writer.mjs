// Keeps the demo's state changing, as an app using restate would. In a state folder, it opens restate's
// ControllerAsync on the folder, defines two derivations and a tracker in code (under /writer), and opens an
// inspector, so the State Explorer lists it under "Running apps" and shows its graph; then every second it
// writes /clock ({"time": …, "date": …}) and /counter through the controller (atomic writes, in the bytes
// Python's json.dumps produces), which sets off its derivations and tracker. With --redis, it seeds a small
// tree in Redis through restate's RedisBackend, then every second bumps /requests and starts one session
// under /sessions and ends the oldest. restate loads through tsx, so that this stays plain .mjs like the harness.
//
//   node test/harness/demo-writer.mjs <state folder> [interval ms]
//   node test/harness/demo-writer.mjs --redis <redis://host:port> <prefix> [interval ms]
import { tsImport } from 'tsx/esm/api';

const usage = 'usage: node test/harness/demo-writer.mjs <state folder> [interval ms]\n'
  + '       node test/harness/demo-writer.mjs --redis <redis://host:port> <prefix> [interval ms]';
const args = process.argv.slice(2);
const redis = args[0] === '--redis';
const [target, prefix] = redis ? args.slice(1) : args;
const intervalArg = redis ? args[3] : args[1];
if (!target || (redis && !prefix)) {
  console.error(usage);
  process.exit(2);
}
const intervalMs = Number(intervalArg ?? 1000);

if (redis) await writeRedis(target, prefix);
else await writeFolder(target);

async function writeFolder(stateFolder) {
  const { ControllerAsync, FileSystemAsyncBackend, inspect } = await tsImport('../../extension/restate/index.ts', import.meta.url);
  const state = new ControllerAsync(new FileSystemAsyncBackend(stateFolder));
  // The app's own derived state: the workspace's .vscode/restate.jsonc defines more, which the explorer runs.
  await state.derive('/writer/parity', '/counter', (counter) => (typeof counter === 'number' ? (counter % 2 === 0 ? 'even' : 'odd') : null));
  await state.derive('/writer/minute', '/clock', (clock) => (typeof clock?.time === 'string' ? clock.time.slice(0, 5) : null));
  await state.track(async function summary(event) {
    const counter = await event.getState('/counter');
    const parity = await event.getState('/writer/parity');
    await state.setState('/writer/summary', `counter ${counter} is ${parity}`);
  });
  const inspector = await inspect(state, { name: 'demo-writer' });
  let counter = 0;
  let busy = false;
  const tick = async () => {
    const now = new Date();
    await state.setState('/clock', { time: now.toTimeString().slice(0, 8), date: now.toISOString().slice(0, 10) });
    await state.setState('/counter', ++counter);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick().catch((error) => console.error(`[demo-writer] cannot write to ${stateFolder}: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  await tick();
  const stop = () => {
    clearInterval(timer);
    void inspector.dispose().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function writeRedis(url, treePrefix) {
  const { seedDemoTree, tickDemoTree } = await import('./demo-redis.mjs');
  // One load of the library's modules, so that the backend is the RedisBackend the inspector knows.
  const { ControllerAsync, RedisBackend, inspectOverRedis } = await tsImport('./demo-service.ts', import.meta.url);
  const backend = new RedisBackend({ url, prefix: treePrefix });
  // The service writes through a controller with derived state of its own, and opens an inspector over
  // Redis: the explorer lists it under the Redis root and shows its graph.
  const state = new ControllerAsync(backend);
  const writes = { write: (path, value) => state.setState(path, value), delete: (path) => state.delState(path) };
  await seedDemoTree(writes);
  await state.derive('/stats/activeUsers', '/sessions', (sessions) =>
    new Set(Object.values(sessions ?? {}).map((session) => session?.user)).size);
  const inspector = await inspectOverRedis(state, { name: 'demo-service' });
  let tick = 0;
  let busy = false;
  let failing = false;
  const timer = setInterval(() => {
    // A tick waits for the one before it: while the server is away, writes wait for the reconnection.
    if (busy) return;
    busy = true;
    tickDemoTree(writes, tick + 1).then(() => {
      tick++;
      failing = false;
    }, (error) => {
      // Said once per outage: the backend reconnects by itself, and the tick is tried again.
      if (!failing) console.error(`[demo-writer] cannot write to ${url} (${treePrefix}): ${error instanceof Error ? error.message : String(error)}`);
      failing = true;
    }).finally(() => {
      busy = false;
    });
  }, intervalMs);
  const stop = () => {
    clearInterval(timer);
    void inspector.dispose().finally(() => backend.close()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
