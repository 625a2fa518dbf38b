// The original README's examples, in TypeScript (S112 and its notes 1–13). The YAML serializer is covered
// with the filesystem backends (S99).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CachingSyncBackend,
  ControllerAsync,
  ControllerSync,
  FileSystemAsyncBackend,
  FileSystemSyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
  jsonSerializer,
  MISSING,
  RestateCallbackError,
  RestateIdError,
  RestateUsageError,
  ROOT_PATH,
  StatePath,
} from '../../../extension/restate/index';
import type { Backend, DeriveData } from '../../../extension/restate/index';
import { callbackFor } from './callback-for';
import type { AnyEvent } from './callback-for';
import { forEachController } from './controllers';

interface User {
  name: string;
  role: string;
}

interface Item {
  name: string;
  price: number;
}

/** Runs `body` with a fresh temporary folder, removed afterwards. */
async function withFolder(body: (folder: string) => Promise<void>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'restate-readme-'));
  try {
    await body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

forEachController('S112 README: quick start and core concepts', (kind) => {
  it('S112 note 1 quick start: a /users subscriber hears both users, and the admin count derived after them is 1', async () => {
    const controller = kind.make();
    const printed: string[] = [];
    const onUsersChange = callbackFor(kind, function* (event) {
      const newUsers = yield event.getState('/users');
      printed.push(`Users changed! New value: ${JSON.stringify(newUsers)}`);
    });
    controller.subscribe('/users', onUsersChange);

    await controller.setState('/users/1', { name: 'Alice', role: 'admin' });
    await controller.setState('/users/2', { name: 'Bob', role: 'user' });
    assert.deepEqual(await controller.getState('/users/1'), { name: 'Alice', role: 'admin' });

    await controller.derive('/stats/admin_count', '/users', (users) =>
      Object.values(users as Record<string, User>).filter((u) => u.role === 'admin').length,
    );
    assert.equal(await controller.getState('/stats/admin_count'), 1);
    assert.deepEqual(printed, [
      'Users changed! New value: {"1":{"name":"Alice","role":"admin"}}',
      'Users changed! New value: {"1":{"name":"Alice","role":"admin"},"2":{"name":"Bob","role":"user"}}',
    ]);
    await controller.setState('/users/3', { name: 'Cy', role: 'admin' });
    assert.equal(await controller.getState('/stats/admin_count'), 2);
  });

  it('S112 state hierarchy: reading a parent path returns the nested structure', async () => {
    const controller = kind.make();
    await controller.setState('/config/theme', 'dark');
    await controller.setState('/config/colors/primary', '#FF0000');
    await controller.setState('/config/colors/secondary', '#00FF00');
    assert.deepEqual(await controller.getState('/config'), {
      theme: 'dark',
      colors: { primary: '#FF0000', secondary: '#00FF00' },
    });
  });

  it("S112 note 2 paths: ROOT_PATH.child('users', '1'), StatePath and 'users/1' are equivalent", async () => {
    const controller = kind.make();
    await controller.setState('/users/1', 'Alice');
    for (const path of ['/users/1', ROOT_PATH.child('users', '1'), new StatePath('/').child('users', '1'), 'users/1', new StatePath('users').child('1')]) {
      assert.equal(await controller.getState(path), 'Alice', String(path));
    }
  });

  it('S112 note 6 basic operations: backend.delete removes the node but notifies nobody; delState notifies', async () => {
    const controller = kind.make();
    const heard: string[] = [];
    controller.subscribe('/users', (event: AnyEvent) => {
      heard.push(event.emittingPath);
    });
    await controller.setState('/users/1', { name: 'Alice' });
    assert.deepEqual(await controller.getState('/users/1'), { name: 'Alice' });
    await controller.backend.delete('/users/1');
    assert.equal(await controller.getState('/users/1'), undefined);
    await controller.setState('/users/2', { name: 'Bob' });
    assert.equal(await controller.delState('/users/2'), true);
    assert.deepEqual(heard, ['/users/1', '/users/2', '/users/2']);
  });

  it('S112 default values: the default is returned without writing, and writeDefault stores it', async () => {
    const controller = kind.make();
    assert.equal(await controller.getState('/settings/volume', { default: 50 }), 50);
    assert.equal(await controller.getState('/settings/volume'), undefined);
    assert.equal(await controller.getState('/settings/volume', { default: 50, writeDefault: true }), 50);
    assert.equal(await controller.getState('/settings/volume'), 50);
  });

  it('S112 note 11 equality comparison: compareUsers(newValue, prevValue) skips a write with the same id', async () => {
    const controller = kind.make();
    const compareUsers = (newValue: unknown, prevValue: unknown): boolean => {
      if (!(isRecord(prevValue) && isRecord(newValue))) return false;
      return prevValue.id === newValue.id;
    };
    assert.equal(await controller.setState('/current_user', { id: 1, last_seen: 'now' }, { eqFunc: compareUsers }), true);
    assert.equal(await controller.setState('/current_user', { id: 1, last_seen: 'later' }, { eqFunc: compareUsers }), false);
    assert.deepEqual(await controller.getState('/current_user'), { id: 1, last_seen: 'now' });
    assert.equal(await controller.setState('/current_user', { id: 2, last_seen: 'later' }, { eqFunc: compareUsers }), true);
  });

  it('S112 pings notify subscribers without changing the state', async () => {
    const controller = kind.make();
    await controller.setState('/users/1', 'Alice');
    const heard: unknown[][] = [];
    controller.subscribe('/users', (event: AnyEvent) => {
      heard.push([event.emittingPath, event.prevValue, event.newValue]);
    });
    await controller.ping('/users');
    assert.deepEqual(heard, [['/users', { 1: 'Alice' }, { 1: 'Alice' }]]);
    assert.deepEqual(await controller.getState('/users'), { 1: 'Alice' });
  });
});

forEachController('S112 README: storage backends', (kind) => {
  it('S112 in-memory backend: the default, or passed explicitly', async () => {
    const backend = new InMemoryBackend();
    const controller = kind.make(backend);
    await controller.setState('/temp', 'i will be gone after restart');
    assert.equal(backend.read('/temp'), 'i will be gone after restart');
    assert.equal(await kind.make().getState('/temp'), undefined);
  });

  it('S112 filesystem backend: the state hierarchy becomes folders of .json files', async () => {
    await withFolder(async (folder) => {
      const base = join(folder, 'state');
      const controller = kind.make(new FileSystemSyncBackend(base, { serializer: jsonSerializer }));
      await controller.setState('/config/theme', 'dark');
      await controller.setState('/config/colors/primary', '#FF0000');
      await controller.setState('/config/colors/secondary', '#00FF00');
      assert.deepEqual(readdirSync(join(base, 'config')).sort(), ['colors', 'theme.json']);
      assert.deepEqual(readdirSync(join(base, 'config', 'colors')).sort(), ['primary.json', 'secondary.json']);
      assert.equal(readFileSync(join(base, 'config', 'theme.json'), 'utf8'), '"dark"');
      const reopened = kind.make(new FileSystemSyncBackend(base));
      assert.deepEqual(await reopened.getState('/config'), {
        theme: 'dark',
        colors: { primary: '#FF0000', secondary: '#00FF00' },
      });
    });
  });

  it('S112 hybrid backend: an in-memory root with a filesystem backend mounted at /persistent', async () => {
    await withFolder(async (folder) => {
      const hybrid = new HybridSyncBackend(new InMemoryBackend());
      hybrid.mount('/persistent', new FileSystemSyncBackend(join(folder, 'state')));
      const controller = kind.make(hybrid);
      await controller.setState('/temporary', 'volatile');
      await controller.setState('/persistent/important', 'saved to disk');
      assert.equal(readFileSync(join(folder, 'state', 'important.json'), 'utf8'), '"saved to disk"');
      assert.equal(existsSync(join(folder, 'state', 'temporary.json')), false);
      assert.deepEqual(await controller.getState('/'), { temporary: 'volatile', persistent: { important: 'saved to disk' } });
    });
  });

  it("S112 caching backend: the README's flush options over a filesystem backend", async () => {
    await withFolder(async (folder) => {
      const base = join(folder, 'state');
      const backend = new CachingSyncBackend(new FileSystemSyncBackend(base), {
        flushInterval: 5.0,
        flushOnRead: false,
        flushOnWrite: true,
        flushOnDelete: true,
      });
      try {
        const controller = kind.make(backend);
        await controller.setState('/config/theme', 'dark');
        assert.equal(await controller.getState('/config/theme'), 'dark');
        backend.flush();
        assert.equal(readFileSync(join(base, 'config', 'theme.json'), 'utf8'), '"dark"');
      } finally {
        backend.close();
      }
    });
  });

  it('S112 note 5 note 12 custom backend: a Map-based backend storing JSON under unrelated keys, like the Redis one', async () => {
    // The README's RedisBackend, with a Map for the Redis server. Paths are unrelated keys, so a parent
    // read does not gather children. `read` returns `dflt` for a missing key (note 12).
    class MapBackend implements Backend {
      readonly redis = new Map<string, string>();

      read<D>(path: string, dflt: D | typeof MISSING = MISSING): unknown {
        const value = this.redis.get(path);
        return value === undefined ? dflt : JSON.parse(value);
      }

      write(path: string, value: unknown): void {
        this.redis.set(path, JSON.stringify(value));
      }

      delete(path: string): void {
        this.redis.delete(path);
      }
    }

    const backend = new MapBackend();
    const controller = kind.make(backend);
    await controller.setState('/users/1', { name: 'Alice' });
    assert.equal(backend.redis.get('/users/1'), '{"name":"Alice"}');
    assert.deepEqual(await controller.getState('/users/1'), { name: 'Alice' });
    assert.equal(await controller.getState('/users/2', { default: 'nobody' }), 'nobody');
    assert.equal(await controller.getState('/users', { default: 'unrelated' }), 'unrelated');
    assert.equal(await controller.setState('/flag', false), true);
    assert.equal(await controller.getState('/flag', { default: true }), false);
    assert.equal(await controller.delState('/users/1'), true);
    assert.equal(backend.redis.has('/users/1'), false);
  });
});

forEachController('S112 README: the event system', (kind) => {
  it('S112 subscriptions: the /config handler reads through its event, and unsubscribe stops it', async () => {
    const controller = kind.make();
    const printed: string[] = [];
    const handler = callbackFor(kind, function* (event) {
      printed.push(`Config changed to: ${JSON.stringify(yield event.getState('/config'))}`);
    });
    controller.subscribe('/config', handler);
    await controller.setState('/config/theme', 'dark');
    assert.equal(controller.unsubscribe('/config', handler), true);
    await controller.setState('/config/theme', 'light');
    assert.deepEqual(printed, ['Config changed to: {"theme":"dark"}']);
  });

  it('S112 note 3 wildcard subscription: without a callback it is a compile error and a RestateUsageError', () => {
    const controller = kind.make();
    assert.throws(() => {
      // @ts-expect-error -- the README's subscribe("/users/*/name") forgot the callback
      controller.subscribe('/users/*/name');
    }, RestateUsageError);
  });

  it('S112 note 3 wildcard subscription: the handler reports every user name change', async () => {
    const controller = kind.make();
    const printed: string[] = [];
    const anyUserNameChange = (event: AnyEvent): void => {
      const oldName = event.prevValue;
      const newName = event.newValue;
      const userId = new StatePath(event.emittingPath).parent.name;
      printed.push(`user '${userId}' changed name: ${String(oldName)} -> ${String(newName)}`);
    };
    controller.subscribe('/users/*/name', anyUserNameChange);
    await controller.setState('/users/1/name', 'Alice');
    await controller.setState('/users/1/name', 'Alicia');
    await controller.setState('/users/2/name', 'Bob');
    await controller.setState('/users/2/email', 'bob@example.com');
    assert.deepEqual(printed, [
      "user '1' changed name: undefined -> Alice",
      "user '1' changed name: Alice -> Alicia",
      "user '2' changed name: undefined -> Bob",
    ]);
  });

  it('S112 note 4 callback ids: register, forceId, subscribeById, unsubscribe by id and by function, replace', async () => {
    const controller = kind.make();
    const printed: string[] = [];

    const basicCallback = (event: AnyEvent): void => {
      printed.push(`Basic callback: ${JSON.stringify(event.newValue)}`);
    };
    const callbackId = controller.registerCallback(basicCallback);
    assert.match(callbackId, /^#\d+$/);
    assert.equal(controller.subscribeById('/users', callbackId), callbackId);

    const statsCallbackId = 'stats_callback';
    const statsHandler = (event: AnyEvent): void => {
      printed.push(`Stats changed: ${JSON.stringify(event.newValue)}`);
    };
    assert.equal(controller.registerCallback(statsHandler, { forceId: statsCallbackId }), statsCallbackId);
    controller.subscribeById('/stats', statsCallbackId);

    const configHandler = (event: AnyEvent): void => {
      printed.push(`Config changed: ${JSON.stringify(event.newValue)}`);
    };
    const configId = controller.subscribe('/config', configHandler);
    assert.equal(typeof configId, 'string');

    await controller.setState('/users', 1);
    await controller.setState('/stats', 2);
    await controller.setState('/config', 3);
    assert.deepEqual(printed, ['Basic callback: 1', 'Stats changed: 2', 'Config changed: 3']);

    assert.equal(controller.unsubscribeById('/users', callbackId), true);
    assert.equal(controller.unsubscribeById('/stats', statsCallbackId), true);
    assert.equal(controller.unsubscribe('/config', configHandler), true);
    printed.length = 0;
    await controller.setState('/users', 10);
    await controller.setState('/stats', 20);
    await controller.setState('/config', 30);
    assert.equal(printed.length, 0, 'the unsubscribes really removed the subscriptions');

    const newStatsHandler = (): void => {
      printed.push('New stats handler');
    };
    assert.throws(() => controller.registerCallback(newStatsHandler, { forceId: statsCallbackId }), RestateIdError);
    assert.equal(controller.registerCallback(newStatsHandler, { forceId: statsCallbackId, replace: true }), statsCallbackId);
    controller.subscribeById('/stats', statsCallbackId);
    await controller.setState('/stats', 21);
    assert.deepEqual(printed, ['New stats handler']);
  });

  it('S112 note 8 event bubbling: stopBubbling keeps a nested change from the root handler', async () => {
    const controller = kind.make();
    const printed: string[] = [];
    const rootHandler = (event: AnyEvent): void => {
      printed.push(`Something changed at ${event.emittingPath}`);
    };
    const nestedHandler = (event: AnyEvent): void => {
      printed.push('Handle nested change');
      event.stopBubbling();
    };
    controller.subscribe('/', rootHandler);
    controller.subscribe('/deep/nested/path', nestedHandler);
    await controller.setState('/deep/nested/path', 1);
    await controller.setState('/deep/nested/path/below', 2);
    await controller.setState('/deep/other', 3);
    assert.deepEqual(printed, ['Handle nested change', 'Handle nested change', 'Something changed at /deep/other']);
  });

  it('S112 event properties: paths, values of the emitting path, state helpers and the controller', async () => {
    const controller = kind.make();
    await controller.setState('/config', { debug: true });
    await controller.setState('/users/1', 'Alice');
    const printed: string[] = [];
    const handler = callbackFor(kind, function* (event) {
      printed.push(`Emitting path: ${event.emittingPath}`);
      printed.push(`Current path: ${event.currentPath}`);
      printed.push(`Previous value: ${String(event.prevValue)}`);
      printed.push(`New value: ${String(event.newValue)}`);
      const config = yield event.getState('/config');
      printed.push(`Config: ${JSON.stringify(config)}`);
      yield event.setState('/call_counter', 10);
      printed.push(`Same controller: ${String(event.controller === controller)}`);
    });
    controller.subscribe('/users', handler);
    await controller.setState('/users/1', 'Alicia');
    assert.deepEqual(printed, [
      'Emitting path: /users/1',
      'Current path: /users',
      'Previous value: Alice',
      'New value: Alicia',
      'Config: {"debug":true}',
      'Same controller: true',
    ]);
    assert.equal(await controller.getState('/call_counter'), 10);
  });

  it('S112 a payload passed to setState, ping, track and derive reaches the callbacks', async () => {
    const controller = kind.make();
    const payloads: unknown[] = [];
    controller.subscribe('/', (event: AnyEvent) => {
      payloads.push([event.emittingPath, event.payload]);
    });
    await controller.setState('/a', 1, { payload: 'set' });
    await controller.ping('/a', { payload: 'ping' });
    await controller.derive('/b', '/a', (a) => a, { payload: 'derive' });
    await controller.track((event: AnyEvent) => {
      payloads.push(['tracked', event.payload]);
    }, { payload: 'track' });
    assert.deepEqual(payloads, [
      ['/a', 'set'],
      ['/a', 'ping'],
      ['/b', 'derive'],
      ['tracked', 'track'],
    ]);
  });
});

forEachController('S112 README: derived state', (kind) => {
  it('S112 note 7 cart total: the unguarded transform fails its first run, stays registered and totals 12', async () => {
    const controller = kind.make();
    await assert.rejects(async () => {
      await controller.derive('/cart/total', '/cart/items', (items) => (items as Item[]).reduce((sum, item) => sum + item.price, 0));
    }, TypeError);
    await controller.setState('/cart/items', [
      { name: 'Book', price: 10 },
      { name: 'Pen', price: 2 },
    ]);
    assert.equal(await controller.getState('/cart/total'), 12);
  });

  it('S112 note 7 cart total, guarded against a missing source: 0, then 12', async () => {
    const controller = kind.make();
    await controller.derive('/cart/total', '/cart/items', (items) =>
      ((items as Item[] | undefined) ?? []).reduce((sum, item) => sum + item.price, 0),
    );
    assert.equal(await controller.getState('/cart/total'), 0);
    await controller.setState('/cart/items', [
      { name: 'Book', price: 10 },
      { name: 'Pen', price: 2 },
    ]);
    assert.equal(await controller.getState('/cart/total'), 12);
  });

  it('S112 note 7 aggregate_stats: runs fail until every source exists, and the writes stay', async () => {
    const controller = kind.make();
    const aggregateStats = (data: DeriveData): unknown => {
      const users = data.get('users') as unknown[];
      const posts = data.get('posts') as unknown[];
      const comments = data.get('comments') as unknown[];
      return {
        user_count: users.length,
        post_count: posts.length,
        comment_count: comments.length,
        avg_comments_per_post: posts.length ? comments.length / posts.length : 0,
      };
    };
    await assert.rejects(async () => {
      await controller.deriveMany('/stats', ['/users', '/posts', '/comments'], aggregateStats);
    }, TypeError);
    await assert.rejects(async () => {
      await controller.setState('/users', ['ann', 'bo']);
    }, RestateCallbackError);
    await assert.rejects(async () => {
      await controller.setState('/posts', ['p1', 'p2']);
    }, RestateCallbackError);
    await controller.setState('/comments', ['c1', 'c2', 'c3']);
    assert.deepEqual(await controller.getState('/stats'), { user_count: 2, post_count: 2, comment_count: 3, avg_comments_per_post: 1.5 });
  });

  it('S112 note 7 aggregate_stats, guarded against missing sources', async () => {
    const controller = kind.make();
    const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);
    await controller.deriveMany('/stats', ['/users', '/posts', '/comments'], (data) => ({
      user_count: count(data.get('users')),
      post_count: count(data.get('posts')),
      comment_count: count(data.get('comments')),
      avg_comments_per_post: count(data.get('posts')) ? count(data.get('comments')) / count(data.get('posts')) : 0,
    }));
    assert.deepEqual(await controller.getState('/stats'), { user_count: 0, post_count: 0, comment_count: 0, avg_comments_per_post: 0 });
    await controller.setState('/posts', ['p1', 'p2', 'p3', 'p4']);
    await controller.setState('/comments', ['c1']);
    assert.deepEqual(await controller.getState('/stats'), { user_count: 0, post_count: 4, comment_count: 1, avg_comments_per_post: 0.25 });
  });
});

forEachController('S112 README: state tracking', (kind) => {
  it('S112 note 7 dashboard: the first run fails on missing paths, the tracker stays and computes later', async () => {
    const controller = kind.make();
    const results: unknown[] = [];
    const computeDashboardStats = callbackFor(kind, function* (event) {
      const users = yield event.getState('/users');
      const activePosts = yield event.getState('/posts/active');
      const settings = yield event.getState('/settings');
      const stats = {
        total_users: Object.keys(users as object).length,
        active_posts: (activePosts as unknown[]).length,
        is_public: (settings as Record<string, unknown>).public ?? false,
      };
      results.push(stats);
      return stats;
    });
    await assert.rejects(async () => {
      await controller.track(computeDashboardStats);
    }, TypeError);
    await assert.rejects(async () => {
      await controller.setState('/users/1', 'Alice');
    }, RestateCallbackError);
    await assert.rejects(async () => {
      await controller.setState('/posts/active', ['p1']);
    }, RestateCallbackError);
    await controller.setState('/settings', { public: true });
    assert.deepEqual(results, [{ total_users: 1, active_posts: 1, is_public: true }]);
  });

  it('S112 note 7 dashboard guarded against undefined: computes from the first run', async () => {
    const controller = kind.make();
    const results: unknown[] = [];
    await controller.track(
      callbackFor(kind, function* (event) {
        const users = yield event.getState('/users', { default: {} });
        const activePosts = yield event.getState('/posts/active', { default: [] });
        const settings = yield event.getState('/settings', { default: {} });
        results.push({
          total_users: isRecord(users) ? Object.keys(users).length : 0,
          active_posts: Array.isArray(activePosts) ? activePosts.length : 0,
          is_public: isRecord(settings) ? (settings.public ?? false) : false,
        });
      }),
    );
    await controller.setState('/posts/active', ['p1', 'p2']);
    assert.deepEqual(results, [
      { total_users: 0, active_posts: 0, is_public: false },
      { total_users: 0, active_posts: 2, is_public: false },
    ]);
  });

  it('S112 manual subscriptions and a tracker hear the same paths; the tracker adds /users/premium by itself', async () => {
    const controller = kind.make();
    const runs: string[] = [];
    const statsManual = (): void => {
      runs.push('manual');
    };
    controller.subscribe('/users', statsManual);
    controller.subscribe('/posts/active', statsManual);
    controller.subscribe('/settings', statsManual);
    const statsTracked = callbackFor(kind, function* (event) {
      runs.push('tracked');
      yield event.getState('/users');
      if (yield event.getState('/features/premium')) {
        yield event.getState('/users/premium');
      }
    });
    const id = await controller.track(statsTracked);
    runs.length = 0;
    await controller.setState('/users/1', 'Alice');
    assert.deepEqual(runs, ['manual', 'tracked']);
    runs.length = 0;
    await controller.setState('/features/premium', true);
    assert.deepEqual(runs, ['tracked']);
    const node = controller.graph().nodes.find((n) => n.id === id);
    assert.ok(node?.kind === 'tracker');
    assert.deepEqual([...node.reads].sort(), ['/features/premium', '/users', '/users/premium']);
  });

  it('S112 dynamic dependencies: the tracker follows /config/data_path to the data it names', async () => {
    const controller = kind.make();
    // Each leaf is its own node: an object written at /datasets/a would be one opaque value (S11).
    await controller.setState('/datasets/a/x/details', 1);
    await controller.setState('/datasets/a/y/details', 2);
    await controller.setState('/datasets/b/z/details', 3);
    await controller.setState('/config/data_path', '/datasets/a');
    const seen: unknown[][] = [];
    const dynamicComputation = callbackFor(kind, function* (event) {
      const basePath = String(yield event.getState('/config/data_path'));
      const data = yield event.getState(basePath);
      const details: unknown[] = [];
      for (const item of Object.keys(isRecord(data) ? data : {})) {
        details.push(yield event.getState(`${basePath}/${item}/details`));
      }
      seen.push(details);
    });
    const id = await controller.track(dynamicComputation);
    const readsNow = (): string[] => {
      const node = controller.graph().nodes.find((n) => n.id === id);
      return node?.kind === 'tracker' ? [...node.reads].sort() : [];
    };
    assert.deepEqual(readsNow(), ['/config/data_path', '/datasets/a', '/datasets/a/x/details', '/datasets/a/y/details']);
    await controller.setState('/config/data_path', '/datasets/b');
    assert.deepEqual(readsNow(), ['/config/data_path', '/datasets/b', '/datasets/b/z/details']);
    await controller.setState('/datasets/a/x/details', 100);
    await controller.setState('/datasets/b/z/details', 30);
    assert.deepEqual(seen, [[1, 2], [3], [30]]);
  });

  it('S112 note 13 feature example: once the flag is off, /legacy/data no longer triggers the tracker', async () => {
    const controller = kind.make();
    await controller.setState('/features/legacy', true);
    const runs: string[] = [];
    const featureExample = callbackFor(kind, function* (event) {
      if (yield event.getState('/features/legacy')) {
        runs.push('legacy');
        yield event.getState('/legacy/data');
      } else {
        runs.push('new');
        yield event.getState('/new/data');
      }
    });
    await controller.track(featureExample);
    await controller.setState('/legacy/data', 1);
    await controller.setState('/features/legacy', false);
    await controller.setState('/legacy/data', 2);
    await controller.setState('/new/data', 1);
    assert.deepEqual(runs, ['legacy', 'legacy', 'new', 'new']);
  });
});

describe('S112 README: async support', () => {
  it('S112 controllers: ControllerSync and ControllerAsync take a backend', async () => {
    const backend = new InMemoryBackend();
    const syncController = new ControllerSync(backend);
    const asyncController = new ControllerAsync(backend);
    syncController.setState('/shared', 1);
    assert.equal(await asyncController.getState('/shared'), 1);
    assert.equal(syncController.backend, backend);
    assert.equal(asyncController.backend, backend);
  });

  it('S112 filesystem backend, async version: FileSystemAsyncBackend under ControllerAsync', async () => {
    await withFolder(async (folder) => {
      const controller = new ControllerAsync(new FileSystemAsyncBackend(join(folder, 'state')));
      await controller.setState('/counter', 1);
      assert.equal(readFileSync(join(folder, 'state', 'counter.json'), 'utf8'), '1');
      assert.equal(await controller.getState('/counter'), 1);
    });
  });

  it('S112 note 9 async support: a subscriber doubles /counter and a sync lambda squares it into /counterSquared', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    await controller.setState('/counter', 0);
    assert.equal(await controller.getState('/counter'), 0);
    const onCounterChange = async (event: AnyEvent): Promise<void> => {
      const value = event.newValue as number;
      await controller.setState('/doubled', value * 2);
    };
    controller.subscribe('/counter', onCounterChange);
    await controller.derive('/counterSquared', '/counter', (x) => (x as number) ** 2);
    await controller.setState('/counter', 3);
    assert.equal(await controller.getState('/counterSquared'), 9);
    assert.equal(await controller.getState('/doubled'), 6);
  });

  it("S112 note 9 S64 the README's /counter/squared dest under its source is accepted and re-runs on the merged view", async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    await controller.setState('/counter', 0);
    const inputs: unknown[] = [];
    await controller.derive('/counter/squared', '/counter', (x) => {
      inputs.push(x);
      return Number(x) ** 2;
    });
    inputs.length = 0;
    await controller.setState('/counter', 3);
    assert.equal(inputs[0], 3);
    assert.ok(isRecord(inputs[1]), 'the dest write re-ran the derivation on the merged view of /counter');
    assert.equal(inputs[1]['/'], 3);
    assert.ok(inputs.length <= 4, 'it converges instead of cycling');
  });

  it('S112 FastAPI-style handlers: getCounter reads, incrementCounter adds one to a default of 0', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    const getCounter = async (): Promise<unknown> => controller.getState('/counter');
    const incrementCounter = async (): Promise<void> => {
      const current = await controller.getState('/counter', { default: 0 });
      await controller.setState('/counter', (current as number) + 1);
    };
    assert.equal(await getCounter(), undefined);
    await incrementCounter();
    await incrementCounter();
    assert.equal(await getCounter(), 2);
  });
});
