// The wrappers over the filesystem backends: caching over fs (sync and async) and hybrids with fs parts.
// The plain filesystem backends register themselves next to their own tests.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  FileSystemAsyncBackend,
  FileSystemSyncBackend,
  HybridAsyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
} from '../../../extension/restate/index';
import type { CachingOptions } from '../../../extension/restate/index';
import { runConformance } from '../../backends/conformance';
import type { ConformanceFixture } from '../../backends/conformance';
import { promisedBackend } from '../../backends/helpers';
import { extensionLocalAdapter } from './fs-helpers';

/** A value file that is not JSON, where the layout keeps the value of `statePath` (S82). */
function corruptFile(base: string, statePath: string): void {
  const file = join(base, ...statePath.slice(1).split('/')) + '.json';
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '{"broken": ');
}

function tempFolder(): { base: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'restate-wrappers-'));
  return { base: join(dir, '.state'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const cachingVariants: [string, CachingOptions][] = [
  ['flushInterval 0', { flushInterval: 0 }],
  ['flushInterval 3600, ops stay pending', { flushInterval: 3600 }],
];

for (const [label, options] of cachingVariants) {
  // Only an immediate flush lets the inner backend refuse a value at the write call itself (C24).
  const capabilities = { persistent: true, fsBacked: true, rejectsUnserializable: options.flushInterval === 0 };

  runConformance(`CachingSyncBackend over FileSystemSyncBackend (${label})`, async (): Promise<ConformanceFixture> => {
    const folder = tempFolder();
    let current = new CachingSyncBackend(new FileSystemSyncBackend(folder.base), options);
    return {
      backend: current,
      reopen: async () => {
        current.close();
        current = new CachingSyncBackend(new FileSystemSyncBackend(folder.base), options);
        return current;
      },
      corruptFile: async (statePath) => corruptFile(folder.base, statePath),
      cleanup: async () => {
        try {
          current.close();
        } finally {
          folder.remove();
        }
      },
    };
  }, capabilities);

  runConformance(`CachingAsyncBackend over FileSystemAsyncBackend (${label})`, async (): Promise<ConformanceFixture> => {
    const folder = tempFolder();
    let current = new CachingAsyncBackend(new FileSystemAsyncBackend(folder.base), options);
    return {
      backend: current,
      reopen: async () => {
        await current.close();
        current = new CachingAsyncBackend(new FileSystemAsyncBackend(folder.base), options);
        return current;
      },
      corruptFile: async (statePath) => corruptFile(folder.base, statePath),
      cleanup: async () => {
        try {
          await current.close();
        } finally {
          folder.remove();
        }
      },
    };
  }, capabilities);
}

// The stack the extension serves a local state folder with: a cache flushing at once, over the extension's adapter.
runConformance("CachingAsyncBackend (flushInterval 0) over FileSystemAsyncBackend over the extension's adapter for local folders", async (): Promise<ConformanceFixture> => {
  const folder = tempFolder();
  const make = (): CachingAsyncBackend => new CachingAsyncBackend(new FileSystemAsyncBackend(folder.base, { adapter: extensionLocalAdapter() }), { flushInterval: 0 });
  let current = make();
  return {
    backend: current,
    reopen: async () => {
      await current.close();
      current = make();
      return current;
    },
    corruptFile: async (statePath) => corruptFile(folder.base, statePath),
    cleanup: async () => {
      try {
        await current.close();
      } finally {
        folder.remove();
      }
    },
  };
}, { persistent: true, fsBacked: true, rejectsUnserializable: true });

// Mount points on the paths the contract uses, so its reads and deletes cross them.
const MEMORY_MOUNTS = ['/a/b', '/t/gone', '/u/v'];
const FS_MOUNTS = ['/a/b/c', '/o', '/names/a.b', '/sib/c', '/keep/child'];

runConformance('HybridSyncBackend (fs root, memory and fs mounts)', async (): Promise<ConformanceFixture> => {
  const root = tempFolder();
  const mounted = FS_MOUNTS.map(() => tempFolder());
  const memories = MEMORY_MOUNTS.map(() => new InMemoryBackend());
  const build = (): HybridSyncBackend => {
    const hybrid = new HybridSyncBackend(new FileSystemSyncBackend(root.base));
    MEMORY_MOUNTS.forEach((path, i) => hybrid.mount(path, memories[i]));
    FS_MOUNTS.forEach((path, i) => hybrid.mount(path, new FileSystemSyncBackend(mounted[i].base)));
    return hybrid;
  };
  return {
    backend: build(),
    reopen: async () => build(),
    corruptFile: async (statePath) => corruptFile(root.base, statePath),
    cleanup: async () => [root, ...mounted].forEach((folder) => folder.remove()),
  };
}, { persistent: true, fsBacked: true });

runConformance('HybridAsyncBackend (memory root, fs sync, fs async and promised mounts)', async (): Promise<ConformanceFixture> => {
  const folders = [tempFolder(), tempFolder(), tempFolder()];
  const hybrid = new HybridAsyncBackend(new InMemoryBackend());
  hybrid.mount('/a/b', new FileSystemAsyncBackend(folders[0].base));
  hybrid.mount('/a/b/c', promisedBackend());
  hybrid.mount('/t/gone', new FileSystemSyncBackend(folders[1].base));
  hybrid.mount('/o', new FileSystemAsyncBackend(folders[2].base));
  hybrid.mount('/u/v', new InMemoryBackend());
  return { backend: hybrid, cleanup: async () => folders.forEach((folder) => folder.remove()) };
});
