// batch (S113–S116) over every kind of backend: a batch commits and notifies once per path, and a failing
// batch puts every backend back as it was; for folders on disk, byte for byte.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
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
  type AsyncBackend,
  type Backend,
} from '../../../extension/restate/index';
import { runBatch } from '../core/batch-body';
import type { AnyController, ControllerKind } from '../core/controllers';

interface Fixture {
  readonly backend: Backend | AsyncBackend;
  /** The folder holding every file the backend writes, if it writes files. */
  readonly folder?: string;
  /** Makes sure the files reflect every write made so far. */
  readonly flush?: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

interface BackendCase {
  readonly name: string;
  /** Whether ControllerSync can drive it. */
  readonly sync: boolean;
  make(): Fixture;
}

function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), 'restate-batch-'));
}

function removing(folder: string): () => Promise<void> {
  return async () => rmSync(folder, { recursive: true, force: true });
}

const backendCases: readonly BackendCase[] = [
  { name: 'InMemoryBackend', sync: true, make: () => ({ backend: new InMemoryBackend(), cleanup: async () => {} }) },
  {
    name: 'FileSystemSyncBackend',
    sync: true,
    make: () => {
      const folder = tempFolder();
      return { backend: new FileSystemSyncBackend(join(folder, '.state')), folder, cleanup: removing(folder) };
    },
  },
  {
    name: 'FileSystemAsyncBackend',
    sync: false,
    make: () => {
      const folder = tempFolder();
      return { backend: new FileSystemAsyncBackend(join(folder, '.state')), folder, cleanup: removing(folder) };
    },
  },
  {
    name: 'HybridSyncBackend (fs root, memory mount at /tree/y, fs mount at /m)',
    sync: true,
    make: () => {
      const folder = tempFolder();
      const hybrid = new HybridSyncBackend(new FileSystemSyncBackend(join(folder, '.state')));
      hybrid.mount('/tree/y', new InMemoryBackend());
      hybrid.mount('/m', new FileSystemSyncBackend(join(folder, 'mounted')));
      return { backend: hybrid, folder, cleanup: removing(folder) };
    },
  },
  {
    name: 'HybridAsyncBackend (memory root, fs async mount at /tree)',
    sync: false,
    make: () => {
      const folder = tempFolder();
      const hybrid = new HybridAsyncBackend(new InMemoryBackend());
      hybrid.mount('/tree', new FileSystemAsyncBackend(join(folder, 'tree')));
      return { backend: hybrid, folder, cleanup: removing(folder) };
    },
  },
  {
    name: 'CachingSyncBackend over FileSystemSyncBackend (flushInterval 0)',
    sync: true,
    make: () => {
      const folder = tempFolder();
      const cache = new CachingSyncBackend(new FileSystemSyncBackend(join(folder, '.state')), { flushInterval: 0 });
      return { backend: cache, folder, flush: async () => cache.flush(), cleanup: async () => {
        cache.close();
        await removing(folder)();
      } };
    },
  },
  {
    name: 'CachingAsyncBackend over FileSystemAsyncBackend (flushInterval 3600, ops stay pending)',
    sync: false,
    make: () => {
      const folder = tempFolder();
      const cache = new CachingAsyncBackend(new FileSystemAsyncBackend(join(folder, '.state')), { flushInterval: 3600 });
      return { backend: cache, folder, flush: () => cache.flush(), cleanup: async () => {
        await cache.close();
        await removing(folder)();
      } };
    },
  },
];

/** Every file and folder under `folder`, with file contents: what "byte-identical" compares. */
function snapshotFiles(folder: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const full = join(entry.parentPath, entry.name);
    found.set(relative(folder, full), entry.isDirectory() ? '<folder>' : readFileSync(full, 'latin1'));
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function seed(c: AnyController): Promise<void> {
  await c.setState('/leaf', 'old');
  await c.setState('/tree', 'own');
  await c.setState('/tree/x', 1);
  await c.setState('/tree/y/z', { deep: [1, 2] });
  await c.setState('/bare/child', 3);
  await c.setState('/m/v', 'mounted');
}

for (const backendCase of backendCases) {
  const kinds: ControllerKind[] = [
    ...(backendCase.sync ? [{ name: 'ControllerSync', isAsync: false, make: (b?: Backend) => new ControllerSync(b) }] : []),
    { name: 'ControllerAsync', isAsync: true, make: (b?: Backend) => new ControllerAsync(b) },
  ];
  for (const kind of kinds) {
    describe(`S113 S115 S116 batch over ${backendCase.name} [${kind.name}]`, () => {
      /** A controller on a fresh fixture; the cast only widens what `make` accepts for async backends. */
      function open(): { c: AnyController; fixture: Fixture } {
        const fixture = backendCase.make();
        const c = kind.isAsync ? new ControllerAsync(fixture.backend) : new ControllerSync(fixture.backend as Backend);
        return { c, fixture };
      }

      it('S115 S34 a batch commits its writes, notifies each path once and runs a derivation once', async () => {
        const { c, fixture } = open();
        try {
          await seed(c);
          let runs = 0;
          await c.deriveMany('/count', ['/tree', '/leaf', '/m/*'], () => ++runs);
          runs = 0;
          const seen: string[] = [];
          c.subscribe('/', (e) => {
            seen.push(e.emittingPath);
          });
          await runBatch(kind, c, function* () {
            yield c.setState('/leaf', 'a');
            yield c.setState('/leaf', 'b');
            yield c.setState('/tree/x', 2);
            yield c.delState('/tree/y');
            yield c.setState('/m/w', 'new');
          });
          assert.equal(runs, 1);
          assert.deepEqual(seen, ['/leaf', '/tree/x', '/tree/y', '/m/w']);
          assert.equal(await c.getState('/leaf'), 'b');
          assert.deepEqual(await c.getState('/tree'), { '/': 'own', x: 2 });
          assert.deepEqual(await c.getState('/m'), { v: 'mounted', w: 'new' });
        } finally {
          await fixture.cleanup();
        }
      });

      it('S116 a failing batch leaves the state, and any files, exactly as they were', async () => {
        const { c, fixture } = open();
        try {
          await seed(c);
          await fixture.flush?.();
          const stateBefore = await c.getState('/');
          const filesBefore = fixture.folder === undefined ? undefined : snapshotFiles(fixture.folder);
          if (filesBefore !== undefined) assert.ok(filesBefore.size >= 3, 'the seed reached the disk');
          class Boom extends Error {}
          await assert.rejects(runBatch(kind, c, function* () {
            yield c.setState('/leaf', 'new');
            yield c.setState('/fresh/deep/path', [1]);
            yield c.setState('/tree', { replaced: true });
            yield c.delState('/tree/y');
            yield c.setState('/tree/y', 'leaf now');
            yield c.delState('/bare');
            yield c.setState('/bare', 'own now');
            yield c.setState('/m/v', 'changed');
            yield c.delState('/m');
            yield c.getState('/dflt', { default: 'd', writeDefault: true });
            throw new Boom('stop');
          }), Boom);
          assert.deepEqual(await c.getState('/'), stateBefore);
          if (fixture.folder !== undefined) {
            await fixture.flush?.();
            assert.deepEqual(snapshotFiles(fixture.folder), filesBefore);
          }
        } finally {
          await fixture.cleanup();
        }
      });
    });
  }
}
