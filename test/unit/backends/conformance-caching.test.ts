import { CachingAsyncBackend, CachingSyncBackend, InMemoryBackend } from '../../../extension/restate/index';
import type { CachingOptions } from '../../../extension/restate/index';
import { runConformance } from '../../backends/conformance';
import { promisedBackend } from '../../backends/helpers';

const variants: [string, CachingOptions][] = [
  ['defaults', {}],
  ['flushInterval 0', { flushInterval: 0 }],
  ['flushInterval 3600, ops stay pending', { flushInterval: 3600 }],
  ['flushOnRead, no write or delete trigger', { flushInterval: 0, flushOnRead: true, flushOnWrite: false, flushOnDelete: false }],
];

for (const [label, options] of variants) {
  runConformance(`CachingSyncBackend over memory (${label})`, async () => {
    const backend = new CachingSyncBackend(new InMemoryBackend(), options);
    return { backend, cleanup: async () => backend.close() };
  });

  runConformance(`CachingAsyncBackend over memory (${label})`, async () => {
    const backend = new CachingAsyncBackend(new InMemoryBackend(), options);
    return { backend, cleanup: () => backend.close() };
  });

  runConformance(`CachingAsyncBackend over an async backend (${label})`, async () => {
    const backend = new CachingAsyncBackend(promisedBackend(), options);
    return { backend, cleanup: () => backend.close() };
  });
}

runConformance('CachingSyncBackend over memory, persistent across instances (flushInterval 3600)', async () => {
  const store = new InMemoryBackend();
  let current = new CachingSyncBackend(store, { flushInterval: 3600 });
  return {
    backend: current,
    reopen: async () => {
      current.close();
      current = new CachingSyncBackend(store, { flushInterval: 3600 });
      return current;
    },
    cleanup: async () => current.close(),
  };
}, { persistent: true, rejectsUnserializable: false });

runConformance('CachingAsyncBackend over an async backend, persistent across instances (flushInterval 3600)', async () => {
  const store = promisedBackend();
  let current = new CachingAsyncBackend(store, { flushInterval: 3600 });
  return {
    backend: current,
    reopen: async () => {
      await current.close();
      current = new CachingAsyncBackend(store, { flushInterval: 3600 });
      return current;
    },
    cleanup: () => current.close(),
  };
}, { persistent: true, rejectsUnserializable: false });
