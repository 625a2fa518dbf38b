/**
 * The backend conformance contract (C1–C24 in docs/behaviour.md), written once and run against every backend.
 *
 * Registering a backend: in a `*.test.ts` file under test/unit/, call
 *
 *   runConformance('FileSystemSyncBackend', async () => {
 *     const dir = await mkdtemp(join(tmpdir(), 'restate-'));
 *     return {
 *       backend: new FileSystemSyncBackend(join(dir, '.state')),
 *       reopen: async () => new FileSystemSyncBackend(join(dir, '.state')),
 *       corruptFile: async (statePath) => { ...write an unparsable value file for statePath... },
 *       cleanup: () => rm(dir, { recursive: true, force: true }),
 *     };
 *   }, { persistent: true, fsBacked: true, rejectsUnserializable: true });
 *
 * The factory is called once per test, so every test starts from an empty backend (a fresh temporary
 * folder); `cleanup` runs after the test, pass or fail. Sync and async backends run the same code: every
 * call is awaited. A capability the backend lacks skips the tests that need it; the suite never forks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import {
  MISSING,
  RestateFormatError,
  RestatePathError,
  RestateSerializeError,
  RestateValueError,
  UnreadableValue,
} from '../../extension/restate/index';
import type { AsyncBackend, Backend } from '../../extension/restate/index';

export type AnyBackend = Backend | AsyncBackend;

export interface ConformanceFixture {
  backend: AnyBackend;
  /** A new instance on the same storage, after making sure `backend`'s data reached it. Needed by `persistent`. */
  reopen?: () => Promise<AnyBackend>;
  /** Puts an unparsable value file for `statePath` (e.g. `/c21/bad`) into the backend's folder. Needed by `fsBacked`. */
  corruptFile?: (statePath: string) => Promise<void>;
  /** Releases the fixture: closes wrappers, removes temporary folders. */
  cleanup?: () => Promise<void>;
}

export interface ConformanceCapabilities {
  /** C23: the data outlives the instance; the fixture supplies `reopen`. */
  persistent?: boolean;
  /** C21: values live in files; the fixture supplies `corruptFile`. */
  fsBacked?: boolean;
  /** C24: `write` itself throws a RestateSerializeError for the values of S94. Defaults to `persistent`. */
  rejectsUnserializable?: boolean;
}

type Capability = 'persistent' | 'fsBacked' | 'rejectsUnserializable';

const r = (b: AnyBackend, path: string): Promise<unknown> => Promise.resolve(b.read(path, MISSING));

async function list(b: AnyBackend, path: string): Promise<string[]> {
  assert.ok(b.listChildren, 'built-in backends implement listChildren (S78)');
  return b.listChildren(path);
}

async function write(b: AnyBackend, path: string, value: unknown): Promise<void> {
  await b.write(path, value);
}

async function del(b: AnyBackend, path: string): Promise<void> {
  await b.delete(path);
}

async function rejectsWith(fn: () => unknown, errorClass: abstract new (...args: never[]) => Error, what: string): Promise<void> {
  await assert.rejects(
    async () => {
      await fn();
    },
    (error: unknown) => {
      assert.ok(error instanceof errorClass, `${what}: expected ${errorClass.name}, got ${String(error)}`);
      return true;
    },
  );
}

/** Registers C1–C24 for one backend. */
export function runConformance(
  name: string,
  factory: () => Promise<ConformanceFixture>,
  capabilities: ConformanceCapabilities = {},
): void {
  const has: Record<Capability, boolean> = {
    persistent: capabilities.persistent ?? false,
    fsBacked: capabilities.fsBacked ?? false,
    rejectsUnserializable: capabilities.rejectsUnserializable ?? capabilities.persistent ?? false,
  };

  function rule(title: string, body: (b: AnyBackend, fixture: ConformanceFixture) => Promise<void>, needs?: Capability): void {
    test(title, async (t: TestContext) => {
      if (needs !== undefined && !has[needs]) {
        t.skip(`${name} is not ${needs}`);
        return;
      }
      const fixture = await factory();
      try {
        await body(fixture.backend, fixture);
      } finally {
        await fixture.cleanup?.();
      }
    });
  }

  describe(`backend conformance: ${name}`, () => {
    rule('C1 a path never written reads MISSING, and read(p, d) returns d itself', async (b) => {
      assert.equal(await r(b, '/c1/never'), MISSING);
      assert.equal(await r(b, '/c1'), MISSING);
      const dflt = { marker: true };
      assert.equal(await b.read('/c1/never', dflt), dflt);
      assert.equal(await b.read('/c1/never', null), null);
      await write(b, '/c1/other', 1);
      assert.equal(await b.read('/c1/never', dflt), dflt);
    });

    rule('C2 write then read round-trips strings, numbers, literals and nested values', async (b) => {
      const values: unknown[] = [
        'Ünïcödé àccents',
        'emoji 😀🎉',
        'quotes " and \'',
        'back\\slash',
        'line\nbreak\ttab',
        '',
        0,
        -7,
        2 ** 53 - 1,
        0.1,
        1e-7,
        1.5e300,
        true,
        false,
        null,
        [],
        {},
        { name: 'x', tags: [1, 2.5, null, 'a'], nested: { list: [{ deep: [true] }], empty: {} } },
        [[1, [2]], { a: [] }],
      ];
      for (const [i, value] of values.entries()) await write(b, `/c2/v${i}`, value);
      for (const [i, value] of values.entries()) {
        assert.deepEqual(await r(b, `/c2/v${i}`), value, `value #${i}`);
      }
    });

    rule('C3 null reads as null, not as missing', async (b) => {
      await write(b, '/c3/nothing', null);
      assert.equal(await r(b, '/c3/nothing'), null);
      assert.equal(await b.read('/c3/nothing', 'dflt'), null);
      assert.deepEqual(await list(b, '/c3'), ['nothing']);
    });

    rule('C4 object values are opaque: no child nodes, no children listed, deleting a key changes nothing', async (b) => {
      const cfg = { theme: 'dark', nested: { k: 1 } };
      await write(b, '/c4/cfg', cfg);
      assert.equal(await r(b, '/c4/cfg/theme'), MISSING);
      assert.equal(await r(b, '/c4/cfg/nested/k'), MISSING);
      assert.deepEqual(await list(b, '/c4/cfg'), []);
      await del(b, '/c4/cfg/theme');
      assert.deepEqual(await r(b, '/c4/cfg'), cfg);
    });

    rule('C5 writing /a/b makes /a a valueless parent that the root lists', async (b) => {
      await write(b, '/a/b', 1);
      const parent = await r(b, '/a');
      assert.deepEqual(parent, { b: 1 });
      assert.ok(!Object.prototype.hasOwnProperty.call(parent, '/'), 'no "/" key on a valueless parent');
      assert.ok((await list(b, '/')).includes('a'));
    });

    rule('C6 a node with a value and children reads {"/": value, ...children}', async (b) => {
      await write(b, '/n', 'own');
      await write(b, '/n/x', 1);
      await write(b, '/n/y', { z: 2 });
      assert.deepEqual(await r(b, '/n'), { '/': 'own', x: 1, y: { z: 2 } });
    });

    rule('C7 overwriting a value keeps the children; a child under a scalar reads {"/": scalar, child}', async (b) => {
      await write(b, '/p/c', 1);
      await write(b, '/p', 'v1');
      await write(b, '/p', 'v2');
      assert.deepEqual(await r(b, '/p'), { '/': 'v2', c: 1 });
      await write(b, '/s', 5);
      await write(b, '/s/child', 'x');
      assert.deepEqual(await r(b, '/s'), { '/': 5, child: 'x' });
      await write(b, '/s', 6);
      assert.deepEqual(await r(b, '/s'), { '/': 6, child: 'x' });
    });

    rule('C8 /a/b/c/d/e reads back as a nested object from /a', async (b) => {
      await write(b, '/a/b/c/d/e', 'deep');
      assert.deepEqual(await r(b, '/a'), { b: { c: { d: { e: 'deep' } } } });
      assert.deepEqual(await r(b, '/a/b/c'), { d: { e: 'deep' } });
    });

    rule('C9 changing the keys of a parent read does not affect a later read', async (b) => {
      await write(b, '/m/x', 1);
      await write(b, '/m/y/z', 2);
      const first = (await r(b, '/m')) as Record<string, unknown>;
      first.added = 3;
      delete first.x;
      delete (first.y as Record<string, unknown>).z;
      assert.deepEqual(await r(b, '/m'), { x: 1, y: { z: 2 } });
    });

    rule('C10 delete removes the subtree and the parent stops listing it; deleting a missing path does not throw', async (b) => {
      await write(b, '/t/keep', 1);
      await write(b, '/t/gone', 3);
      await write(b, '/t/gone/x', 2);
      await del(b, '/t/gone');
      assert.equal(await r(b, '/t/gone'), MISSING);
      assert.equal(await r(b, '/t/gone/x'), MISSING);
      assert.deepEqual(await list(b, '/t'), ['keep']);
      assert.deepEqual(await r(b, '/t'), { keep: 1 });
      await del(b, '/t/nothing');
      await del(b, '/never/was/here');
      await del(b, '/t/keep/below');
      assert.deepEqual(await r(b, '/t'), { keep: 1 });
    });

    rule('C11 deleting the last child of a valueless parent makes the parent MISSING, all the way up', async (b) => {
      await write(b, '/u/v/w', 1);
      await write(b, '/k', 1);
      await write(b, '/k/l/m', 2);
      await del(b, '/u/v/w');
      assert.equal(await r(b, '/u/v'), MISSING);
      assert.equal(await r(b, '/u'), MISSING);
      assert.ok(!(await list(b, '/')).includes('u'));
      await del(b, '/k/l/m');
      assert.equal(await r(b, '/k/l'), MISSING);
      assert.equal(await r(b, '/k'), 1, 'an ancestor with a value stays');
      assert.deepEqual(await list(b, '/k'), []);
    });

    rule('C12 after delete("/") the root reads MISSING with no children, even if it had a value', async (b) => {
      await write(b, '/', 'root value');
      await write(b, '/x', 1);
      await write(b, '/y/z', 2);
      await del(b, '/');
      assert.equal(await r(b, '/'), MISSING);
      assert.deepEqual(await list(b, '/'), []);
      assert.equal(await r(b, '/x'), MISSING);
      assert.equal(await r(b, '/y/z'), MISSING);
    });

    rule('C13 an empty backend reads / as MISSING, with no children', async (b) => {
      assert.equal(await r(b, '/'), MISSING);
      const dflt = { empty: true };
      assert.equal(await b.read('/', dflt), dflt);
      assert.deepEqual(await list(b, '/'), []);
    });

    rule('C14 a root value reads back alone, or as {"/": v, ...} once children exist', async (b) => {
      await write(b, '/', { v: 1 });
      assert.deepEqual(await r(b, '/'), { v: 1 });
      assert.deepEqual(await list(b, '/'), []);
      await write(b, '/c', 1);
      assert.deepEqual(await r(b, '/'), { '/': { v: 1 }, c: 1 });
    });

    rule('C15 listChildren is in code-unit order, and [] for leaves and missing paths', async (b) => {
      for (const child of ['b', 'a', 'B', 'Z', 'é', '10', '9', '_', 'aa', 'A b']) await write(b, `/o/${child}`, child);
      assert.deepEqual(await list(b, '/o'), ['10', '9', 'A b', 'B', 'Z', '_', 'a', 'aa', 'b', 'é']);
      assert.deepEqual(await list(b, '/o/a'), []);
      assert.deepEqual(await list(b, '/o/missing'), []);
      assert.deepEqual(await list(b, '/nothing/here'), []);
    });

    rule('C16 awkward names round-trip and stay distinct', async (b) => {
      const names = ['with space', 'ünï', '日本', "quote'", '.hidden', 'v1', 'v1.2', 'archive.tar', 'file.json'];
      for (const child of names) await write(b, `/names/${child}`, `value of ${child}`);
      await write(b, '/names/a.b/child', 'under a dotted parent');
      for (const child of names) assert.equal(await r(b, `/names/${child}`), `value of ${child}`, child);
      assert.deepEqual(await r(b, '/names/a.b'), { child: 'under a dotted parent' });
      assert.deepEqual(await list(b, '/names'), [...names, 'a.b'].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      assert.deepEqual(await list(b, '/names/a.b'), ['child']);
    });

    rule('C17 a read below a leaf is MISSING', async (b) => {
      await write(b, '/leaf', 1);
      assert.equal(await r(b, '/leaf/below'), MISSING);
      assert.equal(await r(b, '/leaf/below/deeper'), MISSING);
    });

    rule('C18 writing or overwriting one sibling never changes another', async (b) => {
      await write(b, '/sib/a', 1);
      await write(b, '/sib/b', { keep: true });
      await write(b, '/sib/a', 3);
      assert.deepEqual(await r(b, '/sib/b'), { keep: true });
      await write(b, '/sib/c/d', 4);
      assert.deepEqual(await r(b, '/sib'), { a: 3, b: { keep: true }, c: { d: 4 } });
    });

    rule('C19 writing undefined or MISSING throws a RestateValueError and the old value stays', async (b) => {
      await write(b, '/v', 1);
      await rejectsWith(() => b.write('/v', undefined), RestateValueError, 'undefined');
      await rejectsWith(() => b.write('/v', MISSING), RestateValueError, 'MISSING');
      await rejectsWith(() => b.write('/fresh', undefined), RestateValueError, 'undefined at a new path');
      assert.equal(await r(b, '/v'), 1);
      assert.equal(await r(b, '/fresh'), MISSING);
      assert.deepEqual(await list(b, '/'), ['v']);
    });

    rule('C20 a direct call with .., NUL or * throws a RestatePathError', async (b) => {
      for (const path of ['/a/../b', '/a\0b', '/a/*', '/a*', '/**/x']) {
        await rejectsWith(() => b.read(path, MISSING), RestatePathError, `read ${JSON.stringify(path)}`);
        await rejectsWith(() => b.write(path, 1), RestatePathError, `write ${JSON.stringify(path)}`);
        await rejectsWith(() => b.delete(path), RestatePathError, `delete ${JSON.stringify(path)}`);
        await rejectsWith(() => list(b, path), RestatePathError, `listChildren ${JSON.stringify(path)}`);
      }
      assert.equal(await r(b, '/'), MISSING, 'nothing was written');
    });

    rule('C21 an unparsable value file is listed by its parent, and reading it throws a RestateFormatError', async (b, fixture) => {
      assert.ok(fixture.corruptFile, `${name} is fsBacked: its fixture must supply corruptFile`);
      await write(b, '/c21/good', 1);
      await fixture.corruptFile('/c21/bad');
      assert.deepEqual(await list(b, '/c21'), ['bad', 'good']);
      await rejectsWith(() => b.read('/c21/bad', MISSING), RestateFormatError, 'read of the broken file');
      await rejectsWith(() => b.read('/c21', MISSING), RestateFormatError, 'read of its parent');
      assert.equal(await r(b, '/c21/good'), 1);
    }, 'fsBacked');

    rule('C21 (S131) readTolerant gives an unparsable value as an UnreadableValue, alone and inside a parent read', async (b, fixture) => {
      assert.ok(fixture.corruptFile, `${name} is fsBacked: its fixture must supply corruptFile`);
      assert.equal(typeof b.readTolerant, 'function', 'the fs-backed backends and their wrappers offer readTolerant');
      const readTolerant = (path: string): Promise<unknown> => Promise.resolve(b.readTolerant!(path));
      await write(b, '/c21/good', 1);
      await fixture.corruptFile('/c21/bad');
      const alone = await readTolerant('/c21/bad');
      assert.ok(alone instanceof UnreadableValue, `readTolerant of the broken file: ${String(alone)}`);
      assert.ok(alone.error instanceof RestateFormatError);
      assert.equal(alone.file, alone.error.file);
      assert.match(alone.file, /bad\.json$/);
      const parent = await readTolerant('/c21');
      assert.ok(parent !== null && typeof parent === 'object', 'the parent read is an object');
      assert.deepEqual(Object.keys(parent), ['bad', 'good']);
      assert.ok((parent as Record<string, unknown>).bad instanceof UnreadableValue);
      assert.equal((parent as Record<string, unknown>).good, 1);
      assert.equal(await readTolerant('/c21/good'), 1);
      assert.equal(await readTolerant('/c21/none'), MISSING);
      // The tolerant read leaves the plain one as it was, caches included.
      await rejectsWith(() => b.read('/c21/bad', MISSING), RestateFormatError, 'read of the broken file after readTolerant');
      await rejectsWith(() => b.read('/c21', MISSING), RestateFormatError, 'read of its parent after readTolerant');
      await write(b, '/c21/bad', 2);
      assert.deepEqual(await r(b, '/c21'), { bad: 2, good: 1 });
    }, 'fsBacked');

    rule('C22 {} written at a leaf reads {} and exists', async (b) => {
      await write(b, '/e', {});
      assert.deepEqual(await r(b, '/e'), {});
      assert.deepEqual(await list(b, '/'), ['e']);
      assert.deepEqual(await list(b, '/e'), []);
      assert.deepEqual(await r(b, '/'), { e: {} });
    });

    rule('C23 a new instance on the same storage reads everything back', async (b, fixture) => {
      assert.ok(fixture.reopen, `${name} is persistent: its fixture must supply reopen`);
      await write(b, '/', 'root');
      await write(b, '/p/leaf', 'ünï 😀');
      await write(b, '/p', { own: [1, 2] });
      await write(b, '/p/deep/er', null);
      await write(b, '/q', {});
      await write(b, '/q/gone', 1);
      await del(b, '/q/gone');
      const before = await r(b, '/');
      const again = await fixture.reopen();
      assert.deepEqual(await r(again, '/'), before);
      assert.deepEqual(before, { '/': 'root', p: { '/': { own: [1, 2] }, deep: { er: null }, leaf: 'ünï 😀' }, q: {} });
      assert.deepEqual(await list(again, '/'), ['p', 'q']);
      assert.deepEqual(await list(again, '/p'), ['deep', 'leaf']);
    }, 'persistent');

    rule('C24 values that cannot be stored throw a RestateSerializeError and leave data intact', async (b) => {
      await write(b, '/keep', 1);
      await write(b, '/keep/child', { a: [1] });
      const cycle: Record<string, unknown> = { a: 1 };
      cycle.self = cycle;
      const sparse = [1, 2, 3];
      delete sparse[1];
      const bad: [string, unknown][] = [
        ['NaN', Number.NaN],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['-Infinity', Number.NEGATIVE_INFINITY],
        ['NaN inside', { tags: [1, 2, Number.NaN] }],
        ['BigInt', 10n],
        ['function', () => 1],
        ['symbol', Symbol('s')],
        ['undefined in an array', [1, undefined]],
        ['sparse array', sparse],
        ['cycle', cycle],
        ['class instance', new Date(0)],
        ['Map', new Map([[1, 2]])],
      ];
      for (const [what, value] of bad) {
        await rejectsWith(() => b.write('/keep', value), RestateSerializeError, `${what} over a value`);
        await rejectsWith(() => b.write('/new/leaf', value), RestateSerializeError, `${what} at a new path`);
      }
      assert.deepEqual(await r(b, '/'), { keep: { '/': 1, child: { a: [1] } } });
      assert.deepEqual(await list(b, '/'), ['keep']);
    }, 'rejectsUnserializable');
  });
}
