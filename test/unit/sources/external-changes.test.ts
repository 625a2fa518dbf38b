import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { ExternalChanges, PathMap } from '../../../extension/sources/externalChanges';
import { ObservedBackend } from '../../../extension/sources/observedBackend';
import { CachingAsyncBackend, ControllerAsync, FileSystemAsyncBackend, MISSING, RestateFormatError, nodeFileAdapter } from '../../../extension/restate/index';
import type { FileAdapter, StateEvent, TraceRecord } from '../../../extension/restate/index';

/** A state folder on disk with the explorer's stack on it, and everything the root subscriber saw. */
async function setUp(t: TestContext, files: Record<string, string> = {}, adapter: FileAdapter = nodeFileAdapter, exists?: (path: string) => Promise<boolean | undefined>) {
  const dir = mkdtempSync(join(tmpdir(), 'restate-explorer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const base = join(dir, '.state');
  mkdirSync(base);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(base, file, '..'), { recursive: true });
    writeFileSync(join(base, file), text);
  }
  const cache = new CachingAsyncBackend(new FileSystemAsyncBackend(base, { adapter }), { flushInterval: 0 });
  const observed = new ObservedBackend(cache);
  const controller = new ControllerAsync(observed);
  const events: { path: string; prev: unknown; next: unknown }[] = [];
  controller.subscribe('/', (event: StateEvent<ControllerAsync>) => {
    events.push({ path: event.emittingPath, prev: event.prevValue, next: event.newValue });
  });
  const traces: TraceRecord[] = [];
  controller.onTrace((record) => traces.push(record));
  const unreadable: { path: string; error: unknown }[] = [];
  const readable: string[] = [];
  const external = new ExternalChanges({
    controller, cache, observed, delayMs: 5,
    readRootValue: async () => MISSING,
    onError: (error) => { throw error; },
    onUnreadable: (path, error) => unreadable.push({ path, error }),
    onReadable: (path) => readable.push(path),
    ...(exists === undefined ? {} : { exists }),
  });
  t.after(() => external.dispose());
  return { base, controller, observed, external, events, traces, unreadable, readable };
}

describe('external changes (S124–S125)', () => {
  test('a changed file is reported with its old and new value, cause file', async (t) => {
    const { base, controller, external, events, traces } = await setUp(t, { 'counter.json': '1' });
    assert.equal(await controller.getState('/counter'), 1);
    writeFileSync(join(base, 'counter.json'), '2');
    external.record('/counter');
    await external.settled();
    assert.deepEqual(events, [{ path: '/counter', prev: 1, next: 2 }]);
    assert.equal(traces.filter((r) => r.kind === 'set').map((r) => r.cause).join(), 'file');
  });

  test("the extension's own writes come back equal and are dropped", async (t) => {
    const { controller, external, events } = await setUp(t, { 'a.json': '1' });
    await controller.setState('/a', 5);
    events.length = 0;
    external.record('/a');
    await external.settled();
    assert.deepEqual(events, []);
  });

  test('a created file is reported even though MISSING is never cached', async (t) => {
    const { base, controller, observed, external, events } = await setUp(t, { 'users/alice.json': '{"age": 30}' });
    await observed.listChildren('/users');
    assert.equal(await controller.getState('/users/bob'), undefined);
    writeFileSync(join(base, 'users/bob.json'), '{"age": 40}');
    external.record('/users/bob');
    await external.settled();
    assert.deepEqual(events, [{ path: '/users/bob', prev: undefined, next: { age: 40 } }]);
  });

  test('a deleted file is reported as a delete', async (t) => {
    const { base, controller, external, events, traces } = await setUp(t, { 'a.json': '"x"' });
    assert.equal(await controller.getState('/a'), 'x');
    rmSync(join(base, 'a.json'));
    external.record('/a');
    await external.settled();
    assert.deepEqual(events, [{ path: '/a', prev: 'x', next: undefined }]);
    assert.equal(traces.find((r) => r.kind === 'delete')?.cause, 'file');
  });

  test('an atomic save (delete, then create) in one burst is one change', async (t) => {
    const { base, controller, external, events } = await setUp(t, { 'a.json': '1' });
    assert.equal(await controller.getState('/a'), 1);
    rmSync(join(base, 'a.json'));
    external.record('/a');
    writeFileSync(join(base, '.a.json.123.tmp'), '2');
    renameSync(join(base, '.a.json.123.tmp'), join(base, 'a.json'));
    external.record('/a');
    await external.settled();
    assert.deepEqual(events, [{ path: '/a', prev: 1, next: 2 }]);
  });

  test('a renamed file is a delete and a create', async (t) => {
    const { base, controller, observed, external, events } = await setUp(t, { 'old.json': '7' });
    await observed.listChildren('/');
    assert.equal(await controller.getState('/old'), 7);
    renameSync(join(base, 'old.json'), join(base, 'new.json'));
    external.record('/old');
    external.record('/new');
    await external.settled();
    assert.deepEqual(events.sort((a, b) => a.path.localeCompare(b.path)), [
      { path: '/new', prev: undefined, next: 7 },
      { path: '/old', prev: 7, next: undefined },
    ]);
  });

  test('a node whose own value alone was read reports its old value with its children as they are', async (t) => {
    const { base, observed, external, events } = await setUp(t, { 'team.json': '"blue"', 'team/ann.json': '1' });
    // What the tree does for a node with children: list it, and read its value file only, never the merged read.
    assert.deepEqual(await observed.listChildren('/team'), ['ann']);
    external.rememberOwnValue('/team', 'blue');
    writeFileSync(join(base, 'team.json'), '"red"');
    external.record('/team');
    await external.settled();
    assert.deepEqual(events, [{ path: '/team', prev: { '/': 'blue', ann: 1 }, next: { '/': 'red', ann: 1 } }]);
    events.length = 0;
    writeFileSync(join(base, 'team.json'), '"green"');
    external.record('/team');
    await external.settled();
    assert.deepEqual(events, [{ path: '/team', prev: { '/': 'red', ann: 1 }, next: { '/': 'green', ann: 1 } }]);
  });

  test('a leaf whose value file alone was read reports its old value', async (t) => {
    const { base, external, events } = await setUp(t, { 'counter.json': '1' });
    external.rememberOwnValue('/counter', 1);
    writeFileSync(join(base, 'counter.json'), '2');
    external.record('/counter');
    await external.settled();
    assert.deepEqual(events, [{ path: '/counter', prev: 1, next: 2 }]);
  });

  test('a burst of writes is reported in one batch: a derivation runs once', async (t) => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`items/i${i}.json`] = '0';
    const { base, controller, external } = await setUp(t, files);
    let runs = 0;
    await controller.derive('/total', '/items', (items) => {
      runs++;
      return Object.values(items as Record<string, number>).reduce((sum, n) => sum + n, 0);
    });
    runs = 0;
    for (let i = 0; i < 50; i++) {
      writeFileSync(join(base, `items/i${i}.json`), '1');
      external.record(`/items/i${i}`);
    }
    await external.settled();
    assert.equal(runs, 1);
    assert.equal(await controller.getState('/total'), 50);
  });

  test('each path of a burst is reported on its own: a corrupt file holds back neither a valid one nor a new folder', async (t) => {
    const { base, observed, external, events, unreadable } = await setUp(t, { 'users/alice.json': '1' });
    await observed.listChildren('/');
    await observed.listChildren('/users');
    writeFileSync(join(base, 'users/broken.json'), '{"a": 1,,}');
    writeFileSync(join(base, 'users/dave.json'), '{"name": "Dave"}');
    mkdirSync(join(base, 'inventory'));
    writeFileSync(join(base, 'inventory/widget.json'), '3');
    for (const path of ['/users/broken', '/users/dave', '/inventory', '/inventory/widget']) external.record(path);
    await external.settled();
    assert.deepEqual(events.sort((a, b) => a.path.localeCompare(b.path)), [
      { path: '/inventory', prev: undefined, next: { widget: 3 } },
      { path: '/users/dave', prev: undefined, next: { name: 'Dave' } },
    ]);
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/users/broken']);
    assert.ok(unreadable[0].error instanceof RestateFormatError, String(unreadable[0].error));
  });

  test('a new folder read by the tree before its event is handled is still reported as created', async (t) => {
    const { base, controller, observed, external, events, traces } = await setUp(t, { 'users/alice.json': '1' });
    await observed.listChildren('/');
    await observed.listChildren('/users');
    writeFileSync(join(base, 'users/dave.json'), '4');
    mkdirSync(join(base, 'inventory'));
    writeFileSync(join(base, 'inventory/widget.json'), '3');
    // The first events of the burst are handled: the cached listings above them are dropped.
    external.record('/users/dave');
    await external.settled();
    events.length = 0;
    traces.length = 0;
    // What a refresh of the tree does first: list the root and the new folder, read their value files alone.
    assert.deepEqual(await observed.listChildren('/'), ['inventory', 'users']);
    assert.deepEqual(await observed.listChildren('/inventory'), ['widget']);
    external.rememberOwnValue('/inventory', MISSING);
    external.rememberOwnValue('/inventory/widget', 3);
    // And something reads the new file through the controller.
    assert.equal(await controller.getState('/inventory/widget'), 3);
    external.record('/inventory');
    external.record('/inventory/widget');
    await external.settled();
    assert.deepEqual(events, [{ path: '/inventory', prev: undefined, next: { widget: 3 } }]);
    assert.deepEqual(traces.filter((r) => r.kind === 'set').map((r) => r.path), ['/inventory']);
  });

  test('a file deleted and read by the tree before its event is handled is still reported as deleted', async (t) => {
    const { base, controller, observed, external, events } = await setUp(t, { 'users/alice.json': '1', 'users/bob.json': '2' });
    assert.deepEqual(await observed.listChildren('/users'), ['alice', 'bob']);
    external.rememberOwnValue('/users/bob', 2);
    rmSync(join(base, 'users/bob.json'));
    writeFileSync(join(base, 'users/carol.json'), '3');
    external.record('/users/carol');
    await external.settled();
    events.length = 0;
    assert.deepEqual(await observed.listChildren('/users'), ['alice', 'carol']);
    assert.equal(await controller.getState('/users/bob'), undefined);
    external.record('/users/bob');
    await external.settled();
    assert.deepEqual(events, [{ path: '/users/bob', prev: 2, next: undefined }]);
  });

  test('a few never-read nodes of a large folder are looked for one by one, not by listing the folder; a gone one is reported', async (t) => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`big/n${index}.json`, String(index)]));
    const listed: string[] = [];
    const adapter: FileAdapter = { ...nodeFileAdapter, readDirectory: async (path) => { listed.push(path); return nodeFileAdapter.readDirectory(path); } };
    const lookedFor: string[] = [];
    let base = '';
    const exists = async (path: string): Promise<boolean> => {
      lookedFor.push(path);
      return existsSync(join(base, `${path.slice(1)}.json`));
    };
    const stack = await setUp(t, files, adapter, exists);
    base = stack.base;
    const { observed, external, events } = stack;
    assert.equal((await observed.listChildren('/big')).length, 40);
    rmSync(join(base, 'big/n3.json'));
    writeFileSync(join(base, 'big/n5.json'), '99');
    listed.length = 0;
    external.record('/big/n3');
    external.record('/big/n5');
    await external.settled();
    assert.deepEqual(lookedFor.sort(), ['/big/n3', '/big/n5']);
    assert.ok(!listed.some((folder) => folder.endsWith('big')), `the folder was listed: ${listed.join()}`);
    // Listed but never read: its removal is reported with null, and the other one, whose old value nobody saw, not at all.
    assert.deepEqual(events, [{ path: '/big/n3', prev: null, next: undefined }]);
  });

  test('many never-read nodes of a folder are told apart by one listing of it', async (t) => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`big/n${index}.json`, String(index)]));
    const lookedFor: string[] = [];
    const { base, observed, external, events } = await setUp(t, files, nodeFileAdapter, async (path) => {
      lookedFor.push(path);
      return undefined;
    });
    await observed.listChildren('/big');
    for (let index = 0; index < 10; index++) rmSync(join(base, `big/n${index}.json`));
    for (let index = 0; index < 10; index++) external.record(`/big/n${index}`);
    await external.settled();
    assert.deepEqual(lookedFor, []);
    assert.equal(events.length, 10);
  });

  test('a corrupt file is read again a few times, for about a second, before it is reported (S133)', async (t) => {
    const { base, observed, external, unreadable } = await setUp(t);
    await observed.listChildren('/');
    writeFileSync(join(base, 'broken.json'), '{"a": ');
    const started = Date.now();
    external.record('/broken');
    await external.settled();
    const waited = Date.now() - started;
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/broken']);
    assert.ok(waited >= 300 && waited < 2000, `reported after ${waited} ms`);
  });

  test('a half-written file that is completed while it is read again is reported once, with its full value', async (t) => {
    const { base, observed, external, events, unreadable } = await setUp(t);
    await observed.listChildren('/');
    writeFileSync(join(base, 'job.json'), '{"state": "run');
    external.record('/job');
    // The writer finishes without another event reaching the watcher (coalesced away, or late).
    setTimeout(() => writeFileSync(join(base, 'job.json'), '{"state": "running"}'), 40);
    await external.settled();
    assert.deepEqual(events, [{ path: '/job', prev: undefined, next: { state: 'running' } }]);
    assert.deepEqual(unreadable, []);
  });

  test('a later valid write clears an unreadable file and reports the change from the value before it broke', async (t) => {
    const { base, controller, external, events, unreadable, readable } = await setUp(t, { 'counter.json': '1' });
    assert.equal(await controller.getState('/counter'), 1);
    writeFileSync(join(base, 'counter.json'), '');
    external.record('/counter');
    await external.settled();
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/counter']);
    assert.deepEqual(events, []);
    writeFileSync(join(base, 'counter.json'), '2');
    external.record('/counter');
    await external.settled();
    assert.deepEqual(events, [{ path: '/counter', prev: 1, next: 2 }]);
    assert.deepEqual(readable, ['/counter']);
  });

  test('a file that stays broken through several writes is reported once', async (t) => {
    const { base, observed, external, unreadable, readable } = await setUp(t);
    await observed.listChildren('/');
    for (const text of ['{', '{"a"', '{"a":']) {
      writeFileSync(join(base, 'broken.json'), text);
      external.record('/broken');
      await external.settled();
    }
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/broken']);
    assert.deepEqual(readable, []);
  });

  test('a file another reader could not parse is read again before it is reported; fixed, it is reported as new', async (t) => {
    const { base, observed, external, events, unreadable, readable } = await setUp(t);
    writeFileSync(join(base, 'notes.json'), '[1, 2');
    // What the tree does: list the folder, fail to read the file, and say so.
    await observed.listChildren('/');
    const error = await observed.read('/notes').catch((failure: unknown) => failure);
    assert.ok(error instanceof RestateFormatError);
    external.noteRead('/notes', error);
    assert.equal(unreadable.length, 0, 'reported before it was read again');
    await external.settled();
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/notes']);
    writeFileSync(join(base, 'notes.json'), '[1, 2]');
    external.record('/notes');
    await external.settled();
    assert.deepEqual(events, [{ path: '/notes', prev: undefined, next: [1, 2] }]);
    assert.deepEqual(readable, ['/notes']);
  });

  test('a new folder with a broken file in it is reported as unreadable at that file', async (t) => {
    const { base, observed, external, unreadable } = await setUp(t);
    await observed.listChildren('/');
    mkdirSync(join(base, 'inventory'));
    writeFileSync(join(base, 'inventory/widget.json'), '{');
    external.record('/inventory');
    await external.settled();
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/inventory/widget']);
  });

  test('a file another reader could not parse is still reported when its change event arrives meanwhile', async (t) => {
    const { base, observed, external, unreadable } = await setUp(t);
    writeFileSync(join(base, 'notes.json'), '[1, 2');
    await observed.listChildren('/');
    external.noteRead('/notes', await observed.read('/notes').catch((failure: unknown) => failure));
    // The watcher's event for the same write comes after the reader: the file is known as listed, never read.
    external.record('/notes');
    await external.settled();
    assert.deepEqual(unreadable.map((failure) => failure.path), ['/notes']);
  });

  test("a new folder whose file alone had an event is reported, and once when the folder's event comes too", async (t) => {
    const { base, observed, external, events } = await setUp(t);
    await observed.listChildren('/');
    mkdirSync(join(base, 'inventory/parts'), { recursive: true });
    writeFileSync(join(base, 'inventory/parts/widget.json'), '3');
    external.record('/inventory/parts/widget');
    await external.settled();
    assert.deepEqual(events, [{ path: '/inventory/parts/widget', prev: undefined, next: 3 }]);
    events.length = 0;
    mkdirSync(join(base, 'tools'));
    writeFileSync(join(base, 'tools/hammer.json'), '1');
    external.record('/tools');
    external.record('/tools/hammer');
    await external.settled();
    assert.deepEqual(events, [{ path: '/tools', prev: undefined, next: { hammer: 1 } }]);
  });

  test("an own write that lands while a change is being read is not reported as another process's change", async (t) => {
    // The watcher's read of a.json is held until the controller has written it itself: the read then finds
    // the controller's own value, which must not come back as a change made by someone else (cause file).
    let hold: Promise<void> | undefined;
    let holding!: () => void;
    const adapter: FileAdapter = {
      ...nodeFileAdapter,
      readFile: async (path) => {
        const held = path.endsWith('a.json') ? hold : undefined;
        if (held !== undefined) {
          hold = undefined;
          holding();
          await held;
        }
        return nodeFileAdapter.readFile(path);
      },
    };
    const { controller, external, events, traces } = await setUp(t, { 'a.json': '1' }, adapter);
    assert.equal(await controller.getState('/a'), 1);
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    const held = new Promise<void>((resolve) => (holding = resolve));
    external.record('/a');
    const settled = external.settled();
    await held;
    await controller.setState('/a', 2);
    release();
    await settled;
    assert.deepEqual(events, [{ path: '/a', prev: 1, next: 2 }]);
    assert.deepEqual(traces.filter((r) => r.kind === 'set').map((r) => r.cause), ['api']);
  });
});

describe('PathMap: own values kept by path', () => {
  test('deleteAtOrBelow drops the key and the keys below it, and nothing else', () => {
    const map = new PathMap<number>();
    for (const [index, path] of ['/a', '/a/b', '/a/b/c', '/a/bc', '/x'].entries()) map.set(path, index);
    map.set('/a/b/c', 9);
    assert.equal(map.size, 5);
    map.deleteAtOrBelow('/a/b');
    assert.deepEqual(['/a', '/a/b', '/a/b/c', '/a/bc', '/x'].filter((path) => map.has(path)), ['/a', '/a/bc', '/x']);
    map.deleteAtOrBelow('/x');
    map.deleteAtOrBelow('/nothing');
    assert.deepEqual(['/a', '/a/bc', '/x'].filter((path) => map.has(path)), ['/a', '/a/bc']);
    // Counts below a path follow deletes: /a has one key below it now, then none.
    map.delete('/a/bc');
    map.set('/a/b', 1);
    map.deleteAtOrBelow('/a');
    assert.equal(map.size, 0);
    map.set('/p/q', 1);
    map.set('/r', 2);
    map.deleteAtOrBelow('/');
    assert.equal(map.size, 0);
  });
});
