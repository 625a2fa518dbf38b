// The hybrid runs the contract with mounts placed on the paths the contract uses, so parent reads, listings and
// deletes cross mount points (nested ones too) in almost every test.
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  HybridAsyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
} from '../../../extension/restate/index';
import { runConformance } from '../../backends/conformance';
import { promisedBackend } from '../../backends/helpers';

const MOUNT_POINTS = ['/a/b', '/a/b/c', '/t/gone', '/o', '/u/v', '/names/a.b', '/sib/c', '/m/y', '/keep/child'];

runConformance('HybridSyncBackend (memory root, memory mounts)', async () => {
  const hybrid = new HybridSyncBackend(new InMemoryBackend());
  for (const path of MOUNT_POINTS) hybrid.mount(path, new InMemoryBackend());
  return { backend: hybrid };
});

runConformance('HybridSyncBackend (memory root, caching mounts)', async () => {
  const caches = MOUNT_POINTS.map((_, i) => new CachingSyncBackend(new InMemoryBackend(), { flushInterval: i % 2 === 0 ? 0 : 3600 }));
  const hybrid = new HybridSyncBackend(new InMemoryBackend());
  MOUNT_POINTS.forEach((path, i) => hybrid.mount(path, caches[i]));
  return { backend: hybrid, cleanup: async () => caches.forEach((c) => c.close()) };
});

runConformance('HybridAsyncBackend (memory root, sync and async mounts)', async () => {
  const hybrid = new HybridAsyncBackend(new InMemoryBackend());
  MOUNT_POINTS.forEach((path, i) => hybrid.mount(path, i % 2 === 0 ? promisedBackend() : new InMemoryBackend()));
  return { backend: hybrid };
});

runConformance('HybridAsyncBackend (async root, mixed mounts)', async () => {
  const cache = new CachingAsyncBackend(promisedBackend(), { flushInterval: 3600 });
  const hybrid = new HybridAsyncBackend(promisedBackend());
  hybrid.mount('/a/b', new InMemoryBackend());
  hybrid.mount('/a/b/c', promisedBackend());
  hybrid.mount('/t/gone', cache);
  hybrid.mount('/o', promisedBackend());
  hybrid.mount('/u/v', new InMemoryBackend());
  return { backend: hybrid, cleanup: () => cache.close() };
});
