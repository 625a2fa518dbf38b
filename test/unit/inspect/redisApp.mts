// An app that inspects a controller over Redis, for the inspector tests:
//   node --import tsx test/unit/inspect/redisApp.mts <redis url> <prefix> <name> <ttl ms>
// Writes {"ready":announcement} once announced, then waits to be killed.
import { ControllerAsync } from '../../../extension/restate/index';
import { RedisBackend, inspectOverRedis } from '../../../extension/restate/redis';

const [url, prefix, name, ttl] = process.argv.slice(2);
const controller = new ControllerAsync(new RedisBackend({ url, prefix }));
const inspector = await inspectOverRedis(controller, { name, ttlMs: Number(ttl) });
process.stdout.write(JSON.stringify({ ready: inspector.announcement }) + '\n');
setInterval(() => undefined, 60_000);
