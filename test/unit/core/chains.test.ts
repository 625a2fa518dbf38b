// Long chains and cycles (S132, amending S38): a cycle is a chain that does not settle, not a depth.
// These run at Node's default stack size (test/run-unit.mjs passes no --stack-size).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RestateCycleError } from '../../../extension/restate/index';
import { callbackFor } from './callback-for';
import { runBatch } from './batch-body';
import type { AnyController } from './controllers';
import { forEachController } from './controllers';

/** Long chains must fail their test, not hang the run. */
const CHAIN_TIMEOUT_MS = 120_000;

/** Derives /n<i+1> = /n<i> + 1 for i < links; the first runs leave /n<i> = i - 1 for i ≥ 1. */
async function deriveChain(c: AnyController, links: number): Promise<void> {
  for (let i = 0; i < links; i++) {
    await c.derive(`/n${i + 1}`, `/n${i}`, (value) => (typeof value === 'number' ? value + 1 : 0));
  }
}

function isCycleError(error: unknown): error is RestateCycleError {
  return error instanceof RestateCycleError;
}

forEachController('S132 long acyclic chains run to the end', (kind) => {
  it('S132 a chain of 10,000 derivations runs to the end at the default stack size, depth first', { timeout: CHAIN_TIMEOUT_MS }, async () => {
    const c = kind.make();
    const links = 10_000;
    await deriveChain(c, links);
    const seen: string[] = [];
    c.subscribe('/', (event) => {
      seen.push(event.emittingPath);
    });
    assert.equal(await c.setState('/n0', 5), true);
    assert.equal(await c.getState(`/n${links}`), 5 + links);
    assert.equal(await c.getState(`/n${links / 2}`), 5 + links / 2);
    // S63: a root subscriber sees the end of the chain first and the written path last.
    assert.equal(seen.length, links + 1);
    assert.equal(seen[0], `/n${links}`);
    assert.equal(seen[links], '/n0');
    assert.ok(seen.every((path, i) => path === `/n${links - i}`), 'every link delivered once, deepest first');
  });

  it('S132 a chain of 300 callbacks runs to the end with no limit by default', async () => {
    const c = kind.make();
    for (let i = 0; i < 300; i++) {
      c.subscribe(`/d${i}`, (event) => event.setState(`/d${i + 1}`, event.newValue));
    }
    assert.equal(await c.setState('/d0', 'v'), true);
    assert.equal(await c.getState('/d300'), 'v');
  });

  it('S132 a chain longer than 100 that goes on past a failing link still runs to the end', { timeout: CHAIN_TIMEOUT_MS }, async () => {
    const c = kind.make();
    await deriveChain(c, 400);
    c.subscribe('/n200', () => {
      throw new Error('a failing observer in the middle');
    });
    await assert.rejects(async () => c.setState('/n0', 1), (error: unknown) => !isCycleError(error));
    assert.equal(await c.getState('/n400'), 401);
  });
});

forEachController('S132 what is a cycle', (kind) => {
  it('S132 a clamp that writes its own path back once is not a cycle', async () => {
    const c = kind.make();
    c.subscribe('/v', (event) => ((event.newValue as number) > 10 ? event.setState('/v', 10) : undefined));
    await c.derive('/t', '/t', (value) => (typeof value === 'number' && value > 10 ? 10 : value));
    assert.equal(await c.setState('/v', 50), true);
    assert.equal(await c.getState('/v'), 10);
    assert.equal(await c.setState('/t', 70), true);
    assert.equal(await c.getState('/t'), 10);
  });

  it('S132 a clamp at the end of a chain longer than 256 is not a cycle', { timeout: CHAIN_TIMEOUT_MS }, async () => {
    const c = kind.make();
    await deriveChain(c, 300);
    c.subscribe('/n300', (event) => ((event.newValue as number) > 10 ? event.setState('/n300', 10) : undefined));
    await c.setState('/n0', 1);
    assert.equal(await c.getState('/n299'), 300);
    assert.equal(await c.getState('/n300'), 10);
  });

  it('S132 a derivation cycle a -> b -> a is refused at its 101st run, with the chain and limit 100', { timeout: CHAIN_TIMEOUT_MS }, async () => {
    const c = kind.make();
    await c.derive('/b', '/a', (value) => (typeof value === 'number' ? value + 1 : 0));
    await assert.rejects(
      async () => c.derive('/a', '/b', (value) => (typeof value === 'number' ? value + 1 : 0)),
      (error: unknown) => {
        assert.ok(isCycleError(error), `expected a RestateCycleError, got ${String(error)}`);
        assert.equal(error.code, 'cycle');
        assert.equal(error.limit, 100);
        // derive:/a wrote /a a hundred times; its 101st run, set off by the hundredth /b, was refused.
        assert.equal(error.chain.length, 200);
        assert.ok(error.chain.every((path, i) => path === (i % 2 === 0 ? '/a' : '/b')), error.chain.join(' '));
        assert.match(error.message, /cycle/);
        assert.match(error.message, /derive:\/a/);
        assert.ok(!/maxDepth/.test(error.message), error.message);
        return true;
      },
    );
    assert.equal(await c.getState('/a'), 199, 'earlier writes stay');
    assert.equal(await c.getState('/b'), 200);
  });

  it('S132 a tracker that settles after a few re-runs is fine', async () => {
    const c = kind.make();
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (event) {
        runs++;
        const n = yield event.getState('/n');
        if (typeof n === 'number' && n < 5) yield event.setState('/n', n + 1);
      }),
    );
    runs = 0;
    await c.setState('/n', 0);
    assert.equal(await c.getState('/n'), 5);
    assert.equal(runs, 6);
  });

  /** A tracker that counts /n up to `end`, one nested write per run. */
  async function countUpTo(c: AnyController, end: number): Promise<void> {
    await c.track(
      callbackFor(kind, function* (event) {
        const n = yield event.getState('/n');
        if (typeof n === 'number' && n < end) yield event.setState('/n', n + 1);
      }),
    );
  }

  it('S132 one path written 100 times in one chain is fine', async () => {
    const c = kind.make();
    await countUpTo(c, 99);
    await c.setState('/n', 0);
    assert.equal(await c.getState('/n'), 99);
  });

  it('S132 the 101st write of one path in one chain is refused', async () => {
    const c = kind.make();
    await countUpTo(c, 1000);
    await assert.rejects(
      async () => c.setState('/n', 0),
      (error: unknown) => {
        assert.ok(isCycleError(error), `expected a RestateCycleError, got ${String(error)}`);
        assert.equal(error.limit, 100);
        assert.equal(error.chain.length, 101);
        assert.ok(error.chain.every((path) => path === '/n'));
        assert.match(error.message, /cycle/);
        return true;
      },
    );
    assert.equal(await c.getState('/n'), 99, 'the hundred writes before the refused one stay');
  });

  it('S132 two callbacks that keep rewriting each other are a cycle', async () => {
    const c = kind.make();
    c.subscribe('/ping', (event) => event.setState('/pong', (event.newValue as number) + 1));
    c.subscribe('/pong', (event) => c.setState('/ping', (event.newValue as number) + 1));
    await assert.rejects(
      async () => c.setState('/ping', 0),
      (error: unknown) => {
        assert.ok(isCycleError(error), `expected a RestateCycleError, got ${String(error)}`);
        assert.equal(error.limit, 100);
        assert.equal(error.chain.length, 201, 'the 101st write of /ping is refused');
        assert.equal(error.chain[200], '/ping');
        return true;
      },
    );
    assert.equal(await c.getState('/ping'), 198);
    assert.equal(await c.getState('/pong'), 199);
  });
});

forEachController('S132 maxDepth is a limit, not a cycle', (kind) => {
  it('S132 with maxDepth set, the error says a limit was reached and does not call it a cycle', async () => {
    const c = kind.make(undefined, { maxDepth: 3 });
    await deriveChain(c, 10);
    await assert.rejects(
      async () => c.setState('/n0', 100),
      (error: unknown) => {
        assert.ok(isCycleError(error), `expected a RestateCycleError, got ${String(error)}`);
        assert.equal(error.code, 'cycle');
        assert.equal(error.limit, 3);
        assert.deepEqual(error.chain, ['/n0', '/n1', '/n2', '/n3']);
        assert.match(error.message, /maxDepth/);
        assert.match(error.message, /limit/);
        assert.ok(!/cycle/i.test(error.message), error.message);
        return true;
      },
    );
    assert.equal(await c.getState('/n2'), 102);
    assert.equal(await c.getState('/n3'), 2, 'the refused change did not write');
  });
});

forEachController('S132 S116 a chain stopped part-way inside a batch rolls the batch back', (kind) => {
  it('S132 a limit reached in the flush undoes the batch writes and the chain it set off', async () => {
    const c = kind.make(undefined, { maxDepth: 5 });
    await deriveChain(c, 10);
    await c.setState('/other', 'before');
    const before = await c.getState('/');
    await assert.rejects(
      runBatch(kind, c, function* () {
        yield c.setState('/n0', 100);
        yield c.setState('/other', 'inside');
      }),
      (error: unknown) => isCycleError(error) && error.limit === 5,
    );
    assert.deepEqual(await c.getState('/'), before);
  });

  it('S132 a cycle in the flush undoes the batch writes and the chain it set off', { timeout: CHAIN_TIMEOUT_MS }, async () => {
    const c = kind.make();
    await deriveChain(c, 3);
    // A cycle that starts only once /n3 is 50 or more.
    await c.derive('/loop', '/n3', (value) => (typeof value === 'number' && value >= 50 ? value : 0));
    c.subscribe('/loop', (event) => ((event.newValue as number) > 0 ? event.setState('/n3', (event.newValue as number) + 1) : undefined));
    const before = await c.getState('/');
    await assert.rejects(
      runBatch(kind, c, function* () {
        yield c.setState('/n0', 50);
        yield c.setState('/x', 1);
      }),
      (error: unknown) => isCycleError(error) && error.limit === 100,
    );
    assert.deepEqual(await c.getState('/'), before);
  });
});
