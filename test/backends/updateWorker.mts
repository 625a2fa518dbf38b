// One of several processes that increment /counter through update(), for the tests of S129:
//   node --import tsx test/backends/updateWorker.mts <fs|fs-sync|redis> <folder or url> <prefix> <times>
import { ControllerAsync, ControllerSync, FileSystemAsyncBackend, FileSystemSyncBackend } from '../../extension/restate/index';
import { RedisBackend } from '../../extension/restate/redis';

const [kind, where, prefix, timesText] = process.argv.slice(2);
const times = Number(timesText);
const increment = (value: unknown): number => (typeof value === 'number' ? value : 0) + 1;

if (kind === 'fs-sync') {
  const c = new ControllerSync(new FileSystemSyncBackend(where));
  for (let i = 0; i < times; i++) c.update('/counter', increment);
} else {
  const backend = kind === 'redis' ? new RedisBackend({ url: where, prefix, onWarning: () => undefined }) : new FileSystemAsyncBackend(where);
  const c = new ControllerAsync(backend, { followBackend: false });
  for (let i = 0; i < times; i++) await c.update('/counter', increment, { tries: 1000 });
  if (backend instanceof RedisBackend) await backend.close();
}
