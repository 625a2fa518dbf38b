// The graph snapshot (S118–S119), the trace stream (S120–S123) and external changes (S124).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ControllerAsync, ControllerSync, InMemoryBackend, RestateCallbackError, RestateUsageError } from '../../../extension/restate/index';
import type { Backend, GraphNode, TraceRecord } from '../../../extension/restate/index';
import { callbackFor } from './callback-for';
import type { AnyEvent } from './callback-for';
import type { AnyController } from './controllers';
import { forEachController } from './controllers';
import { RunRecord } from '../../../extension/restate/system';

/** Attaches a listener that collects every record. */
function recordTrace(c: AnyController): { records: TraceRecord[]; detach: () => void } {
  const records: TraceRecord[] = [];
  const detach = c.onTrace((record) => {
    records.push(record);
  });
  return { records, detach };
}

/** A record without the fields that vary from run to run. */
function stable(record: TraceRecord): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  delete copy.seq;
  delete copy.time;
  delete copy.durationMs;
  return copy;
}

/** Node ids and kinds without the timing statistics. */
function shape(nodes: readonly GraphNode[]): Record<string, unknown>[] {
  return nodes.map((node) => {
    const copy: Record<string, unknown> = { ...node };
    delete copy.stats;
    return copy;
  });
}

function statsOf(c: AnyController, id: string): { runCount: number; lastRunMs: number | null; lastError: { name: string; message: string } | null } {
  const node = c.graph().nodes.find((n) => n.id === id);
  assert.ok(node && node.kind !== 'path', `no system node ${id}`);
  return node.stats;
}

/** Keeps the thread busy: a run's duration must include time its code spends, not only time it waits. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A backend that counts the writes and deletes reaching it. */
class CountingBackend implements Backend {
  readonly inner = new InMemoryBackend();
  writes = 0;
  deletes = 0;
  read<D>(...args: [path: string, dflt?: D]): unknown {
    return args.length < 2 ? this.inner.read(args[0]) : this.inner.read(args[0], args[1]);
  }
  write(path: string, value: unknown): void {
    this.writes++;
    this.inner.write(path, value);
  }
  delete(path: string): void {
    this.deletes++;
    this.inner.delete(path);
  }
  listChildren(path: string): string[] {
    return this.inner.listChildren(path);
  }
}

forEachController('S118 S119 graph snapshots', (kind) => {
  async function build(c: AnyController): Promise<void> {
    //  /a ──source──► derive:/b ──dest──► /b
    //   │ └─source──► derive:/sum ◄─source── /users/*/n
    //   │                 └──dest──► /sum
    //   └──read──► track:1 ◄──read── /b
    await c.derive('/b', '/a', (v) => v ?? 0);
    await c.deriveMany('/sum', ['/a', '/users/*/n'], () => 1);
    await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('/a');
        yield e.getState('/b');
      }),
    );
  }

  it('S119 nodes sort by kind then id, edges by from then to, with sources, dest and reads', async () => {
    const c = kind.make();
    await build(c);
    const graph = c.graph();
    assert.deepEqual(shape(graph.nodes), [
      { kind: 'path', id: '/a' },
      { kind: 'path', id: '/b' },
      { kind: 'path', id: '/sum' },
      { kind: 'path', id: '/users/*/n' },
      { kind: 'derivation', id: 'derive:/b', dest: '/b', sources: ['/a'] },
      { kind: 'derivation', id: 'derive:/sum', dest: '/sum', sources: ['/a', '/users/*/n'] },
      { kind: 'tracker', id: 'track:1', reads: ['/a', '/b'] },
    ]);
    assert.deepEqual(graph.edges, [
      { from: '/a', to: 'derive:/b', kind: 'source' },
      { from: '/a', to: 'derive:/sum', kind: 'source' },
      { from: '/a', to: 'track:1', kind: 'read' },
      { from: '/b', to: 'track:1', kind: 'read' },
      { from: '/users/*/n', to: 'derive:/sum', kind: 'source' },
      { from: 'derive:/b', to: '/b', kind: 'dest' },
      { from: 'derive:/sum', to: '/sum', kind: 'dest' },
    ]);
  });

  it('S118 a snapshot is plain data: JSON and structuredClone give it back unchanged', async () => {
    const c = kind.make();
    await build(c);
    await assert.rejects(async () => {
      await c.derive('/bad', '/a', () => {
        throw new TypeError('bad transform');
      });
    }, TypeError);
    const graph = c.graph();
    assert.deepStrictEqual(JSON.parse(JSON.stringify(graph)), graph);
    assert.deepStrictEqual(structuredClone(graph), graph);
    assert.equal(Object.getPrototypeOf(graph), Object.prototype);
    for (const node of graph.nodes) assert.equal(Object.getPrototypeOf(node), Object.prototype);
  });

  it('S118 later changes do not alter a snapshot', async () => {
    const c = kind.make();
    await build(c);
    const graph = c.graph();
    const before = structuredClone(graph);
    await c.setState('/a', 5);
    await c.derive('/b', '/other', () => 2);
    await c.track(() => undefined);
    c.untrack('track:1');
    c.underive('/sum');
    assert.deepStrictEqual(graph, before);
    assert.notDeepEqual(c.graph(), before);
  });

  it('S119 runCount counts every run, first and failed ones included; lastRunMs and lastError describe the last run', async () => {
    const c = kind.make(undefined, { timeRuns: 'always' });
    const boom = new RangeError('too big');
    await c.derive('/d', '/s', (v) => {
      if (typeof v === 'number' && v > 10) throw boom;
      return v ?? 0;
    });
    let stats = statsOf(c, 'derive:/d');
    assert.equal(stats.runCount, 1);
    assert.equal(typeof stats.lastRunMs, 'number');
    assert.ok((stats.lastRunMs ?? -1) >= 0);
    assert.equal(stats.lastError, null);
    await assert.rejects(async () => {
      await c.setState('/s', 11);
    }, RestateCallbackError);
    stats = statsOf(c, 'derive:/d');
    assert.equal(stats.runCount, 2);
    assert.deepEqual(stats.lastError, { name: 'RangeError', message: 'too big' });
    await c.setState('/s', 1);
    stats = statsOf(c, 'derive:/d');
    assert.equal(stats.runCount, 3);
    assert.equal(stats.lastError, null);
  });

  it('S119 tracker stats count failed first runs too, and reads are the current ones', async () => {
    const c = kind.make();
    const boom = new Error('first run fails');
    await assert.rejects(async () => {
      await c.track(
        callbackFor(kind, function* (e) {
          const v = yield e.getState('/v');
          if (v === undefined) throw boom;
          yield e.getState('/w');
        }),
      );
    }, (error: unknown) => error === boom);
    let node = c.graph().nodes.find((n) => n.id === 'track:1');
    assert.ok(node?.kind === 'tracker');
    assert.deepEqual(node.reads, ['/v']);
    assert.equal(node.stats.runCount, 1);
    assert.deepEqual(node.stats.lastError, { name: 'Error', message: 'first run fails' });
    await c.setState('/v', 1);
    node = c.graph().nodes.find((n) => n.id === 'track:1');
    assert.ok(node?.kind === 'tracker');
    assert.deepEqual(node.reads, ['/v', '/w']);
    assert.equal(node.stats.runCount, 2);
    assert.equal(node.stats.lastError, null);
  });

  it('S119 lastRunMs of a run that follows a slow subscriber of the same path leaves out the subscriber', async () => {
    const c = kind.make(undefined, { timeRuns: 'always' });
    await c.derive('/first', '/s', (v) => v);
    c.subscribe('/s', () => busyWait(40));
    await c.derive('/second', '/s', (v) => v);
    await c.setState('/s', 1);
    assert.ok((statsOf(c, 'derive:/second').lastRunMs ?? 99) < 30, `lastRunMs ${statsOf(c, 'derive:/second').lastRunMs}`);
  });

  it('S119 lastRunMs of a tracked run counts its work after a nested write that ran a derivation', async () => {
    const c = kind.make(undefined, { timeRuns: 'always' });
    await c.derive('/doubled', '/x', (v) => (typeof v === 'number' ? v * 2 : 0));
    await c.track(
      callbackFor(kind, function* (e) {
        const v = yield e.getState('/s');
        if (v === undefined) return;
        yield e.setState('/x', v);
        busyWait(40);
      }),
    );
    await c.setState('/s', 1);
    assert.equal(await c.getState('/doubled'), 2);
    assert.ok((statsOf(c, 'track:1').lastRunMs ?? 0) >= 39, `lastRunMs ${statsOf(c, 'track:1').lastRunMs}`);
  });

  it('S119 lastRunMs of the first run of a change leaves out the time since the previous change', async () => {
    const c = kind.make(undefined, { timeRuns: 'always' });
    await c.derive('/d', '/s', (v) => v);
    await c.setState('/s', 1);
    busyWait(40);
    await c.setState('/s', 2);
    assert.ok((statsOf(c, 'derive:/d').lastRunMs ?? 99) < 30, `lastRunMs ${statsOf(c, 'derive:/d').lastRunMs}`);
  });

  it('S119 by default runs are timed from the first graph() call on: lastRunMs is null before, runCount counts every run', async () => {
    const c = kind.make();
    await c.derive('/d', '/s', (v) => v ?? 0);
    await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('/s');
      }),
    );
    await c.setState('/s', 1);
    const before = c.graph();
    for (const node of before.nodes) {
      if (node.kind === 'path') continue;
      assert.equal(node.stats.runCount, 2, node.id);
      assert.equal(node.stats.lastRunMs, null, `${node.id} was timed before anyone looked`);
    }
    await c.setState('/s', 2);
    for (const id of ['derive:/d', 'track:1']) {
      const stats = statsOf(c, id);
      assert.equal(stats.runCount, 3, id);
      assert.equal(typeof stats.lastRunMs, 'number', id);
      assert.ok((stats.lastRunMs ?? -1) >= 0, id);
    }
  });

  it('S119 by default a trace listener starts the timing too, and it goes on after the listener is detached', async () => {
    const c = kind.make();
    await c.derive('/d', '/s', (v) => v ?? 0);
    const { records, detach } = recordTrace(c);
    await c.setState('/s', 1);
    detach();
    const run = records.find((record) => record.kind === 'derive-run');
    assert.ok(run?.kind === 'derive-run');
    await c.setState('/s', 2);
    const stats = statsOf(c, 'derive:/d');
    assert.equal(stats.runCount, 3);
    assert.equal(typeof stats.lastRunMs, 'number');
  });

  it("S119 timeRuns: 'always' times every run, first runs included, before any graph() call", async () => {
    const c = kind.make(undefined, { timeRuns: 'always' });
    await c.derive('/d', '/s', (v) => {
      busyWait(20);
      return v ?? 0;
    });
    const stats = statsOf(c, 'derive:/d');
    assert.equal(stats.runCount, 1);
    assert.ok((stats.lastRunMs ?? 0) >= 19, `lastRunMs ${stats.lastRunMs}`);
  });

  it('S119 a run made before timing started and failing keeps its error, with lastRunMs null', async () => {
    const c = kind.make();
    await c.derive('/d', '/s', (v) => {
      if (v === 1) throw new RangeError('one');
      return v ?? 0;
    });
    await assert.rejects(async () => {
      await c.setState('/s', 1);
    }, RestateCallbackError);
    const stats = statsOf(c, 'derive:/d');
    assert.deepEqual(stats, { runCount: 2, lastRunMs: null, lastError: { name: 'RangeError', message: 'one' } });
  });

  it('S119 an empty controller has an empty graph', () => {
    assert.deepEqual(kind.make().graph(), { nodes: [], edges: [] });
  });
});

it("S119 a timeRuns option other than 'always' or 'when-observed' is refused, naming the option and the value", () => {
  for (const make of [() => new ControllerSync(new InMemoryBackend(), { timeRuns: 'sometimes' as 'always' }), () => new ControllerAsync(new InMemoryBackend(), { timeRuns: true as unknown as 'always' })]) {
    assert.throws(make, (error: unknown) => error instanceof RestateUsageError && /timeRuns/.test(error.message) && /sometimes|true/.test(error.message));
  }
});

// Two ControllerSyncs, each sharing clock readings among its own runs only (SharedReading).
it('S119 lastRunMs with two controllers interleaving: each run counts its own work and no other controller\'s', () => {
  const a = new ControllerSync(new InMemoryBackend(), { timeRuns: 'always' });
  const b = new ControllerSync(new InMemoryBackend(), { timeRuns: 'always' });
  b.derive('/y', '/x', (v) => {
    if (v === 2) busyWait(40);
    return v;
  });
  // A's derivation works 40 ms before and after B's change; B's derivation runs fast, then slow.
  a.derive('/d', '/s', (v) => {
    if (v === undefined) return 0;
    busyWait(40);
    b.setState('/x', v);
    busyWait(40);
    return v;
  });
  a.setState('/s', 1);
  assert.ok((statsOf(b, 'derive:/y').lastRunMs ?? 99) < 30, `B's run took ${statsOf(b, 'derive:/y').lastRunMs} ms`);
  assert.ok((statsOf(a, 'derive:/d').lastRunMs ?? 0) >= 79, `A's run took ${statsOf(a, 'derive:/d').lastRunMs} ms`);
  a.setState('/s', 2);
  assert.ok((statsOf(b, 'derive:/y').lastRunMs ?? 0) >= 39, `B's run took ${statsOf(b, 'derive:/y').lastRunMs} ms`);
  assert.ok((statsOf(a, 'derive:/d').lastRunMs ?? 0) >= 119, `A's run took ${statsOf(a, 'derive:/d').lastRunMs} ms`);
  // A run of B right after one of A: B's run starts at its own reading, not at the end of A's.
  b.setState('/x', 3);
  assert.ok((statsOf(b, 'derive:/y').lastRunMs ?? 99) < 30, `B's run took ${statsOf(b, 'derive:/y').lastRunMs} ms`);
});

// Not per controller: the statistic is kept the same way by both.
it('S119 lastRunMs keeps the duration of a run to the nanosecond, for runs of microseconds and of hours', () => {
  class Record extends RunRecord {}
  const record = new Record();
  assert.equal(record.lastRunMs, null);
  const base = 123_456.789_012;
  for (const durationMs of [0, 0.000_001, 0.004_25, 1, 2.5, 999.999_999, 3_600_000.5, 100_000_000.000_001]) {
    record.recordRun(base, base + durationMs, undefined);
    assert.ok(Math.abs((record.lastRunMs ?? -1) - durationMs) < 2e-6, `${durationMs} ms kept as ${record.lastRunMs}`);
  }
  assert.equal(record.runCount, 8);
});

forEachController('S120 S121 trace records', (kind) => {
  it('S120 a set record carries every field; S121 time is a number and seq rises by one', async () => {
    const c = kind.make();
    const { records } = recordTrace(c);
    await c.setState('/a', 1, { payload: 'p' });
    await c.setState('/a', 2);
    assert.equal(records.length, 2);
    const [first, second] = records;
    assert.ok(first && second);
    assert.equal(typeof first.time, 'number');
    assert.ok(second.time >= first.time);
    assert.equal(second.seq, first.seq + 1);
    assert.deepEqual(Object.keys(first).sort(), ['batched', 'cause', 'changed', 'depth', 'kind', 'notified', 'path', 'payload', 'prevValue', 'seq', 'time', 'value']);
    assert.deepEqual(stable(first), {
      kind: 'set', path: '/a', prevValue: undefined, value: 1, changed: true, notified: true, payload: 'p', batched: false, cause: 'api', depth: 1,
    });
    assert.deepEqual(stable(second), {
      kind: 'set', path: '/a', prevValue: 1, value: 2, changed: true, notified: true, payload: undefined, batched: false, cause: 'api', depth: 1,
    });
  });

  it('S121 a set skipped as equal has changed and notified false; skipNotify and writeDefault have notified false', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    const { records } = recordTrace(c);
    await c.setState('/a', 1);
    await c.setState('/b', 2, { skipNotify: true });
    await c.getState('/c', { default: 3, writeDefault: true });
    assert.deepEqual(
      records.map((r) => r.kind === 'set' && [r.path, r.changed, r.notified]),
      [
        ['/a', false, false],
        ['/b', true, false],
        ['/c', true, false],
      ],
    );
  });

  it('S120 delete and ping records carry their fields', async () => {
    const c = kind.make();
    await c.setState('/a/k', 1);
    const { records } = recordTrace(c);
    await c.delState('/a', { payload: 'del', cause: 'file' });
    await c.ping('/p', { default: 'dflt', payload: 'pong' });
    assert.deepEqual(records.map(stable), [
      { kind: 'delete', path: '/a', prevValue: { k: 1 }, existed: true, notified: true, payload: 'del', batched: false, cause: 'file', depth: 1 },
      { kind: 'ping', path: '/p', value: 'dflt', payload: 'pong', batched: false, cause: 'api', depth: 1 },
    ]);
  });

  it('S121 S122 a derive-run comes after the writes it made, with causes initial, api, file and ping', async () => {
    const c = kind.make();
    await c.setState('/a', 0);
    const { records } = recordTrace(c);
    await c.derive('/b', '/a', (v) => (typeof v === 'number' ? v + 1 : 0));
    await c.setState('/a', 1);
    await c.setState('/a', 2, { cause: 'file' });
    await c.ping('/a');
    const summary = records.map((r) => {
      switch (r.kind) {
        case 'set':
          return ['set', r.path, r.cause, r.depth];
        case 'ping':
          return ['ping', r.path, r.cause, r.depth];
        case 'derive-run':
          return ['derive-run', r.id, r.dest, r.triggerPath, r.cause, r.error];
        default:
          return [r.kind];
      }
    });
    assert.deepEqual(summary, [
      ['set', '/b', 'derive:/b', 1],
      ['derive-run', 'derive:/b', '/b', '/', 'initial', null],
      ['set', '/a', 'api', 1],
      ['set', '/b', 'derive:/b', 2],
      ['derive-run', 'derive:/b', '/b', '/a', 'api', null],
      ['set', '/a', 'file', 1],
      ['set', '/b', 'derive:/b', 2],
      ['derive-run', 'derive:/b', '/b', '/a', 'file', null],
      ['ping', '/a', 'api', 1],
      ['set', '/b', 'derive:/b', 2],
      ['derive-run', 'derive:/b', '/b', '/a', 'ping', null],
    ]);
    for (const r of records) if (r.kind === 'derive-run') assert.ok(r.durationMs >= 0);
  });

  it('S120 a failed derive-run records its error as text', async () => {
    const c = kind.make();
    const { records } = recordTrace(c);
    await assert.rejects(async () => {
      await c.derive('/b', '/a', () => {
        throw new Error('transform exploded');
      });
    });
    const run = records.find((r) => r.kind === 'derive-run');
    assert.ok(run?.kind === 'derive-run');
    assert.equal(typeof run.error, 'string');
    assert.match(run.error ?? '', /transform exploded/);
  });

  it('S121 S122 track-run records list the reads, and tracked writes have cause track:<n>', async () => {
    const c = kind.make();
    const { records } = recordTrace(c);
    await c.track(
      callbackFor(kind, function* (e) {
        const a = yield e.getState('/a');
        yield e.setState('/copy', a ?? null);
      }),
    );
    await c.setState('/a', 'x', { cause: 'file' });
    const summary = records.map((r) => {
      switch (r.kind) {
        case 'set':
          return ['set', r.path, r.cause, r.depth];
        case 'track-run':
          return ['track-run', r.id, r.triggerPath, r.reads, r.cause, r.error];
        default:
          return [r.kind];
      }
    });
    assert.deepEqual(summary, [
      ['set', '/copy', 'track:1', 1],
      ['track-run', 'track:1', '/', ['/a'], 'initial', null],
      ['set', '/a', 'file', 1],
      ['set', '/copy', 'track:1', 2],
      ['track-run', 'track:1', '/a', ['/a'], 'file', null],
    ]);
  });

  it('S122 writes inside a plain callback have cause callback:<id>, through the event or the controller', async () => {
    const c = kind.make();
    const id = c.subscribe(
      '/src',
      callbackFor(kind, function* (e) {
        yield e.setState('/viaEvent', e.newValue);
        yield c.setState('/viaController', e.newValue);
      }),
    );
    const { records } = recordTrace(c);
    await c.setState('/src', 1);
    assert.deepEqual(
      records.map((r) => r.kind === 'set' && [r.path, r.cause, r.depth]),
      [
        ['/src', 'api', 1],
        ['/viaEvent', `callback:${id}`, 2],
        ['/viaController', `callback:${id}`, 2],
      ],
    );
  });

  it('S122 writes inside a callback registered with a forced id, or replaced under it, have cause callback:<id>', async () => {
    const c = kind.make();
    c.subscribe('/src', callbackFor(kind, function* (e) {
      yield e.setState('/first', e.newValue);
    }), { forceId: 'mine' });
    c.registerCallback(callbackFor(kind, function* (e) {
      yield e.setState('/second', e.newValue);
    }), { forceId: 'mine', replace: true });
    const { records } = recordTrace(c);
    await c.setState('/src', 1);
    assert.deepEqual(
      records.map((r) => r.kind === 'set' && [r.path, r.cause]),
      [
        ['/src', 'api'],
        ['/second', 'callback:mine'],
      ],
    );
  });

  it('S122 S24 a default written through a tracked callback is traced with cause track:<n>', async () => {
    const c = kind.make();
    const { records } = recordTrace(c);
    await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('/d', { default: 1, writeDefault: true });
      }),
    );
    const written = records.find((r) => r.kind === 'set' && r.path === '/d');
    assert.ok(written && written.kind === 'set');
    assert.equal(written.cause, 'track:1');
    assert.equal(written.notified, false);
  });

  it('S121 seq counts per controller and tracker ids count from 1 per controller', async () => {
    const one = kind.make();
    const two = kind.make();
    const first = recordTrace(one);
    const second = recordTrace(two);
    await one.setState('/a', 1);
    await one.setState('/b', 1);
    await one.track(() => undefined);
    await two.setState('/a', 1);
    assert.equal(await two.track(() => undefined), 'track:1');
    const seqs = first.records.map((r) => r.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => (seqs[0] ?? 0) + i));
    assert.equal(second.records[0]?.seq, first.records[0]?.seq);
  });
});

forEachController('S120 S123 trace listeners', (kind) => {
  it('S120 listeners get records in the order they were attached', async () => {
    const c = kind.make();
    const calls: string[] = [];
    c.onTrace((r) => calls.push(`first ${r.seq}`));
    c.onTrace((r) => calls.push(`second ${r.seq}`));
    await c.setState('/a', 1);
    assert.equal(calls.length, 2);
    assert.match(calls[0] ?? '', /^first /);
    assert.match(calls[1] ?? '', /^second /);
  });

  it('S123 an exception thrown by a listener is dropped', async () => {
    const c = kind.make();
    c.onTrace(() => {
      throw new Error('listener bug');
    });
    const { records } = recordTrace(c);
    assert.equal(await c.setState('/a', 1), true);
    assert.equal(await c.getState('/a'), 1);
    assert.equal(records.length, 1);
  });

  it('S123 a listener may detach itself during a call; the others still get the record', async () => {
    const c = kind.make();
    const calls: string[] = [];
    const detachSelf: () => void = c.onTrace(() => {
      calls.push('self');
      detachSelf();
    });
    c.onTrace(() => calls.push('other'));
    await c.setState('/a', 1);
    await c.setState('/a', 2);
    assert.deepEqual(calls, ['self', 'other', 'other']);
  });

  it('S123 with no listener no record is built: seq does not advance, and a detached listener hears nothing', async () => {
    const c = kind.make();
    const first = recordTrace(c);
    await c.setState('/a', 1);
    first.detach();
    first.detach();
    await c.setState('/a', 2);
    await c.derive('/b', '/a', (v) => v);
    await c.track(() => undefined);
    await c.ping('/a');
    await c.delState('/a');
    assert.equal(first.records.length, 1);
    const second = recordTrace(c);
    await c.setState('/z', 1);
    assert.equal(second.records.length, 1);
    assert.equal(second.records[0]?.seq, (first.records[0]?.seq ?? NaN) + 1);
  });

  it('S123 graph statistics are kept without a listener', async () => {
    const c = kind.make();
    await c.derive('/b', '/a', (v) => v);
    await c.setState('/a', 1);
    assert.equal(statsOf(c, 'derive:/b').runCount, 2);
  });
});

forEachController('S124 notifyChange', (kind) => {
  it('S124 a set-like change notifies as setState would, writes nothing and is traced with cause file', async () => {
    const backend = new CountingBackend();
    const c = kind.make(backend);
    await c.derive('/theme', '/cfg', (cfg) => (typeof cfg === 'object' && cfg !== null && 'theme' in cfg ? cfg.theme : null));
    const heard: unknown[][] = [];
    c.subscribe('/cfg', (e: AnyEvent) => {
      heard.push([e.emittingPath, e.currentPath, e.prevValue, e.newValue, e.payload]);
    });
    backend.inner.write('/cfg/theme', 'dark');
    const writes = backend.writes;
    const { records } = recordTrace(c);
    await c.notifyChange('/cfg/theme', { prevValue: 'light', newValue: 'dark', payload: 'watcher' });
    assert.deepEqual(heard, [['/cfg/theme', '/cfg', 'light', 'dark', 'watcher']]);
    assert.equal(await c.getState('/theme'), 'dark', 'the derivation ran on the new value');
    assert.equal(backend.writes, writes + 1, 'only the derivation wrote');
    assert.deepEqual(stable(records[0] ?? ({} as TraceRecord)), {
      kind: 'set', path: '/cfg/theme', prevValue: 'light', value: 'dark', changed: true, notified: true, payload: 'watcher', batched: false, cause: 'file', depth: 1,
    });
  });

  it('S124 notifyChange writes nothing even when the values disagree with the backend', async () => {
    const backend = new CountingBackend();
    const c = kind.make(backend);
    backend.inner.write('/n', 5);
    const seen: unknown[] = [];
    c.subscribe('/n', (e: AnyEvent) => {
      seen.push(e.newValue);
    });
    await c.notifyChange('/n', { prevValue: 1, newValue: 2 });
    assert.deepEqual(seen, [2]);
    assert.equal(await c.getState('/n'), 5);
    assert.equal(backend.writes, 0);
    assert.equal(backend.deletes, 0);
  });

  it('S124 equal values do nothing: no callback, no run, no record', async () => {
    const c = kind.make();
    let runs = 0;
    await c.derive('/d', '/a', () => ++runs);
    let heard = 0;
    c.subscribe('/', () => {
      heard++;
    });
    const { records } = recordTrace(c);
    await c.notifyChange('/a', { prevValue: { k: [1, 2] }, newValue: { k: [1, 2] } });
    await c.notifyChange('/a', { prevValue: NaN, newValue: NaN });
    assert.equal(heard, 0);
    assert.equal(runs, 1);
    assert.deepEqual(records, []);
  });

  it('S124 the given cause is used in the record', async () => {
    const c = kind.make();
    const { records } = recordTrace(c);
    await c.notifyChange('/a', { prevValue: 1, newValue: 2, cause: 'api' });
    assert.equal(records[0]?.cause, 'api');
  });

  it('S124 S28 a delete-like change notifies descendants first, with old values from inside prevValue', async () => {
    //  /a  {"/": 1, x: 5, z: 'q'}  deleted on disk
    //   ├─ x   ◄── exact subscriber, and the pattern /a/*
    //   ├─ z   ◄── the pattern /a/*
    //   └─ missing ◄── exact subscriber, never existed: not notified
    const c = kind.make();
    const heard: unknown[][] = [];
    const listen = (label: string) => (e: AnyEvent) => {
      heard.push([label, e.currentPath, e.emittingPath, e.prevValue, e.newValue, e.payload]);
    };
    c.subscribe('/a/x', listen('x'));
    c.subscribe('/a/*', listen('pattern'));
    c.subscribe('/a/missing', listen('missing'));
    c.subscribe('/a', listen('a'));
    c.subscribe('/', listen('root'));
    let trackerRuns = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        trackerRuns++;
        yield e.getState('/a/x');
        yield e.getState('/a/z');
        yield e.getState('/a');
      }),
    );
    const { records } = recordTrace(c);
    const prevValue = { '/': 1, x: 5, z: 'q' };
    await c.notifyChange('/a', { prevValue, newValue: undefined, payload: 'gone' });
    assert.deepEqual(heard, [
      ['x', '/a/x', '/a/x', 5, undefined, 'gone'],
      ['pattern', '/a/x', '/a/x', 5, undefined, 'gone'],
      ['pattern', '/a/z', '/a/z', 'q', undefined, 'gone'],
      ['a', '/a', '/a', prevValue, undefined, 'gone'],
      ['root', '/', '/a', prevValue, undefined, 'gone'],
    ]);
    assert.equal(trackerRuns, 2, 'the tracker ran once for the whole change');
    const deletes = records.filter((r) => r.kind === 'delete');
    assert.deepEqual(deletes.map(stable), [
      { kind: 'delete', path: '/a', prevValue, existed: true, notified: true, payload: 'gone', batched: false, cause: 'file', depth: 1 },
    ]);
  });

  it('S124 S45 failures are collected and thrown at the end', async () => {
    const c = kind.make();
    const boom = new Error('subscriber failed');
    let rootHeard = 0;
    c.subscribe('/a', () => {
      throw boom;
    });
    c.subscribe('/', () => {
      rootHeard++;
    });
    await assert.rejects(
      async () => {
        await c.notifyChange('/a', { prevValue: 1, newValue: 2 });
      },
      (error: unknown) => error instanceof RestateCallbackError && error.errors[0] === boom,
    );
    assert.equal(rootHeard, 1);
  });
});
