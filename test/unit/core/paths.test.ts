import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  HybridSyncBackend,
  InMemoryBackend,
  ROOT_PATH,
  RestateError,
  RestatePathError,
  StatePath,
  resolvePath,
} from '../../../extension/restate/index';
import type { PathLike, StateEvent } from '../../../extension/restate/index';
import { ancestorAt } from '../../../extension/restate/path';
import { forEachController } from './controllers';
import type { AnyController } from './controllers';

type AnyEvent = StateEvent<AnyController>;

/** `{ path: { path: … 'leaf' } }` with `hops` levels of `.path`. */
function nested(hops: number, leaf: PathLike): PathLike {
  let current: PathLike = leaf;
  for (let i = 0; i < hops; i++) current = { path: current };
  return current;
}

function isPathErrorQuoting(input: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof RestatePathError, `expected a RestatePathError, got ${String(error)}`);
    assert.ok(error instanceof RestateError);
    assert.equal(error.code, 'path');
    assert.ok(error.message.startsWith('[restate] ['), error.message);
    assert.ok(
      error.message.includes(input) || error.message.includes(JSON.stringify(input)),
      `message ${JSON.stringify(error.message)} does not quote ${JSON.stringify(input)}`,
    );
    return true;
  };
}

const normalisations: readonly (readonly [string, string])[] = [
  ['a/b', '/a/b'],
  ['//x', '/x'],
  ['/a/', '/a'],
  ['', '/'],
  ['.', '/'],
  ['//', '/'],
  ['/', '/'],
  ['a', '/a'],
  ['./a/./b/.', '/a/b'],
  ['a//b///c', '/a/b/c'],
  ['/./', '/'],
];

const rejected: readonly (readonly [string, string])[] = [
  ['..', 'a .. segment'],
  ['/a/../b', 'a .. segment'],
  ['a/..', 'a .. segment'],
  ['../etc', 'a .. segment'],
  ['/a\0b', 'a NUL character'],
  ['\0', 'a NUL character'],
  ['**', 'the reserved ** segment'],
  ['/a/**/b', 'the reserved ** segment'],
  ['a*', 'a * inside a segment'],
  ['/x/*a', 'a * inside a segment'],
  ['/x/a*b', 'a * inside a segment'],
  ['/x/***', 'a * inside a segment'],
];

describe('paths: normalisation (S4, S5)', () => {
  for (const [input, expected] of normalisations) {
    it(`S4 ${JSON.stringify(input)} normalises to ${JSON.stringify(expected)}`, () => {
      assert.equal(resolvePath(input), expected);
      assert.equal(new StatePath(input).path, expected);
    });
  }

  it('S4 spaces, case and Unicode are kept', () => {
    assert.equal(resolvePath(' a b /C d '), '/ a b /C d ');
    assert.equal(resolvePath('Users/ALICE'), '/Users/ALICE');
    assert.notEqual(resolvePath('/A'), resolvePath('/a'));
    assert.equal(resolvePath('日本/ünï'), '/日本/ünï');
  });

  it('S4 NFC and NFD spellings are different names', () => {
    const nfc = '/caf\u00e9';
    const nfd = '/cafe\u0301';
    assert.equal(resolvePath(nfc), nfc);
    assert.equal(resolvePath(nfd), nfd);
    assert.notEqual(resolvePath(nfc), resolvePath(nfd));
    assert.notEqual(new StatePath(nfc).name, new StatePath(nfd).name);
  });

  it('S4 NFC and NFD names are different nodes in the in-memory backend', () => {
    const backend = new InMemoryBackend();
    backend.write('/caf\u00e9', 1);
    backend.write('/cafe\u0301', 2);
    assert.equal(backend.read('/caf\u00e9'), 1);
    assert.equal(backend.read('/cafe\u0301'), 2);
    assert.deepEqual(backend.listChildren('/'), ['cafe\u0301', 'caf\u00e9']);
  });

  for (const canonical of ['/', '/a', '/a/b/c', '/with space', '/日本/x', '/.hidden', '/a.b/c..d', '/...']) {
    it(`S5 the canonical ${JSON.stringify(canonical)} comes back identical`, () => {
      assert.ok(resolvePath(canonical) === canonical);
      assert.ok(new StatePath(canonical).path === canonical);
      assert.ok(new StatePath(canonical).toString() === canonical);
    });
  }

  it('S5 normalising a canonical result changes nothing', () => {
    for (const [input] of normalisations) {
      const once = resolvePath(input);
      assert.ok(resolvePath(once) === once, `${once} is not a fixed point`);
      assert.ok(once === '/' || (once.startsWith('/') && !once.endsWith('/') && !once.includes('//')), once);
    }
  });

  it('S5 dotted segments other than . and .. are ordinary names', () => {
    assert.equal(resolvePath('/.../a.'), '/.../a.');
    assert.deepEqual(new StatePath('/.hidden/x..y').segments, ['.hidden', 'x..y']);
  });
});

describe('paths: rejected forms (S6)', () => {
  for (const [input, why] of rejected) {
    it(`S6 ${JSON.stringify(input)} is rejected (${why}) by resolvePath and StatePath`, () => {
      assert.throws(() => resolvePath(input), isPathErrorQuoting(input));
      assert.throws(() => new StatePath(input), isPathErrorQuoting(input));
    });
  }

  it('S6 the message names the NUL rule', () => {
    assert.throws(() => resolvePath('/a\0b'), (error: unknown) => {
      assert.ok(error instanceof RestatePathError);
      assert.match(error.message, /NUL|null char|\\0|\\u0000/i);
      return true;
    });
  });

  it('S6 the message names the ** rule as reserved', () => {
    assert.throws(() => resolvePath('/a/**'), (error: unknown) => {
      assert.ok(error instanceof RestatePathError);
      assert.match(error.message, /reserved/i);
      return true;
    });
  });

  for (const [input] of rejected) {
    it(`S6 the in-memory backend rejects ${JSON.stringify(input)} in direct calls`, () => {
      const backend = new InMemoryBackend();
      assert.throws(() => backend.read(input), isPathErrorQuoting(input));
      assert.throws(() => backend.write(input, 1), isPathErrorQuoting(input));
      assert.throws(() => backend.delete(input), isPathErrorQuoting(input));
      assert.throws(() => backend.listChildren(input), isPathErrorQuoting(input));
      assert.equal(backend.read('/'), backend.read('/never'));
    });
  }

  it('S6 StatePath.child rejects a .. part', () => {
    assert.throws(() => ROOT_PATH.child('a', '..'), RestatePathError);
    assert.throws(() => new StatePath('/a').child('../b'), RestatePathError);
    assert.throws(() => ROOT_PATH.child('x*'), RestatePathError);
  });
});

describe('paths: wildcards outside controllers (S7)', () => {
  it('S7 StatePath and resolvePath accept an exact * segment', () => {
    assert.equal(new StatePath('users/*/name').path, '/users/*/name');
    assert.deepEqual(new StatePath('/users/*').segments, ['users', '*']);
    assert.equal(new StatePath('/*').name, '*');
    assert.equal(ROOT_PATH.child('users', '*').path, '/users/*');
  });

  it('S7 direct in-memory backend calls reject a wildcard', () => {
    const backend = new InMemoryBackend();
    assert.throws(() => backend.read('/a/*'), isPathErrorQuoting('/a/*'));
    assert.throws(() => backend.write('/a/*', 1), isPathErrorQuoting('/a/*'));
    assert.throws(() => backend.delete('/*'), isPathErrorQuoting('/*'));
    assert.throws(() => backend.listChildren('/*'), isPathErrorQuoting('/*'));
  });

  it('S7 mounts reject a wildcard', () => {
    const hybrid = new HybridSyncBackend(new InMemoryBackend());
    const before = hybrid.mounts().length;
    assert.throws(() => hybrid.mount('/data/*', new InMemoryBackend()), RestatePathError);
    assert.throws(() => hybrid.read('/data/*'), RestatePathError);
    assert.throws(() => hybrid.write('/data/*', 1), RestatePathError);
    assert.equal(hybrid.mounts().length, before);
  });
});

describe('paths: StatePath members (S8)', () => {
  it('S8 path, segments, name, parent and isRoot of a nested path', () => {
    const p = new StatePath('users/1/name');
    assert.equal(p.path, '/users/1/name');
    assert.deepEqual(p.segments, ['users', '1', 'name']);
    assert.equal(p.name, 'name');
    assert.equal(p.isRoot, false);
    assert.ok(p.parent instanceof StatePath);
    assert.equal(p.parent.path, '/users/1');
    assert.equal(p.parent.parent.path, '/users');
    assert.equal(p.parent.parent.parent.path, '/');
    assert.equal(p.parent.parent.parent.isRoot, true);
  });

  it('S8 the root has no segments, an empty name and is its own parent', () => {
    for (const root of [ROOT_PATH, new StatePath(''), new StatePath('//')]) {
      assert.equal(root.path, '/');
      assert.deepEqual(root.segments, []);
      assert.equal(root.name, '');
      assert.equal(root.isRoot, true);
      assert.equal(root.parent.path, '/');
      assert.equal(root.parent.isRoot, true);
    }
  });

  it('S8 toString returns the canonical path', () => {
    const p = new StatePath('a//b/');
    assert.equal(p.toString(), '/a/b');
    assert.equal(`${p}`, '/a/b');
    assert.equal(String(ROOT_PATH), '/');
  });

  it('S8 ROOT_PATH.child builds nested paths', () => {
    assert.equal(ROOT_PATH.child('users', '1').path, '/users/1');
    assert.deepEqual(ROOT_PATH.child('users', '1').segments, ['users', '1']);
    assert.equal(ROOT_PATH.child('users').child('1').path, '/users/1');
    assert.equal(ROOT_PATH.path, '/');
  });

  it('S8 child takes relative parts: child("a/b") adds two segments', () => {
    const p = new StatePath('/x').child('a/b');
    assert.deepEqual(p.segments, ['x', 'a', 'b']);
    assert.equal(p.path, '/x/a/b');
  });

  it('S8 a part starting with / does not restart at the root', () => {
    assert.equal(new StatePath('/x').child('/y').path, '/x/y');
    assert.equal(new StatePath('/x').child('/y/', '/z').path, '/x/y/z');
  });

  it('S8 child with empty or . parts normalises them away', () => {
    assert.equal(new StatePath('/x').child('', '.', 'y').path, '/x/y');
    assert.equal(new StatePath('/x').child().path, '/x');
  });

  it('S8 a StatePath is immutable: child and parent leave the original unchanged', () => {
    const p = new StatePath('/a/b');
    const c = p.child('c');
    const parent = p.parent;
    assert.equal(p.path, '/a/b');
    assert.deepEqual(p.segments, ['a', 'b']);
    assert.equal(c.path, '/a/b/c');
    assert.equal(parent.path, '/a');
    assert.notEqual(c, p);
  });

  it('S8 the segments array cannot be used to change the path', () => {
    const p = new StatePath('/a/b');
    const segments = p.segments as string[];
    try {
      segments.push('c');
      segments[0] = 'z';
    } catch {
      // A frozen array throws in strict mode; either way the path must not change.
    }
    assert.equal(p.path, '/a/b');
    assert.deepEqual(p.segments, ['a', 'b']);
    assert.equal(p.name, 'b');
  });

  it('S8 the constructor takes any PathLike', () => {
    assert.equal(new StatePath(new StatePath('a/b')).path, '/a/b');
    assert.equal(new StatePath({ path: 'a/b' }).path, '/a/b');
    assert.equal(new StatePath({ path: new StatePath('/q') }).path, '/q');
  });

  it('S8 resolvePath returns the canonical string of any PathLike', () => {
    assert.equal(typeof resolvePath('a'), 'string');
    assert.equal(resolvePath(new StatePath('a/b/')), '/a/b');
    assert.equal(resolvePath(ROOT_PATH), '/');
    assert.equal(resolvePath({ path: 'x//y' }), '/x/y');
  });
});

describe('paths: PathLike objects (S3)', () => {
  it('S3 objects are followed through .path', () => {
    assert.equal(resolvePath(nested(1, 'a')), '/a');
    assert.equal(resolvePath(nested(3, 'a/b')), '/a/b');
    assert.equal(resolvePath(nested(2, new StatePath('/s'))), '/s');
  });

  it('S3 sixteen hops are accepted', () => {
    assert.equal(resolvePath(nested(16, 'deep')), '/deep');
    assert.equal(new StatePath(nested(16, 'deep')).path, '/deep');
  });

  it('S3 more than sixteen hops throw a RestatePathError', () => {
    assert.throws(() => resolvePath(nested(17, 'deep')), RestatePathError);
    assert.throws(() => new StatePath(nested(40, 'deep')), RestatePathError);
  });

  it('S3 a cycle of .path objects throws a RestatePathError instead of looping', () => {
    const loop: { path: PathLike } = { path: '/x' };
    loop.path = loop;
    assert.throws(() => resolvePath(loop), RestatePathError);
  });

  it('S3 anything else throws a RestatePathError', () => {
    const bad: unknown[] = [42, null, undefined, true, Symbol('p'), {}, { name: '/a' }, { path: 5 }, { path: null }, ['a'], () => '/a'];
    for (const input of bad) {
      assert.throws(() => resolvePath(input as PathLike), RestatePathError, `accepted ${String(input)}`);
      assert.throws(() => new StatePath(input as PathLike), RestatePathError, `accepted ${String(input)}`);
    }
  });

  it('S3 an object wrapping a rejected path is rejected too', () => {
    assert.throws(() => resolvePath({ path: '/a/../b' }), RestatePathError);
  });
});

forEachController('paths through the controller', (kind) => {
  it('S3 an atom is a path, and so is an object nested around it', async () => {
    const c = kind.make();
    const atom = c.atom<number>('users//1/');
    assert.equal(atom.path, '/users/1');
    assert.equal(resolvePath(atom), '/users/1');
    assert.equal(new StatePath(atom).child('name').path, '/users/1/name');
    await c.setState(atom, 7);
    assert.equal(await c.getState('/users/1'), 7);
    assert.equal(await c.getState({ path: atom }), 7);
    assert.equal(await c.getState(nested(15, atom)), 7);
  });

  it('S3 an atom wrapped in more than sixteen hops is rejected', async () => {
    const c = kind.make();
    const atom = c.atom('/a');
    await assert.rejects(async () => c.getState(nested(17, atom)), RestatePathError);
    await assert.rejects(async () => c.setState(nested(17, atom), 1), RestatePathError);
    assert.equal(await c.getState('/a'), undefined);
  });

  it('S3 controller calls reject non-paths', async () => {
    const c = kind.make();
    await assert.rejects(async () => c.getState(5 as unknown as PathLike), RestatePathError);
    await assert.rejects(async () => c.setState({} as unknown as PathLike, 1), RestatePathError);
    await assert.rejects(async () => c.delState(null as unknown as PathLike), RestatePathError);
  });

  it('S4 controller paths are normalised: a, /a/ and //a name one node', async () => {
    const c = kind.make();
    await c.setState('a//b/', 1);
    assert.equal(await c.getState('/a/b'), 1);
    assert.equal(await c.getState('./a/./b'), 1);
    assert.equal(await c.getState(ROOT_PATH.child('a', 'b')), 1);
    assert.equal(await c.setState('/a/b/', 1), false);
  });

  it('S5 event paths are canonical whatever spelling the caller used', async () => {
    const c = kind.make();
    const seen: string[] = [];
    c.subscribe('a//', (event: AnyEvent) => {
      seen.push(event.emittingPath, event.currentPath);
    });
    await c.setState('./a//b/', 1);
    assert.deepEqual(seen, ['/a/b', '/a']);
  });

  for (const [input] of rejected) {
    it(`S6 every controller API rejects ${JSON.stringify(input)}`, async () => {
      const c = kind.make();
      const noop = (): void => undefined;
      await assert.rejects(async () => c.getState(input), isPathErrorQuoting(input));
      await assert.rejects(async () => c.setState(input, 1), isPathErrorQuoting(input));
      await assert.rejects(async () => c.delState(input), isPathErrorQuoting(input));
      await assert.rejects(async () => c.ping(input), isPathErrorQuoting(input));
      await assert.rejects(async () => c.subscribe(input, noop), isPathErrorQuoting(input));
      await assert.rejects(async () => c.derive('/d', input, (v) => v), isPathErrorQuoting(input));
      await assert.rejects(async () => c.derive(input, '/s', (v) => v), isPathErrorQuoting(input));
      await assert.rejects(async () => c.deriveMany('/d', ['/s', input], () => 1), isPathErrorQuoting(input));
      await assert.rejects(async () => c.notifyChange(input, { prevValue: 1, newValue: 2 }), isPathErrorQuoting(input));
      const id = c.registerCallback(noop);
      assert.throws(() => c.subscribeById(input, id), isPathErrorQuoting(input));
      assert.throws(() => c.unsubscribe(input, id), isPathErrorQuoting(input));
      assert.throws(() => c.unsubscribeById(input, id), isPathErrorQuoting(input));
      assert.throws(() => c.atom(input), isPathErrorQuoting(input));
      assert.deepEqual(await c.getState('/'), {});
    });
  }
});

forEachController('wildcards through the controller (S7)', (kind) => {
  it('S7 subscribe, subscribeById, unsubscribe and unsubscribeById accept a wildcard', async () => {
    const c = kind.make();
    const seen: string[] = [];
    const id = c.subscribe('/users/*/name', (event: AnyEvent) => {
      seen.push(event.currentPath);
    });
    assert.equal(c.subscribeById('users/*', id), id);
    await c.setState('/users/1/name', 'Ann');
    assert.deepEqual(seen, ['/users/1/name', '/users/1']);
    assert.equal(c.unsubscribeById('/users/*', id), true);
    assert.equal(c.unsubscribe('/users/*/name', id), true);
    await c.setState('/users/2/name', 'Bo');
    assert.deepEqual(seen, ['/users/1/name', '/users/1']);
  });

  it('S7 derive and deriveMany accept a wildcard source', async () => {
    const c = kind.make();
    const one = await c.derive('/count', '/items/*', () => 1);
    assert.equal(one, 'derive:/count');
    const many = await c.deriveMany('/many', ['/items/*', '/other'], () => 2);
    assert.equal(many, 'derive:/many');
    assert.equal(await c.getState('/count'), 1);
    assert.equal(await c.getState('/many'), 2);
  });

  it('S7 getState, setState, delState and ping reject a wildcard and touch nothing', async () => {
    const c = kind.make();
    await c.setState('/a/x', 1);
    await assert.rejects(async () => c.getState('/a/*'), isPathErrorQuoting('/a/*'));
    await assert.rejects(async () => c.setState('/a/*', 2), isPathErrorQuoting('/a/*'));
    await assert.rejects(async () => c.delState('/a/*'), isPathErrorQuoting('/a/*'));
    await assert.rejects(async () => c.ping('/*'), isPathErrorQuoting('/*'));
    assert.deepEqual(await c.getState('/a'), { x: 1 });
  });

  it('S7 derive and deriveMany reject a wildcard destination', async () => {
    const c = kind.make();
    await assert.rejects(async () => c.derive('/d/*', '/s', (v) => v), isPathErrorQuoting('/d/*'));
    await assert.rejects(async () => c.deriveMany('/*', ['/s'], () => 1), isPathErrorQuoting('/*'));
    assert.deepEqual(c.graph().nodes.filter((n) => n.kind === 'derivation'), []);
  });

  it('S7 atoms reject a wildcard', () => {
    const c = kind.make();
    assert.throws(() => c.atom('/users/*'), isPathErrorQuoting('/users/*'));
    assert.throws(() => c.atom(new StatePath('/*')), RestatePathError);
  });

  it('S7 event helpers reject a wildcard', async () => {
    const c = kind.make();
    const errors: unknown[] = [];
    const capture = (attempt: () => unknown): Promise<void> | undefined => {
      try {
        const result = attempt();
        if (result instanceof Promise) return result.then(() => undefined, (error: unknown) => void errors.push(error));
      } catch (error) {
        errors.push(error);
      }
      return undefined;
    };
    c.subscribe('/a', (event: AnyEvent) => {
      const pending = [
        capture(() => event.getState('/b/*')),
        capture(() => event.setState('/b/*', 1)),
        capture(() => event.delState('/b/*')),
      ];
      // ControllerSync rejects thenables from callbacks (S39), so only the async controller gets a promise.
      return kind.isAsync ? Promise.all(pending) : undefined;
    });
    await c.setState('/a', 1);
    assert.equal(errors.length, 3);
    for (const error of errors) assert.ok(error instanceof RestatePathError, String(error));
    assert.equal(await c.getState('/b'), undefined);
  });

  it('S7 unsubscribe of a pattern never subscribed returns false', () => {
    const c = kind.make();
    const id = c.subscribe('/a/*', () => undefined);
    assert.equal(c.unsubscribe('/b/*', id), false);
    assert.equal(c.unsubscribe('/a/*', id), true);
  });
});

describe('S31 ancestors by depth', () => {
  it('S31 ancestorAt gives the root, each ancestor, and the path itself at its own depth', () => {
    assert.deepEqual([0, 1, 2, 3].map((depth) => ancestorAt('/a/bc/d', depth)), ['/', '/a', '/a/bc', '/a/bc/d']);
    assert.equal(ancestorAt('/', 0), '/');
  });
});
