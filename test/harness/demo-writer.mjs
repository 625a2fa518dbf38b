// Keeps the demo's state changing, as an app using restate would. In a state folder, every second it writes
// /clock ({"time": …, "date": …}) and /counter, atomically (a hidden .tmp file renamed into place) and in
// the bytes Python's json.dumps produces. With --redis, it seeds a small tree in Redis through restate's
// RedisBackend, then every second bumps /requests and starts one session under /sessions and ends the oldest.
//
//   node test/harness/demo-writer.mjs <state folder> [interval ms]
//   node test/harness/demo-writer.mjs --redis <redis://host:port> <prefix> [interval ms]
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonJson } from './python-json.mjs';

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
else writeFolder(target);

function writeFolder(stateFolder) {
  const write = (name, value) => {
    const file = join(stateFolder, `${name}.json`);
    const temporary = join(stateFolder, `.${name}.json.${process.pid}.tmp`);
    writeFileSync(temporary, pythonJson(value));
    renameSync(temporary, file);
  };
  let counter = 0;
  const tick = () => {
    const now = new Date();
    write('clock', { time: now.toTimeString().slice(0, 8), date: now.toISOString().slice(0, 10) });
    write('counter', ++counter);
  };
  tick();
  setInterval(tick, intervalMs);
}

async function writeRedis(url, treePrefix) {
  const { openRedisBackend, seedDemoTree, tickDemoTree } = await import('./demo-redis.mjs');
  const backend = await openRedisBackend(url, treePrefix);
  await seedDemoTree(backend);
  let tick = 0;
  let busy = false;
  let failing = false;
  const timer = setInterval(() => {
    // A tick waits for the one before it: while the server is away, writes wait for the reconnection.
    if (busy) return;
    busy = true;
    tickDemoTree(backend, tick + 1).then(() => {
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
    void backend.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
