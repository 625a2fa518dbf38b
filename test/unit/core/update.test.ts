// update(path, fn) (S129): read, compute, write or delete, notify; atomic against other update() calls in
// other processes on the file backends (a lock) and against any writer on Redis (a version check).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  ControllerAsync,
  ControllerSync,
  FileSystemAsyncBackend,
  FileSystemSyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
  RestateConflictError,
  RestateUsageError,
} from '../../../extension/restate/index';
import { RedisBackend } from '../../../extension/restate/redis';
import { startRedisServer, type RedisServer } from '../../backends/redisServer';
import { forEachController } from './controllers';

forEachController('update (S129)', (kind) => {
  it('reads, writes the result and notifies; undefined deletes; an equal result writes nothing', async () => {
    const c = kind.make();
    const seen: string[] = [];
    c.subscribe('/counter', (event) => {
      seen.push(`${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    });
    assert.equal(await c.update('/counter', (value) => (typeof value === 'number' ? value : 0) + 1), true);
    assert.equal(await c.update('/counter', (value) => (value as number) + 1), true);
    assert.equal(await c.update('/counter', (value) => value), false);
    assert.equal(await c.getState('/counter'), 2);
    assert.equal(await c.update('/counter', () => undefined), true);
    assert.equal(await c.getState('/counter'), undefined);
    assert.deepEqual(seen, ['undefined→1', '1→2', '2→undefined']);
  });

  it('inside a batch, reads and writes through the batch', async () => {
    const c = kind.make();
    await c.setState('/n', 1);
    if (c instanceof ControllerSync) {
      c.batch(() => {
        c.setState('/n', 10);
        c.update('/n', (value) => (value as number) + 1);
      });
    } else {
      await c.batch(async () => {
        await c.setState('/n', 10);
        await c.update('/n', (value) => (value as number) + 1);
      });
    }
    assert.equal(await c.getState('/n'), 11);
  });
});

describe('update on ControllerSync', () => {
  it('refuses a function that returns a promise', () => {
    const c = new ControllerSync();
    assert.throws(() => c.update('/x', async () => 1), RestateUsageError);
  });
});

/** An in-memory backend with versions, as Redis has them (S129), whose node a rival rewrites before every versioned write. */
class ContestedBackend extends InMemoryBackend {
  readonly #versions = new Map<string, number>();
  rivalWrites = Number.POSITIVE_INFINITY;

  readVersioned(path: string): { value: unknown; version: string } {
    return { value: this.read(path), version: String(this.#versions.get(path) ?? 0) };
  }

  writeIfVersion(path: string, value: unknown, version: string): boolean {
    if (this.rivalWrites > 0) {
      this.rivalWrites--;
      this.write(path, 'rival');
      this.#versions.set(path, (this.#versions.get(path) ?? 0) + 1);
    }
    if (String(this.#versions.get(path) ?? 0) !== version) return false;
    if (value === undefined) this.delete(path);
    else this.write(path, value);
    this.#versions.set(path, (this.#versions.get(path) ?? 0) + 1);
    return true;
  }
}

describe('update honours tries on both controllers (S129)', () => {
  for (const make of [(b: ContestedBackend) => new ControllerSync(b), (b: ContestedBackend) => new ControllerAsync(b)]) {
    it(`${make(new ContestedBackend()).constructor.name}: a node that changes between every read and write ends in a RestateConflictError after the tries`, async () => {
      const backend = new ContestedBackend();
      const c = make(backend);
      let runs = 0;
      const fn = (value: unknown): string => {
        runs++;
        return `${String(value)}+1`;
      };
      await assert.rejects(async () => c.update('/hot', fn, { tries: 3 }), (error: unknown) => error instanceof RestateConflictError && error.path === '/hot' && /3 times/.test(error.message));
      assert.equal(runs, 3);
      assert.equal(backend.read('/hot'), 'rival');
      backend.rivalWrites = 1;
      const seen: unknown[] = [];
      c.subscribe('/hot', (event) => {
        seen.push(event.newValue);
      });
      assert.equal(await c.update('/hot', fn, { tries: 2 }), true);
      assert.equal(backend.read('/hot'), 'rival+1');
      assert.deepEqual(seen, ['rival+1']);
    });

    it(`${make(new ContestedBackend()).constructor.name}: tries must be a positive integer`, async () => {
      const c = make(new ContestedBackend());
      for (const tries of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(async () => c.update('/n', () => 1, { tries }), (error: unknown) => error instanceof RestateUsageError && /\/n/.test(error.message) && /tries/.test(error.message));
      }
    });
  }
});

/** Runs `count` real processes that each increment /counter `times` times through update(). */
async function incrementInProcesses(args: (index: number) => string[], count: number): Promise<void> {
  const runs = Array.from({ length: count }, (_unused, index) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'backends', 'updateWorker.mts'), ...args(index)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${index} exited with ${code}: ${stderr}`))));
  }));
  await Promise.all(runs);
}

describe('update through a cache over a file backend (S129)', () => {
  it('reads what the folder holds, not a stale cached read, and writes it back before the lock is released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'restate-update-cache-'));
    try {
      const folder = new FileSystemSyncBackend(dir);
      const cache = new CachingSyncBackend(folder, { flushInterval: Number.POSITIVE_INFINITY });
      const c = new ControllerSync(cache, { followBackend: false });
      c.setState('/counter', 1);
      cache.flush();
      assert.equal(c.getState('/counter'), 1);
      // Another process's update, straight to the folder.
      new FileSystemSyncBackend(dir).write('/counter', 5);
      assert.equal(c.update('/counter', (value) => (value as number) + 1), true);
      assert.equal(folder.read('/counter'), 6, 'written through before update returned');
      assert.equal(cache.pendingCount, 0);
      cache.close();

      const asyncCache = new CachingAsyncBackend(new FileSystemAsyncBackend(dir), { flushInterval: Number.POSITIVE_INFINITY });
      const a = new ControllerAsync(asyncCache, { followBackend: false });
      assert.equal(await a.getState('/counter'), 6);
      new FileSystemSyncBackend(dir).write('/counter', 10);
      assert.equal(await a.update('/counter', (value) => (value as number) + 1), true);
      assert.equal(folder.read('/counter'), 11);
      await asyncCache.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a hybrid backend locks the mounted folder with the path inside it', () => {
    const hybrid = new HybridSyncBackend(new InMemoryBackend());
    const locked: string[] = [];
    const folder = new (class extends InMemoryBackend {
      exclusive<T>(path: string, step: () => T): T {
        locked.push(path);
        return step();
      }
    })();
    hybrid.mount('/m', folder);
    const c = new ControllerSync(hybrid);
    c.update('/m/counter', () => 1);
    c.update('/elsewhere', () => 1);
    assert.deepEqual(locked, ['/counter']);
    assert.equal(folder.read('/counter'), 1);
  });
});

describe('update across processes', () => {
  let dir: string;
  let server: RedisServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restate-update-'));
    server = await startRedisServer();
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await server.dispose();
  });

  it('4 processes × 500 increments of /counter on one .state folder end at exactly 2,000 (async and sync backends)', async () => {
    const state = join(dir, '.state');
    await incrementInProcesses((index) => [index % 2 === 0 ? 'fs' : 'fs-sync', state, '', '500'], 4);
    assert.equal(new FileSystemSyncBackend(state).read('/counter'), 2000);
    assert.deepEqual(await readdir(state), ['counter.json'], 'the locks live outside the state folder');
  });

  it('4 processes × 150 increments through caching and hybrid backends over one .state folder end at exactly 600: they lock as the folder does', async () => {
    const state = join(dir, 'wrapped', '.state');
    const kinds = ['caching-fs-sync', 'caching-fs', 'hybrid-fs-sync', 'hybrid-fs'];
    await incrementInProcesses((index) => [kinds[index], state, '', '150'], 4);
    assert.equal(new FileSystemSyncBackend(state).read('/counter'), 600);
  });

  it('4 processes × 500 increments of /counter on one Redis tree end at exactly 2,000', async () => {
    await incrementInProcesses(() => ['redis', server.url, 'counting', '500'], 4);
    const backend = new RedisBackend({ url: server.url, prefix: 'counting' });
    try {
      assert.equal(await backend.read('/counter'), 2000);
    } finally {
      await backend.close();
    }
  });

  it('on Redis, a node that changes between every read and write ends in a RestateConflictError after the tries', async () => {
    const backend = new RedisBackend({ url: server.url, prefix: 'contended', onWarning: () => undefined });
    const other = new RedisBackend({ url: server.url, prefix: 'contended', onWarning: () => undefined });
    const c = new ControllerAsync(backend, { followBackend: false });
    let runs = 0;
    try {
      await assert.rejects(
        () => c.update('/hot', async (value) => {
          runs++;
          await other.write('/hot', runs);
          return (typeof value === 'number' ? value : 0) + 100;
        }, { tries: 3 }),
        (error: unknown) => error instanceof RestateConflictError && error.path === '/hot' && /3 times/.test(error.message),
      );
      assert.equal(runs, 3);
      assert.equal(await backend.read('/hot'), 3, "the other writer's value stays");
    } finally {
      await backend.close();
      await other.close();
    }
  });
});
