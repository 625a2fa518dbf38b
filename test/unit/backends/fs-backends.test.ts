import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import {
  MISSING,
  RestateBackendError,
  RestateFormatError,
  RestateNameError,
  RestatePathError,
  RestateSerializeError,
  RestateValueError,
  deepEqual,
} from '../../../extension/restate/index';
import type { Serializer } from '../../../extension/restate/index';
import { freshDir, fsBackendKinds, snapshot } from './fs-helpers';

const fixture = join(__dirname, '..', '..', 'fixtures', 'python-state');
const canSymlink = process.platform !== 'win32';

interface ExpectedRead {
  readonly path: string;
  readonly value: unknown;
}

for (const kind of fsBackendKinds) {
  describe(kind.name, () => {
    const fresh = (options?: Parameters<typeof kind.make>[1]) => {
      const dir = freshDir();
      const base = join(dir, 'state');
      return { dir, base, backend: kind.make(base, options) };
    };

    describe('Python compatibility', () => {
      it('S82 S85 reads the folder the Python original wrote, as expected-reads.json documents', async () => {
        const backend = kind.make(join(fixture, 'state'));
        const expected = JSON.parse(readFileSync(join(fixture, 'expected-reads.json'), 'utf8')) as ExpectedRead[];
        assert.equal(expected.length, 13);
        for (const { path, value } of expected) {
          const wanted = deepEqual(value, { $missing: true }) ? MISSING : value;
          const got = await backend.read(path);
          assert.ok(deepEqual(got, wanted), `${path}: ${JSON.stringify(got)}`);
        }
      });

      it('S92 writing the fixture values reproduces its files byte for byte', async () => {
        const source = kind.make(join(fixture, 'state'));
        const { base, backend } = fresh();
        const original = snapshot(join(fixture, 'state'));
        for (const file of original.keys()) {
          if (file.endsWith('/')) continue;
          const path = '/' + file.slice(0, -'.json'.length);
          const read = await source.read(path);
          // /team has both a value and children: its own value is the "/" key of its read.
          const hasChildren = original.has(file.slice(0, -'.json'.length) + '/');
          await backend.write(path, hasChildren ? (read as Record<string, unknown>)['/'] : read);
        }
        assert.deepEqual(snapshot(base), original);
      });

      it('S82 keeps the root value next to the base folder, in <base>.json', async () => {
        const { base, backend } = fresh();
        await backend.write('/', { v: 1 });
        assert.equal(readFileSync(base + '.json', 'utf8'), '{"v": 1}');
        assert.equal(existsSync(base), false);
        await backend.write('/a', 1);
        assert.deepEqual(await backend.read('/'), { '/': { v: 1 }, a: 1 });
      });
    });

    describe('layout and names', () => {
      it('S83 C16 appends the suffix to every name, so dotted names stay distinct', async () => {
        const { base, backend } = fresh();
        const names = ['with space', 'ünï', '日本', "quote'", '.hidden', 'v1', 'v1.2', 'archive.tar', 'file.json'];
        for (const [i, name] of names.entries()) await backend.write('/' + name, i);
        await backend.write('/a.b/c', 'child');
        assert.ok(existsSync(join(base, 'v1.2.json')));
        assert.ok(existsSync(join(base, 'file.json.json')));
        for (const [i, name] of names.entries()) assert.equal(await backend.read('/' + name), i, name);
        assert.deepEqual(await backend.listChildren('/'), [...names, 'a.b'].sort());
        assert.deepEqual(await backend.read('/a.b'), { c: 'child' });
      });

      it('S84 lists value files and folders with children, once each, in code-unit order', async () => {
        const { base, backend } = fresh();
        await backend.write('/n', 1);
        await backend.write('/n/c', 2);
        await backend.write('/b.d/x', 3);
        assert.deepEqual(await backend.listChildren('/'), ['b.d', 'n']);
        assert.deepEqual(await backend.read('/'), { 'b.d': { x: 3 }, n: { '/': 1, c: 2 } });
        assert.ok(existsSync(join(base, 'n.json')) && existsSync(join(base, 'n', 'c.json')));
      });

      it('S84 ignores temporary files, other files, empty folders and folders holding only empty folders', async () => {
        const { base, backend } = fresh();
        await backend.write('/keep', 1);
        writeFileSync(join(base, '.keep.json.abc123.tmp'), '{"half');
        writeFileSync(join(base, 'notes.txt'), 'hello');
        mkdirSync(join(base, 'empty'));
        mkdirSync(join(base, 'deep', 'er'), { recursive: true });
        mkdirSync(join(base, '.x.tmp'));
        writeFileSync(join(base, '.x.tmp', 'y.json'), '1');
        assert.deepEqual(await backend.listChildren('/'), ['keep']);
        assert.deepEqual(await backend.read('/'), { keep: 1 });
        assert.equal(await backend.read('/empty'), MISSING);
        assert.deepEqual(await backend.listChildren('/deep'), []);
      });

      it('S87 a half-written temporary file left by a crash is ignored and the old value stays', async () => {
        const { base, backend } = fresh();
        await backend.write('/a/b', { ok: true });
        writeFileSync(join(base, 'a', '.b.json.k2j3h4.tmp'), '{"ok": fa');
        assert.deepEqual(await backend.read('/a'), { b: { ok: true } });
        assert.deepEqual(await backend.listChildren('/a'), ['b']);
      });

      it('S87 writes through a temporary file in the target folder and leaves none behind', async () => {
        for (const durability of ['rename', 'fsync'] as const) {
          const { base, backend } = fresh({ durability });
          await backend.write('/x/y', 'v');
          await backend.write('/x/y', 'w');
          await backend.write('/', 0);
          assert.deepEqual(readdirSync(join(base, 'x')), ['y.json']);
          assert.deepEqual(readdirSync(dirname(base)).sort(), ['state', 'state.json']);
          assert.equal(await backend.read('/x/y'), 'w');
        }
      });

      it('S89 refuses names that cannot be file names everywhere, touching nothing', async () => {
        const { base, backend } = fresh();
        const bad = ['a:b', 'a<b', 'q?', 'p|q', 'back\\slash', 'quo"te', 'tab\there', 'dot.', 'space ', 'CON', 'nul', 'com1', 'LPT9.txt', 'aux.', '.x.tmp', 'é'.repeat(98)];
        for (const name of bad) {
          await assert.rejects(backend.write(`/ok/${name}/leaf`, 1), (error: unknown) => error instanceof RestateNameError && error.segment === name, name);
          await assert.rejects(backend.write(`/${name}`, 1), RestateNameError, name);
        }
        assert.equal(existsSync(base), false);
        await backend.write('/' + 'é'.repeat(97), 1);
        await backend.write('/console', 1);
        await backend.write('/COM10', 1);
        assert.deepEqual(await backend.listChildren('/'), ['COM10', 'console', 'é'.repeat(97)].sort());
      });

      it('S89 reads and deletes accept names found on disk that writes refuse', async () => {
        const { base, backend } = fresh();
        mkdirSync(base);
        writeFileSync(join(base, 'trailing .json'), '1');
        assert.deepEqual(await backend.listChildren('/'), ['trailing ']);
        assert.equal(await backend.read('/trailing '), 1);
        await backend.delete('/trailing ');
        assert.deepEqual(readdirSync(base), []);
      });

      it('C20 S6 rejects "..", NUL and "*" given directly', async () => {
        const { backend } = fresh();
        for (const path of ['/../x', '/a/../../x', '/a\0b', '/a/*', '/a*']) {
          await assert.rejects(backend.read(path), RestatePathError, path);
          await assert.rejects(backend.write(path, 1), RestatePathError, path);
          await assert.rejects(backend.delete(path), RestatePathError, path);
          await assert.rejects(backend.listChildren(path), RestatePathError, path);
        }
      });

      it('S76 C19 refuses undefined and MISSING and keeps the old value', async () => {
        const { backend } = fresh();
        await backend.write('/a', 1);
        await assert.rejects(backend.write('/a', undefined), RestateValueError);
        await assert.rejects(backend.write('/a', MISSING), RestateValueError);
        assert.equal(await backend.read('/a'), 1);
      });
    });

    describe('delete', () => {
      it('S88 removes the value file and the children folder, then the ancestors left empty', async () => {
        const { base, backend } = fresh();
        await backend.write('/a/b/c', 1);
        await backend.write('/a/b', 2);
        await backend.write('/a/b/c/d', 3);
        await backend.delete('/a/b');
        assert.deepEqual(readdirSync(base), []);
        assert.equal(await backend.read('/a'), MISSING);
      });

      it('S88 stops at a folder that still holds something, and at the base', async () => {
        const { base, backend } = fresh();
        await backend.write('/a/b/c', 1);
        await backend.write('/a/x', 2);
        await backend.delete('/a/b/c');
        assert.deepEqual(readdirSync(join(base, 'a')), ['x.json']);
        await backend.delete('/a/x');
        assert.ok(existsSync(base));
        assert.deepEqual(readdirSync(base), []);
        await backend.delete('/never/was');
      });

      it('S88 deleting "/" removes <base>.json and empties the base', async () => {
        const { base, backend } = fresh();
        await backend.write('/', 'root');
        await backend.write('/a/b', 1);
        writeFileSync(join(base, 'stray.txt'), 'x');
        await backend.delete('/');
        assert.equal(existsSync(base + '.json'), false);
        assert.deepEqual(readdirSync(base), []);
        assert.equal(await backend.read('/'), MISSING);
      });

      it('S91 deleting a node leaves a folder named like its value file, which belongs to another node', async () => {
        const { base, backend } = fresh();
        await backend.write('/x/p.json/c', 1);
        await backend.write('/x/p/q', 2);
        await backend.delete('/x/p');
        assert.deepEqual(await backend.read('/x'), { 'p.json': { c: 1 } });
        assert.ok(existsSync(join(base, 'x', 'p.json', 'c.json')));
      });
    });

    describe('conflicts and bad files', () => {
      it('S91 a folder where the value file must go: RestateBackendError naming both, nothing changed', async () => {
        const { base, backend } = fresh();
        await backend.write('/x/p.json/child', 1);
        const before = snapshot(base);
        await assert.rejects(backend.write('/x/p', 2), (error: unknown) => {
          assert.ok(error instanceof RestateBackendError);
          assert.match(error.message, /p\.json is a folder/);
          assert.match(error.message, /\/x\/p/);
          return true;
        });
        assert.deepEqual(snapshot(base), before);
      });

      it('S91 a file where a folder is needed: RestateBackendError naming both, nothing changed', async () => {
        const { base, backend } = fresh();
        await backend.write('/x/keep', 1);
        writeFileSync(join(base, 'x', 'p'), 'not a folder');
        const before = snapshot(base);
        await assert.rejects(backend.write('/x/p/q/r', 2), (error: unknown) => {
          assert.ok(error instanceof RestateBackendError);
          assert.equal(error.file, join(base, 'x', 'p'));
          assert.match(error.message, /\/x\/p\/q\/r/);
          return true;
        });
        assert.deepEqual(snapshot(base), before);
        assert.equal(await backend.read('/x/p/q'), MISSING);
      });

      it('C21 S86 an unparsable value file is listed, and reading it throws RestateFormatError with file and line', async () => {
        const { base, backend } = fresh();
        await backend.write('/d/good', 1);
        writeFileSync(join(base, 'd', 'bad.json'), '{\n  "a": oops\n}');
        assert.deepEqual(await backend.listChildren('/d'), ['bad', 'good']);
        const check = (error: unknown): boolean => {
          assert.ok(error instanceof RestateFormatError);
          assert.equal(error.file, join(base, 'd', 'bad.json'));
          assert.equal(error.path, '/d/bad');
          assert.match(error.detail, /line 2, column 8/);
          return true;
        };
        await assert.rejects(backend.read('/d/bad'), check);
        await assert.rejects(backend.read('/d'), check);
        await assert.rejects(backend.read('/'), check);
        assert.equal(await backend.read('/d/good'), 1);
      });

      it('S95 reads NaN and Infinity written by Python, and a BOM; such a value cannot be written back', async () => {
        const { base, backend } = fresh();
        mkdirSync(base);
        writeFileSync(join(base, 'n.json'), '\ufeff{"x": NaN, "y": [Infinity, -Infinity]}');
        const value = (await backend.read('/n')) as { x: number; y: number[] };
        assert.ok(Number.isNaN(value.x));
        assert.deepEqual(value.y, [Infinity, -Infinity]);
        await assert.rejects(backend.write('/n', value), RestateSerializeError);
      });

      it('S94 C24 unserialisable values throw RestateSerializeError naming path and place, and leave data intact', async () => {
        const { base, backend } = fresh();
        await backend.write('/v', { tags: [1, 2] });
        const cyclic: Record<string, unknown> = {};
        cyclic.me = cyclic;
        const sparse: unknown[] = [];
        sparse[1] = 1;
        const values: unknown[] = [NaN, Infinity, -Infinity, 10n, () => 1, Symbol('s'), [undefined], sparse, cyclic, new Date(), new (class Thing {})()];
        const before = snapshot(base);
        for (const value of values) {
          await assert.rejects(backend.write('/v', value), RestateSerializeError);
          await assert.rejects(backend.write('/new/deep/v', value), RestateSerializeError);
        }
        await assert.rejects(backend.write('/v', { tags: [1, 2, NaN] }), (error: unknown) => {
          assert.ok(error instanceof RestateSerializeError);
          assert.equal(error.path, '/v');
          assert.equal(error.location, '.tags[2]');
          assert.match(error.message, /\/v at \.tags\[2\]/);
          return true;
        });
        assert.deepEqual(snapshot(base), before);
        assert.deepEqual(await backend.read('/v'), { tags: [1, 2] });
      });

      it('S86 an I/O error other than "not found" is a RestateBackendError with path, file and cause', { skip: process.getuid?.() === 0 || process.platform === 'win32' }, async () => {
        const { base, backend } = fresh();
        await backend.write('/locked/a', 1);
        const { chmodSync } = await import('node:fs');
        chmodSync(join(base, 'locked'), 0o000);
        try {
          await assert.rejects(backend.read('/locked'), (error: unknown) => error instanceof RestateBackendError && error.path === '/locked' && error.cause !== undefined);
        } finally {
          chmodSync(join(base, 'locked'), 0o755);
        }
      });
    });

    describe('nesting depth (S134)', () => {
      /** `leaf` inside `depth` containers, alternating objects and arrays from the outside in. */
      const nested = (depth: number, leaf: unknown): unknown => {
        let value = leaf;
        for (let i = depth; i > 0; i--) value = i % 2 === 1 ? { in: value } : [value];
        return value;
      };

      it('S134 writes and reads back a value nested 512 levels deep', async () => {
        const { base, backend } = fresh();
        await backend.write('/deep', nested(512, 'leaf'));
        await backend.write('/empty', nested(511, []));
        assert.equal(readFileSync(join(base, 'deep.json'), 'utf8'), '{"in": ['.repeat(256) + '"leaf"' + ']}'.repeat(256));
        assert.ok(deepEqual(await backend.read('/deep'), nested(512, 'leaf')));
        assert.ok(deepEqual(await backend.read('/empty'), nested(511, [])));
      });

      it('S134 refuses a value nested deeper than 512 levels with a RestateSerializeError naming the path, touching nothing', async () => {
        const { base, backend } = fresh();
        await backend.write('/deep', 'old');
        const before = snapshot(base);
        for (const value of [nested(513, 1), nested(512, []), nested(512, {}), nested(10_000, 1), { ok: 1, list: [2, nested(600, 3)] }]) {
          await assert.rejects(backend.write('/deep', value), (error: unknown) => {
            assert.ok(error instanceof RestateSerializeError, String(error));
            assert.equal(error.path, '/deep');
            assert.match(error.message, /nested deeper than 512 levels/);
            // The place is shortened to its first and last steps.
            assert.ok(error.message.length < 400, error.message);
            return true;
          });
          await assert.rejects(backend.write('/new/deep', value), RestateSerializeError);
        }
        await assert.rejects(backend.write('/deep', { ok: 1, list: [2, nested(600, 3)] }), (error: unknown) =>
          error instanceof RestateSerializeError && error.location.startsWith('.list[1].in[0]') && error.location.includes('…') && error.location.endsWith('.in[0]'),
        );
        assert.deepEqual(snapshot(base), before);
      });

      it('S134 reads a file nested 20,000 levels deep that another program wrote', async () => {
        const { base, backend } = fresh();
        mkdirSync(base);
        writeFileSync(join(base, 'deep.json'), '['.repeat(20_000) + '1' + ']'.repeat(20_000));
        let expected: unknown = 1;
        for (let i = 0; i < 20_000; i++) expected = [expected];
        assert.ok(deepEqual(await backend.read('/deep'), expected));
        assert.ok(deepEqual(await backend.read('/'), { deep: expected }));
      });
    });

    describe('what does not come back unchanged (README, sharing a folder with Python)', () => {
      it('S93 -0 is written as 0 and comes back as 0; a -0.0 that Python wrote reads as -0', async () => {
        const { base, backend } = fresh();
        await backend.write('/zero', -0);
        await backend.write('/list', [-0, { z: -0 }]);
        assert.equal(readFileSync(join(base, 'zero.json'), 'utf8'), '0');
        assert.equal(readFileSync(join(base, 'list.json'), 'utf8'), '[0, {"z": 0}]');
        assert.ok(Object.is(await backend.read('/zero'), 0));
        const list = (await backend.read('/list')) as [number, { z: number }];
        assert.ok(Object.is(list[0], 0) && Object.is(list[1].z, 0));
        writeFileSync(join(base, 'python.json'), '-0.0');
        assert.ok(Object.is(await backend.read('/python'), -0));
      });

      it('S95 bytes that are not UTF-8 read as U+FFFD without an error, and are written back as \\ufffd', async () => {
        const { base, backend } = fresh();
        mkdirSync(base);
        // 0xff never occurs in UTF-8; 0xc3 starts a two-byte sequence that "(" does not continue.
        writeFileSync(join(base, 'latin1.json'), Buffer.from([0x22, 0x61, 0xff, 0x62, 0xc3, 0x28, 0x22]));
        assert.equal(await backend.read('/latin1'), 'a\ufffdb\ufffd(');
        assert.deepEqual(await backend.read('/'), { latin1: 'a\ufffdb\ufffd(' });
        await backend.write('/latin1', await backend.read('/latin1'));
        assert.equal(readFileSync(join(base, 'latin1.json'), 'utf8'), '"a\\ufffdb\\ufffd("');
      });
    });

    describe('containment', { skip: !canSymlink }, () => {
      const withOutsideLink = () => {
        const { dir, base, backend } = fresh();
        const outside = join(dir, 'outside');
        mkdirSync(join(outside, 'sub'), { recursive: true });
        writeFileSync(join(outside, 'secret.json'), '"secret"');
        writeFileSync(join(outside, 'sub', 'x.json'), '1');
        mkdirSync(base);
        symlinkSync(outside, join(base, 'link'));
        symlinkSync(join(outside, 'secret.json'), join(base, 'leak.json'));
        return { dir, base, backend, outside };
      };

      it('S90 a folder symlink out of the base is neither followed nor listed', async () => {
        const { base, backend, outside } = withOutsideLink();
        await backend.write('/ok', 1);
        assert.deepEqual(await backend.listChildren('/'), ['ok']);
        assert.deepEqual(await backend.read('/'), { ok: 1 });
        const namesLink = (error: unknown): boolean => error instanceof RestatePathError && error.message.includes(join(base, 'link'));
        await assert.rejects(backend.read('/link/secret'), namesLink);
        await assert.rejects(backend.read('/link/sub/x'), namesLink);
        await assert.rejects(backend.read('/link'), namesLink);
        await assert.rejects(backend.listChildren('/link'), namesLink);
        await assert.rejects(backend.write('/link/planted', 1), namesLink);
        await assert.rejects(backend.write('/link/new/deeper', 1), namesLink);
        await assert.rejects(backend.delete('/link/secret'), namesLink);
        await assert.rejects(backend.delete('/link/sub/x'), namesLink);
        assert.deepEqual(readdirSync(outside).sort(), ['secret.json', 'sub']);
        assert.deepEqual(readdirSync(join(outside, 'sub')), ['x.json']);
      });

      it('S90 a value file symlinked out of the base is not read and not listed', async () => {
        const { base, backend } = withOutsideLink();
        await assert.rejects(backend.read('/leak'), (error: unknown) => error instanceof RestatePathError && error.message.includes(join(base, 'leak.json')));
        assert.deepEqual(await backend.listChildren('/'), []);
      });

      it('S90 symlinks that stay inside the base are followed', async () => {
        const { base, backend } = fresh();
        await backend.write('/real/a', 1);
        await backend.write('/value', 'v');
        symlinkSync(join(base, 'real'), join(base, 'alias'));
        symlinkSync(join(base, 'value.json'), join(base, 'same.json'));
        assert.equal(await backend.read('/alias/a'), 1);
        assert.equal(await backend.read('/same'), 'v');
        assert.deepEqual(await backend.listChildren('/'), ['alias', 'real', 'same', 'value']);
        assert.deepEqual(await backend.read('/alias'), { a: 1 });
      });

      it('S90 a symlink back to a folder above is not followed by parent reads', async () => {
        const { base, backend } = fresh();
        await backend.write('/a/x', 1);
        symlinkSync(join(base, 'a'), join(base, 'a', 'loop'));
        assert.deepEqual(await backend.read('/'), { a: { x: 1 } });
        assert.deepEqual(await backend.listChildren('/a'), ['x']);
      });

      it('S90 a base that is itself a symlink works', async () => {
        const dir = freshDir();
        mkdirSync(join(dir, 'real'));
        symlinkSync(join(dir, 'real'), join(dir, 'state'));
        const backend = kind.make(join(dir, 'state'));
        await backend.write('/a/b', 1);
        assert.deepEqual(await backend.read('/'), { a: { b: 1 } });
        assert.ok(existsSync(join(dir, 'real', 'a', 'b.json')));
      });
    });

    describe('serializers', () => {
      it('S99 the YAML serializer example works', async () => {
        const yamlSerializer: Serializer = {
          extension: 'yaml',
          serialize: (value) => stringify(value),
          deserialize: (text) => parse(text as string) as unknown,
        };
        const { base, backend } = fresh({ serializer: yamlSerializer });
        await backend.write('/config', { theme: 'dark', sizes: [1, 2] });
        await backend.write('/config/child', 'c');
        assert.equal(readFileSync(join(base, 'config.yaml'), 'utf8'), 'theme: dark\nsizes:\n  - 1\n  - 2\n');
        assert.deepEqual(await backend.read('/config'), { '/': { theme: 'dark', sizes: [1, 2] }, child: 'c' });
        assert.deepEqual(await backend.listChildren('/'), ['config']);
        writeFileSync(join(base, 'broken.yaml'), 'a: [1, 2');
        await assert.rejects(backend.read('/broken'), (error: unknown) => error instanceof RestateFormatError && error.file === join(base, 'broken.yaml'));
      });

      it('S98 binary serializers and the default extensions', async () => {
        const binary: Serializer = {
          extension: '',
          binary: true,
          serialize: (value) => new Uint8Array([Number(value)]),
          deserialize: (raw) => (raw as Uint8Array)[0],
        };
        const { base, backend } = fresh({ serializer: binary });
        await backend.write('/b', 7);
        assert.deepEqual([...readFileSync(join(base, 'b.bin'))], [7]);
        assert.equal(await backend.read('/b'), 7);
        const text: Serializer = { extension: '', serialize: (value) => String(value), deserialize: (raw) => `read ${raw as string}` };
        const other = fresh({ serializer: text });
        await other.backend.write('/t', 'x');
        assert.equal(readFileSync(join(other.base, 't.txt'), 'utf8'), 'x');
        assert.equal(await other.backend.read('/t'), 'read x');
      });

      it('S98 a serializer error becomes RestateSerializeError, touching nothing', async () => {
        const failing: Serializer = { extension: 'json', serialize: () => { throw new Error('no way'); }, deserialize: (raw) => raw };
        const { base, backend } = fresh({ serializer: failing });
        await assert.rejects(backend.write('/a/b', 1), (error: unknown) => error instanceof RestateSerializeError && /no way/.test(error.message));
        assert.equal(existsSync(base), false);
      });
    });

    describe('reads', () => {
      it('S20 returns new objects on every read', async () => {
        const { backend } = fresh();
        await backend.write('/o', { a: [1] });
        const first = (await backend.read('/o')) as { a: number[] };
        first.a.push(2);
        assert.deepEqual(await backend.read('/o'), { a: [1] });
      });

      it('S15 a child named "__proto__" is an ordinary key of the parent read', async () => {
        const { backend } = fresh();
        await backend.write('/p/__proto__', 1);
        const read = (await backend.read('/p')) as Record<string, unknown>;
        assert.deepEqual(Object.keys(read), ['__proto__']);
        assert.equal(Object.getPrototypeOf(read), Object.prototype);
      });

      it('S78 listChildren reads no values: unparsable files do not matter', async () => {
        const { base, backend } = fresh();
        mkdirSync(join(base, 'big'), { recursive: true });
        for (let i = 0; i < 2000; i++) writeFileSync(join(base, 'big', `k${i}.json`), 'not json');
        const names = await backend.listChildren('/big');
        assert.equal(names.length, 2000);
        assert.deepEqual(names, [...names].sort());
      });
    });
  });
}
