// The Changes view's history model, fed by real controllers' traces: entries, causes, groups per batch,
// rollbacks, bounds, filters and what a revert writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChangeHistory,
  describeCause,
  revertAction,
  shortCause,
  shortValue,
  summary,
  type ChangeEntry,
  type HistoryItem,
} from '../../../extension/changes/history';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerAsync, ControllerSync, FileSystemSyncBackend, type TraceCause, type TraceRecord } from '../../../extension/restate/index';

function recorded(maxEntries = 100): { c: ControllerSync; history: ChangeHistory } {
  const c = new ControllerSync();
  const history = new ChangeHistory({ maxEntries });
  c.onTrace((record) => history.record('host', record));
  return { c, history };
}

/** Items as short strings, newest first: `path:before→after` for entries, `[…]` around a group's entries. */
function shape(items: readonly HistoryItem[]): string[] {
  const line = (e: ChangeEntry): string => `${e.path}:${e.before ?? '-'}→${e.after ?? '-'}${e.undone ? '(undone)' : ''}`;
  return items.map((item) => (item.type === 'entry' ? line(item.entry) : `[${item.group.entries.map(line).join(' ')}]`));
}

function entries(history: ChangeHistory): ChangeEntry[] {
  return history.items().flatMap((item) => (item.type === 'entry' ? [item.entry] : [...item.group.entries]));
}

describe('ChangeHistory entries', () => {
  it('records changed sets, deletes of existing nodes and pings, newest first; skips equal writes', () => {
    const { c, history } = recorded();
    c.setState('/a', 1);
    c.setState('/a', 1);
    c.setState('/a', { x: [1, 2] });
    c.delState('/missing');
    c.ping('/a');
    c.delState('/a');
    assert.deepEqual(shape(history.items()), ['/a:{"x":[1,2]}→-', '/a:{"x":[1,2]}→{"x":[1,2]}', '/a:1→{"x":[1,2]}', '/a:-→1']);
    assert.deepEqual(entries(history).map((e) => e.kind), ['delete', 'ping', 'set', 'set']);
  });

  it('keeps the values as they were, even if the live object is mutated later', () => {
    const { c, history } = recorded();
    const value = { n: 1 };
    c.setState('/live', value);
    value.n = 2;
    assert.equal(entries(history)[0].after, '{"n":1}');
  });

  it('takes wall-clock times and trace seqs', () => {
    const { c, history } = recorded();
    const before = Date.now();
    c.setState('/a', 1);
    const [entry] = entries(history);
    assert.ok(entry.time >= before - 5 && entry.time <= Date.now() + 5, `time ${entry.time}`);
    assert.ok(entry.seq >= 1);
  });

  it('keeps each cause: api, file, derivation, tracker, callback; marks silent writes', () => {
    const { c, history } = recorded();
    c.derive('/double', '/n', (v) => (typeof v === 'number' ? v * 2 : 0));
    c.subscribe('/n', (e) => {
      e.setState('/echo', e.newValue);
    }, { forceId: 'echo' });
    c.setState('/n', 2);
    c.notifyChange('/n', { prevValue: 2, newValue: 3 });
    c.setState('/quiet', 1, { skipNotify: true });
    const causes = entries(history).map((e) => `${e.path}:${e.cause}${e.silent ? ':silent' : ''}`);
    assert.deepEqual(causes, [
      '/quiet:api:silent',
      '/echo:callback:echo',
      '/double:derive:/double',
      '/n:file',
      '/echo:callback:echo',
      '/double:derive:/double',
      '/n:api',
      '/double:derive:/double',
    ]);
    assert.equal(describeCause('api'), 'explorer');
    assert.equal(describeCause('file'), 'file (another process)');
    assert.equal(describeCause('derive:/double'), 'derivation of /double');
    assert.equal(describeCause('track:2'), 'tracker 2');
    assert.equal(describeCause('callback:echo'), 'callback echo');
    const kinds: TraceCause[] = ['api', 'file', 'derive:/double', 'track:2', 'callback:echo'];
    assert.deepEqual(kinds.map(shortCause), ['explorer', 'file', 'derive /double', 'tracker 2', 'callback echo']);
  });

  it('ignores trace records of other kinds without failing', () => {
    const history = new ChangeHistory({ maxEntries: 10 });
    const run: TraceRecord = { kind: 'derive-run', id: 'derive:/x', dest: '/x', triggerPath: '/a', durationMs: 1, error: null, seq: 1, time: 1, cause: 'api', depth: 1 };
    history.record('host', run);
    history.record('host', { kind: 'rollback', path: '/x', seq: 2, time: 2, cause: 'rollback', depth: 1 });
    assert.equal(history.size, 0);
  });
});

describe('ChangeHistory groups', () => {
  it('groups the changes of one batch with what its flush wrote, separate from changes before and after', () => {
    const { c, history } = recorded();
    c.derive('/sum', '/n', () => 'derived');
    c.setState('/before', 1);
    c.batch(() => {
      c.setState('/n/a', 1);
      c.setState('/n/b', 2);
      c.delState('/before');
    });
    c.setState('/after', 1);
    assert.deepEqual(shape(history.items()), [
      '/after:-→1',
      '[/n/a:-→1 /n/b:-→2 /before:1→-]',
      '/before:-→1',
      '/sum:-→"derived"',
    ]);
    const group = history.items()[1];
    assert.ok(group.type === 'group');
    assert.ok(group.group.entries.every((e) => e.groupId === group.group.id));
  });

  it('puts the writes of derivations during the flush into the batch group', () => {
    const { c, history } = recorded();
    c.setState('/n', 1);
    c.derive('/double', '/n', (v) => (typeof v === 'number' ? v * 2 : 0));
    c.batch(() => {
      c.setState('/n', 5);
    });
    assert.deepEqual(shape(history.items()).slice(0, 1), ['[/n:1→5 /double:2→10]']);
  });

  it('starts a new group for a second batch once the first one has flushed', () => {
    const { c, history } = recorded();
    c.derive('/d', '/a', () => 'x');
    c.batch(() => {
      c.setState('/a', 1);
    });
    c.batch(() => {
      c.setState('/a', 2);
    });
    assert.equal(history.items().filter((i) => i.type === 'group').length, 2);
  });

  it('closes a group after a pause between records', () => {
    const history = new ChangeHistory({ maxEntries: 10, groupGapMs: 100 });
    const set = (seq: number, time: number): TraceRecord => ({ kind: 'set', path: `/p${seq}`, prevValue: undefined, value: seq, changed: true, notified: false, payload: undefined, batched: true, cause: 'file', depth: 1, seq, time });
    history.record('host', set(1, 1000));
    history.record('host', set(2, 1050));
    history.record('host', set(3, 2000));
    assert.deepEqual(history.items().map((i) => (i.type === 'group' ? i.group.entries.length : 0)), [1, 2]);
  });

  it('keeps groups apart per source', () => {
    const history = new ChangeHistory({ maxEntries: 10 });
    const a = new ControllerSync();
    const b = new ControllerSync();
    a.onTrace((r) => history.record('a', r));
    b.onTrace((r) => history.record('b', r));
    a.batch(() => {
      a.setState('/x', 1);
      b.setState('/y', 1);
      a.setState('/z', 1);
    });
    assert.deepEqual(shape(history.items()), ['/y:-→1', '[/x:-→1 /z:-→1]']);
  });

  it('S116 marks the entries a failed batch undid; a failed nested batch only its own', () => {
    const { c, history } = recorded();
    c.setState('/a', 0);
    assert.throws(() => c.batch(() => {
      c.setState('/a', 1);
      try {
        c.batch(() => {
          c.setState('/b', 1);
          c.setState('/a', 2);
          throw new Error('inner');
        });
      } catch {
        // the outer batch goes on
      }
      c.setState('/c', 1);
      throw new Error('outer');
    }));
    assert.deepEqual(shape(history.items()).slice(0, 1), ['[/a:0→1(undone) /b:-→1(undone) /a:1→2(undone) /c:-→1(undone)]']);
    c.batch(() => {
      c.setState('/a', 1);
      try {
        c.batch(() => {
          c.setState('/b', 1);
          throw new Error('inner');
        });
      } catch {
        // the outer batch goes on
      }
    });
    assert.deepEqual(shape(history.items()).slice(0, 1), ['[/a:0→1 /b:-→1(undone)]']);
    assert.deepEqual(revertAction(entries(history)[1]), { kind: 'none' }, 'an undone change has nothing to revert');
  });

  it('groups what an async batch writes across awaits', async () => {
    const c = new ControllerAsync();
    const history = new ChangeHistory({ maxEntries: 10 });
    c.onTrace((r) => history.record('host', r));
    await c.batch(async () => {
      await c.setState('/a', 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await c.setState('/b', 1);
    });
    assert.deepEqual(shape(history.items()), ['[/a:-→1 /b:-→1]']);
  });
});

describe('ChangeHistory bounds, filter and listeners', () => {
  it('keeps at most maxEntries entries, dropping the oldest, also from inside groups', () => {
    const { c, history } = recorded(3);
    c.batch(() => {
      c.setState('/g/1', 1);
      c.setState('/g/2', 2);
    });
    c.setState('/a', 1);
    c.setState('/b', 1);
    assert.equal(history.size, 3);
    assert.deepEqual(shape(history.items()), ['/b:-→1', '/a:-→1', '[/g/2:-→2]']);
    c.setState('/c', 1);
    assert.deepEqual(shape(history.items()), ['/c:-→1', '/b:-→1', '/a:-→1']);
    history.maxEntries = 1;
    assert.deepEqual(shape(history.items()), ['/c:-→1']);
    assert.equal(history.entry(entries(history)[0].id)?.path, '/c');
  });

  it('filters by path prefix: the path itself and everything below it, groups keep matching entries', () => {
    const { c, history } = recorded();
    c.setState('/ab', 1);
    c.setState('/a/x', 1);
    c.batch(() => {
      c.setState('/a', 1);
      c.setState('/b', 1);
    });
    assert.deepEqual(shape(history.items('/a')), ['[/a:{"x":1}→1]', '/a/x:-→1']);
    assert.equal(history.items('/').length, 3);
    assert.deepEqual(history.items('/nothing'), []);
  });

  it('clear and forgetSource empty it and tell listeners', () => {
    const { c, history } = recorded();
    let calls = 0;
    const stop = history.onDidChange(() => calls++);
    c.setState('/a', 1);
    history.forgetSource('other');
    assert.equal(history.size, 1);
    history.forgetSource('host');
    assert.equal(history.size, 0);
    c.setState('/a', 2);
    history.clear();
    assert.equal(history.size, 0);
    assert.ok(calls >= 4);
    stop();
    c.setState('/a', 3);
    assert.ok(calls < 6);
  });
});

describe('ChangeHistory summaries and reverts', () => {
  it('shows short before → after lines', () => {
    const { c, history } = recorded();
    c.setState('/a', 'x'.repeat(50));
    c.delState('/a');
    c.ping('/p');
    const [ping, del, set] = entries(history);
    assert.equal(summary(set), `missing → ${shortValue(JSON.stringify('x'.repeat(50)))}`);
    assert.ok(summary(set).endsWith('…'));
    assert.match(summary(del), /→ missing$/);
    assert.equal(summary(ping), 'ping missing');
  });

  it('a revert writes the value before back, deletes a path that was missing, and keeps children', () => {
    const { c, history } = recorded();
    c.setState('/new', 1);
    c.setState('/tree', 'own');
    c.setState('/tree/child', 1);
    c.setState('/tree', 'changed');
    c.setState('/leaf', [1]);
    c.setState('/leaf', [2]);
    const [leaf, , tree, , , created] = entries(history);
    assert.deepEqual(revertAction(created), { kind: 'delete', path: '/new' });
    assert.deepEqual(revertAction(leaf), { kind: 'write', path: '/leaf', value: [1] });
    assert.deepEqual(revertAction(tree), { kind: 'write', path: '/tree', value: 'own' });
  });

  it('a revert of a delete brings back the whole subtree, telling children from object values by the layout', () => {
    const c = new ControllerSync();
    const history = new ChangeHistory({ maxEntries: 10 });
    c.onTrace((record) => history.record('host', record, record.kind === 'delete' ? ['/tree', '/tree/group'] : undefined));
    c.setState('/tree', 'own');
    c.setState('/tree/value', { n: 1 });
    c.setState('/tree/group/member', 2);
    c.delState('/tree');
    c.setState('/leaf', { n: 3 });
    c.delState('/leaf');
    const [leaf, , tree] = entries(history);
    assert.deepEqual(revertAction(tree), {
      kind: 'restore',
      path: '/tree',
      nodes: [{ path: '/tree', value: 'own' }, { path: '/tree/group/member', value: 2 }, { path: '/tree/value', value: { n: 1 } }],
    });
    assert.deepEqual(revertAction(leaf), { kind: 'write', path: '/leaf', value: { n: 3 } }, 'a node outside the layout is a value');
  });

  it('without a layout, a revert of a delete takes a "/" key for a node with children', () => {
    const { c, history } = recorded();
    c.setState('/tree', 'own');
    c.setState('/tree/value', { n: 1 });
    c.delState('/tree');
    const [removal] = entries(history);
    assert.deepEqual(revertAction(removal), { kind: 'restore', path: '/tree', nodes: [{ path: '/tree', value: 'own' }, { path: '/tree/value', value: { n: 1 } }] });
  });
});

describe('ChangeHistory under a constant writer: repeats, mutes, age', () => {
  function collapsing(options: { maxEntries?: number; maxAgeMs?: number; now?: () => number } = {}): { c: ControllerSync; history: ChangeHistory } {
    const c = new ControllerSync();
    const history = new ChangeHistory({ maxEntries: options.maxEntries ?? 100, collapseRepeats: true, maxAgeMs: options.maxAgeMs, now: options.now });
    c.onTrace((record) => history.record('host', record));
    return { c, history };
  }

  it('collapses repeated changes of a path into one entry with a count, before of the first and after of the last', () => {
    const { c, history } = collapsing();
    c.setState('/clock', 1);
    c.setState('/clock', 2);
    c.setState('/clock', 3);
    assert.deepEqual(shape(history.items()), ['/clock:-→3']);
    const [entry] = entries(history);
    assert.equal(entry.count, 3);
    assert.ok(entry.firstTime <= entry.time);
    assert.equal(history.size, 1);
    assert.deepEqual(revertAction(entry), { kind: 'delete', path: '/clock' }, 'a revert undoes every change it stands for');
  });

  it('without collapseRepeats every change keeps its own entry', () => {
    const { c, history } = recorded();
    c.setState('/clock', 1);
    c.setState('/clock', 2);
    assert.deepEqual(entries(history).map((e) => e.count), [1, 1]);
  });

  it("keeps a user's change while a writer repeats around it, and moves the repeat to the top", () => {
    const { c, history } = collapsing({ maxEntries: 3 });
    c.setState('/clock', 0, { cause: 'file' });
    c.setState('/settings/theme', 'dark');
    for (let tick = 1; tick <= 500; tick++) c.setState('/clock', tick, { cause: 'file' });
    assert.deepEqual(shape(history.items()), ['/clock:-→500', '/settings/theme:-→"dark"']);
    assert.equal(entries(history)[0].count, 501);
  });

  it('does not merge across a change of the same path by another cause, nor different kinds', () => {
    const { c, history } = collapsing();
    c.setState('/n', 1, { cause: 'file' });
    c.setState('/n', 2);
    c.setState('/n', 3, { cause: 'file' });
    c.ping('/n');
    c.ping('/n');
    assert.deepEqual(shape(history.items()), ['/n:3→3', '/n:2→3', '/n:1→2', '/n:-→1']);
    assert.deepEqual(entries(history).map((e) => e.count), [2, 1, 1, 1]);
  });

  it('collapses repeated batches with the same shape into one group with a count; a derivation write stays in its batch', () => {
    const { c, history } = collapsing();
    c.derive('/doubled', '/counter', (v) => (typeof v === 'number' ? v * 2 : 0));
    for (let tick = 1; tick <= 4; tick++) {
      c.batch(() => {
        c.notifyChange('/clock', { prevValue: tick - 1, newValue: tick });
        c.setState('/counter', tick, { cause: 'file' });
      });
    }
    c.setState('/mine', 1);
    const items = history.items();
    assert.deepEqual(shape(items).slice(0, 2), ['/mine:-→1', '[/clock:0→4 /counter:-→4 /doubled:0→8]']);
    const group = items[1];
    assert.ok(group.type === 'group');
    assert.equal(group.group.count, 4);
    assert.ok(group.group.entries.every((entry) => entry.count === 4));
  });

  it('keeps a slow derivation write in the batch that caused it, however long its run took', () => {
    const history = new ChangeHistory({ maxEntries: 10, groupGapMs: 100, collapseRepeats: true });
    const base = { prevValue: undefined, changed: true, notified: true, payload: undefined } as const;
    history.record('host', { kind: 'set', path: '/counter', value: 1, batched: true, cause: 'file', depth: 1, seq: 1, time: 1000, ...base });
    history.record('host', { kind: 'set', path: '/doubled', value: 2, batched: false, cause: 'derive:/doubled', depth: 2, seq: 2, time: 1400, ...base });
    history.record('host', { kind: 'set', path: '/later', value: 1, batched: false, cause: 'api', depth: 1, seq: 3, time: 1450, ...base });
    assert.deepEqual(shape(history.items()), ['/later:-→1', '[/counter:-→1 /doubled:-→2]']);
  });

  it('closes a batch group once it has been quiet, collapsing it at once; a late nested write still joins it', async () => {
    const history = new ChangeHistory({ maxEntries: 10, groupGapMs: 20, collapseRepeats: true });
    const base = { prevValue: undefined, changed: true, notified: true, payload: undefined } as const;
    const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 60));
    history.record('host', { kind: 'set', path: '/counter', value: 1, batched: true, cause: 'file', depth: 1, seq: 1, time: 1000, ...base });
    await quiet();
    history.record('host', { kind: 'set', path: '/counter', value: 2, batched: true, cause: 'file', depth: 1, seq: 2, time: 1001, ...base });
    await quiet();
    assert.deepEqual(shape(history.items()), ['[/counter:-→2]'], 'the quiet second batch collapsed without waiting for a third');
    history.record('host', { kind: 'set', path: '/doubled', value: 4, batched: false, cause: 'derive:/doubled', depth: 2, seq: 3, time: 1500, ...base });
    assert.deepEqual(shape(history.items()), ['[/counter:-→2 /doubled:-→4]']);
  });

  it('does not record muted paths (and below) or muted causes; unmuting records again', () => {
    const { c, history } = collapsing();
    history.muted = { paths: ['/clock'], causes: ['file'] };
    c.setState('/clock/time', 1);
    c.setState('/other', 1, { cause: 'file' });
    c.setState('/clockwork', 1);
    assert.deepEqual(shape(history.items()), ['/clockwork:-→1']);
    history.muted = { paths: [], causes: [] };
    c.setState('/clock/time', 2);
    assert.equal(entries(history)[0].path, '/clock/time');
  });

  it('drops entries older than maxAgeMs, by the time of their last change', () => {
    let now = 0;
    const history = new ChangeHistory({ maxEntries: 100, collapseRepeats: true, maxAgeMs: 60_000, now: () => now });
    const at = (seq: number, path: string, value: number, time: number): TraceRecord => ({ kind: 'set', path, prevValue: undefined, value, changed: true, notified: true, payload: undefined, batched: false, cause: 'api', depth: 1, seq, time });
    history.record('host', at(1, '/old', 1, 0));
    history.record('host', at(2, '/kept', 1, 1));
    history.record('host', at(3, '/kept', 2, 30_000));
    now = performance.timeOrigin + 61_000;
    history.expire();
    assert.deepEqual(shape(history.items()), ['/kept:-→2']);
    history.maxAgeMs = undefined;
    now += 10 * 60_000;
    history.expire();
    assert.equal(history.size, 1);
  });
});

describe('ChangeHistory and values that could not be read (S131)', () => {
  /** A controller over a state folder in which /users/bob's file cannot be parsed. */
  function overBrokenFile(): { c: ControllerSync; history: ChangeHistory; brokenFile: string; remove: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'restate-history-'));
    const base = join(dir, '.state');
    mkdirSync(join(base, 'users'), { recursive: true });
    writeFileSync(join(base, 'users', 'alice.json'), '1');
    const brokenFile = join(base, 'users', 'bob.json');
    writeFileSync(brokenFile, '{"name": ');
    const c = new ControllerSync(new FileSystemSyncBackend(base));
    const history = new ChangeHistory({ maxEntries: 100 });
    c.onTrace((record) => history.record('host', record));
    return { c, history, brokenFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('a write over an unreadable value shows it as <unreadable: why> and cannot be reverted', () => {
    const { c, history, brokenFile, remove } = overBrokenFile();
    try {
      c.setState('/users/bob', 'fixed');
      const [entry] = entries(history);
      assert.match(entry.before ?? '', /^"<unreadable: unexpected end of input.*line 1, column 10>"$/);
      assert.equal(entry.after, '"fixed"');
      assert.equal(entry.unreadableBefore?.file, brokenFile);
      assert.match(entry.unreadableBefore?.detail ?? '', /line 1, column 10/);
      assert.deepEqual(revertAction(entry), { kind: 'unavailable', path: '/users/bob', unreadable: entry.unreadableBefore });
      c.setState('/users/bob', 'again');
      assert.deepEqual(revertAction(entries(history)[0]), { kind: 'write', path: '/users/bob', value: 'fixed' }, 'the next change reverts as usual');
    } finally {
      remove();
    }
  });

  it('a delete whose old value holds an unreadable node cannot be reverted either', () => {
    const { c, history, brokenFile, remove } = overBrokenFile();
    try {
      c.delState('/users');
      const [entry] = entries(history);
      const before = JSON.parse(entry.before ?? 'null') as Record<string, unknown>;
      assert.equal(before.alice, 1);
      assert.match(String(before.bob), /^<unreadable: /);
      assert.equal(entry.unreadableBefore?.file, brokenFile);
      assert.equal(revertAction(entry).kind, 'unavailable');
    } finally {
      remove();
    }
  });
});
