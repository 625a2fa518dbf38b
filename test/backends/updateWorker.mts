// One of several processes that increment a counter through update(), for the tests of S129:
//   node --import tsx test/backends/updateWorker.mts <kind> <folder or url> <prefix> <times>
// Kinds: fs, fs-sync, redis; caching-fs, caching-fs-sync (a cache over the folder); hybrid-fs, hybrid-fs-sync
// (the folder mounted at /m of a hybrid backend, so the counter is /m/counter there and /counter in the folder).
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  ControllerAsync,
  ControllerSync,
  FileSystemAsyncBackend,
  FileSystemSyncBackend,
  HybridAsyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
} from '../../extension/restate/index';
import { RedisBackend } from '../../extension/restate/redis';

const [kind, where, prefix, timesText] = process.argv.slice(2);
const times = Number(timesText);
const increment = (value: unknown): number => (typeof value === 'number' ? value : 0) + 1;

if (kind === 'fs-sync' || kind === 'caching-fs-sync' || kind === 'hybrid-fs-sync') {
  const folder = new FileSystemSyncBackend(where);
  const hybrid = new HybridSyncBackend(new InMemoryBackend());
  hybrid.mount('/m', folder);
  const cache = new CachingSyncBackend(folder);
  const backend = kind === 'fs-sync' ? folder : kind === 'caching-fs-sync' ? cache : hybrid;
  const c = new ControllerSync(backend, { followBackend: false });
  const path = kind === 'hybrid-fs-sync' ? '/m/counter' : '/counter';
  for (let i = 0; i < times; i++) c.update(path, increment);
  cache.close();
} else if (kind === 'caching-fs' || kind === 'hybrid-fs') {
  const folder = new FileSystemAsyncBackend(where);
  const hybrid = new HybridAsyncBackend(new InMemoryBackend());
  hybrid.mount('/m', folder);
  const cache = new CachingAsyncBackend(folder);
  const c = new ControllerAsync(kind === 'caching-fs' ? cache : hybrid, { followBackend: false });
  const path = kind === 'hybrid-fs' ? '/m/counter' : '/counter';
  for (let i = 0; i < times; i++) await c.update(path, increment);
  await cache.close();
} else {
  const backend = kind === 'redis' ? new RedisBackend({ url: where, prefix, onWarning: () => undefined }) : new FileSystemAsyncBackend(where);
  const c = new ControllerAsync(backend, { followBackend: false });
  for (let i = 0; i < times; i++) await c.update('/counter', increment, { tries: 1000 });
  if (backend instanceof RedisBackend) await backend.close();
}
