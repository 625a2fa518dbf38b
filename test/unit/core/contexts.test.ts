// Where a call comes from: work left behind by a callback or a batch (a timer, an unawaited promise) makes
// top-level changes once that callback or batch has ended (S36, S38, S114, S117), and a batch flush keeps
// each change's own cause and kind (S115, S122, S29).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControllerAsync, ControllerSync, type StateEvent, type TraceRecord } from '../../../extension/restate/index';
import { runBatch } from './batch-body';
import { forEachController, type AnyController } from './controllers';

const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('work left behind after a callback or batch ended', () => {
  it('S114/S117 ControllerAsync: a write made by a timer started inside a finished batch is notified at once', async () => {
    const controller = new ControllerAsync();
    const seen: unknown[] = [];
    controller.subscribe('/x', (event) => {
      seen.push(event.newValue);
    });
    let late!: Promise<void>;
    await controller.batch(async () => {
      late = later(10).then(async () => {
        await controller.setState('/x', 1);
      });
    });
    await late;
    assert.deepEqual(seen, [1]);
  });

  for (const kind of ['ControllerSync', 'ControllerAsync'] as const) {
    it(`S38 ${kind}: a timer started in a callback writes as a top-level change, so a periodic loop never hits the depth limit`, async () => {
      const controller: AnyController = kind === 'ControllerSync' ? new ControllerSync(undefined, { maxDepth: 5 }) : new ControllerAsync(undefined, { maxDepth: 5 });
      const causes: string[] = [];
      controller.onTrace((record) => {
        if (record.kind === 'set') causes.push(record.cause);
      });
      const finished = new Promise<unknown>((resolve) => {
        controller.subscribe('/tick', (event: StateEvent<AnyController>) => {
          const tick = event.newValue as number;
          if (tick >= 20) return resolve(undefined);
          setTimeout(() => {
            Promise.resolve(controller.setState('/tick', tick + 1)).catch(resolve);
          }, 0);
        });
      });
      await controller.setState('/tick', 0);
      const failure = await finished;
      assert.equal(failure, undefined, `the loop failed: ${String(failure)}`);
      assert.equal(await controller.getState('/tick'), 20);
      assert.deepEqual(new Set(causes), new Set(['api']));
    });
  }
});

forEachController('a batch flush keeps each change its cause and kind', (kind) => {
  it('S122 runs set off by a flushed change carry the cause of the operation that made it', async () => {
    const c = kind.make();
    await c.derive('/fromSet', '/a', (v) => v);
    await c.derive('/fromReport', '/r', (v) => v);
    await c.derive('/fromPing', '/p', (v) => (v === undefined ? 'missing' : v));
    const causes = new Map<string, string>();
    c.onTrace((record: TraceRecord) => {
      if (record.kind === 'derive-run') causes.set(record.id, record.cause);
    });
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 1, { cause: 'file' });
      yield c.notifyChange('/r', { prevValue: 1, newValue: 2 });
      yield c.ping('/p');
    });
    assert.deepEqual(Object.fromEntries(causes), { 'derive:/fromSet': 'file', 'derive:/fromReport': 'file', 'derive:/fromPing': 'ping' });
  });

  it('S29/S115 a ping of a missing path with a default is delivered with the default, as outside a batch', async () => {
    const c = kind.make();
    const seen: unknown[][] = [];
    c.subscribe('/p', (event: StateEvent<AnyController>) => {
      seen.push([event.prevValue, event.newValue]);
    });
    await c.ping('/p', { default: 5 });
    await runBatch(kind, c, function* () {
      yield c.ping('/p', { default: 5 });
    });
    assert.deepEqual(seen, [[5, 5], [5, 5]]);
  });
});

forEachController('a failed nested batch takes back what it would have notified', (kind) => {
  it('S115/S116 a path first changed by the outer batch is flushed with the outer payload', async () => {
    const c = kind.make();
    const seen: unknown[][] = [];
    c.subscribe('/x', (event: StateEvent<AnyController>) => {
      seen.push([event.newValue, event.payload]);
    });
    await runBatch(kind, c, function* () {
      yield c.setState('/x', 1, { payload: 'outer' });
      const failing = (): unknown => {
        const written = c.setState('/x', 2, { payload: 'nested' });
        if (written instanceof Promise) return written.then(() => Promise.reject(new Error('boom')));
        throw new Error('boom');
      };
      // The nested batch fails on purpose: thrown by ControllerSync, rejected by ControllerAsync.
      try {
        yield Promise.resolve(c.batch(failing)).catch(() => undefined);
      } catch {
        // ControllerSync threw at once.
      }
    });
    assert.deepEqual(seen, [[1, 'outer']]);
  });
});
