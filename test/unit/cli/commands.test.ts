// The command line's commands over a state folder, run in-process: output, exit codes, and bad input.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from '../../../extension/restate/cli/main';
import { FileSystemAsyncBackend } from '../../../extension/restate/index';
import { freshDir, oneLine, pythonStateCopy, runCli, snapshot } from './helpers';

const COMMANDS = ['get', 'set', 'del', 'ls', 'tree', 'watch', 'copy'];

/** A folder with `.state` holding /a (own value and a child), /n and /s. */
async function sample(): Promise<string> {
  const cwd = freshDir();
  const backend = new FileSystemAsyncBackend(join(cwd, '.state'));
  await backend.write('/a', { x: 1 });
  await backend.write('/a/b', [1, 2]);
  await backend.write('/n', 7);
  await backend.write('/s', 'text');
  return cwd;
}

describe('help', () => {
  it('restate --help lists every command and exits 0', async () => {
    const run = await runCli(['--help'], { cwd: freshDir() });
    assert.equal(run.code, EXIT_OK);
    for (const name of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
    assert.equal(run.stderr, '');
  });

  for (const name of COMMANDS) {
    it(`restate ${name} --help shows its usage and exits 0`, async () => {
      const run = await runCli([name, '--help'], { cwd: freshDir() });
      assert.equal(run.code, EXIT_OK);
      assert.match(run.stdout, new RegExp(`^Usage: restate ${name}\\b`));
    });
  }
});

describe('usage errors: one line on stderr, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /no command given/],
    ['an unknown command', ['frob'], /unknown command "frob"/],
    ['an unknown flag', ['get', '/a', '--bogus'], /unknown option --bogus/],
    ['a flag of another command', ['get', '/a', '--json'], /get takes no --json/],
    ['too few arguments', ['set', '/a'], /set takes 2 arguments, got 1/],
    ['too many arguments', ['get', '/a', '/b'], /get takes 1 argument, got 2/],
    ['--folder with --redis', ['get', '/a', '--folder', 'x', '--redis', 'redis://127.0.0.1:1', '--prefix', 'p'], /not both/],
    ['--redis without --prefix', ['get', '/a', '--redis', 'redis://127.0.0.1:1'], /--redis needs --prefix/],
    ['--prefix without a URL', ['get', '/a', '--prefix', 'p'], /--prefix needs --redis URL/],
    ['a URL that is not Redis', ['get', '/a', '--redis', 'http://127.0.0.1:1', '--prefix', 'p'], /expected a redis:\/\/ or rediss:\/\/ URL/],
    ['a store flag for copy', ['copy', 'a.json', 'b.json', '--folder', 'x'], /copy takes its places as SRC and DEST/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const run = await runCli(argv, { cwd: freshDir() });
      assert.equal(run.code, EXIT_USAGE);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, /^restate: /);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }
});

describe('get', () => {
  it('prints a value as indented JSON', async () => {
    const cwd = await sample();
    assert.deepEqual(await runCli(['get', '/n'], { cwd }), { code: 0, stdout: '7\n', stderr: '' });
    assert.equal((await runCli(['get', 's'], { cwd })).stdout, '"text"\n');
    assert.equal((await runCli(['get', '/a/b'], { cwd })).stdout, '[\n  1,\n  2\n]\n');
  });

  it('prints a node with children as its read: children by name, its own value under "/"', async () => {
    const cwd = await sample();
    const run = await runCli(['get', '/a'], { cwd });
    assert.deepEqual(JSON.parse(run.stdout), { '/': { x: 1 }, b: [1, 2] });
  });

  it("keeps Python's NaN and Infinity as the state files hold them", async () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, '.state'));
    writeFileSync(join(cwd, '.state', 'f.json'), '[NaN, Infinity, -Infinity]');
    assert.equal((await runCli(['get', '/f'], { cwd })).stdout, '[\n  NaN,\n  Infinity,\n  -Infinity\n]\n');
  });

  it('exits 3 for a missing path, naming it and the folder', async () => {
    const cwd = await sample();
    const run = await runCli(['get', '/nope'], { cwd });
    assert.equal(run.code, EXIT_NOT_FOUND);
    assert.ok(oneLine(run.stderr));
    assert.match(run.stderr, /nothing at \/nope in the state folder .*\.state/);
  });

  it('exits 1 when the folder does not exist, naming it', async () => {
    const cwd = freshDir();
    const run = await runCli(['get', '/a', '--folder', 'missing'], { cwd });
    assert.equal(run.code, EXIT_FAILURE);
    assert.match(run.stderr, /the state folder .*missing does not exist/);
    assert.equal(existsSync(join(cwd, 'missing')), false);
  });

  it('exits 1 with the file named when a value file cannot be parsed', async () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, '.state'));
    writeFileSync(join(cwd, '.state', 'bad.json'), '{not json');
    const run = await runCli(['get', '/bad'], { cwd });
    assert.equal(run.code, EXIT_FAILURE);
    assert.ok(oneLine(run.stderr));
    assert.match(run.stderr, /bad\.json/);
  });

  it('refuses a path that leaves the folder, with exit 2', async () => {
    const cwd = await sample();
    for (const path of ['../x', '/a/../../x']) {
      const run = await runCli(['get', path], { cwd });
      assert.equal(run.code, EXIT_USAGE, path);
      assert.ok(oneLine(run.stderr));
      assert.match(run.stderr, /\.\./);
    }
  });

  it('reads the folder given by --folder, relative to the working directory', async () => {
    const cwd = freshDir();
    await new FileSystemAsyncBackend(join(cwd, 'elsewhere')).write('/k', true);
    assert.equal((await runCli(['get', '/k', '--folder', 'elsewhere'], { cwd })).stdout, 'true\n');
  });
});

describe('set', () => {
  it('writes a JSONC value (comments and trailing commas) and creates the folder', async () => {
    const cwd = freshDir();
    const run = await runCli(['set', '/cfg/theme', '{"name": "dark", // the default\n "size": 3,}'], { cwd });
    assert.deepEqual(run, { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await new FileSystemAsyncBackend(join(cwd, '.state')).read('/cfg/theme'), { name: 'dark', size: 3 });
    assert.equal(readFileSync(join(cwd, '.state', 'cfg', 'theme.json'), 'utf8'), '{"name": "dark", "size": 3}');
  });

  it('takes a negative number after --, and says a bare one is taken for an option', async () => {
    const cwd = freshDir();
    const bare = await runCli(['set', '/t', '-5'], { cwd });
    assert.equal(bare.code, EXIT_USAGE);
    assert.equal(bare.stderr, 'restate: unknown option -5: a value that starts with - goes after --, as in restate set /t -- -5\n');
    assert.equal((await runCli(['set', '/t', '--', '-5'], { cwd })).code, EXIT_OK);
    assert.equal((await runCli(['get', '/t'], { cwd })).stdout, '-5\n');
  });

  it('reads the value from standard input for -', async () => {
    const cwd = freshDir();
    assert.equal((await runCli(['set', '/list', '-'], { cwd, stdin: '[1, 2, /* three */ 3]\n' })).code, EXIT_OK);
    assert.deepEqual(await new FileSystemAsyncBackend(join(cwd, '.state')).read('/list'), [1, 2, 3]);
  });

  it('leaves the children of the path alone', async () => {
    const cwd = await sample();
    await runCli(['set', '/a', '"own"'], { cwd });
    assert.deepEqual(await new FileSystemAsyncBackend(join(cwd, '.state')).read('/a'), { '/': 'own', b: [1, 2] });
  });

  for (const [what, value, message] of [
    ['a bare word', 'dark', /VALUE is not valid JSON: InvalidSymbol at line 1, column 1/],
    ['an unfinished object', '{"a": 1', /VALUE is not valid JSON: .* at line 1/],
    ['an empty value', '', /VALUE is not valid JSON: .*\(it is empty\)/],
    ['two values', '1 2', /VALUE is not valid JSON/],
  ] as const) {
    it(`refuses ${what} with exit 2 and writes nothing`, async () => {
      const cwd = await sample();
      const before = snapshot(join(cwd, '.state'));
      const run = await runCli(['set', '/n', value], { cwd });
      assert.equal(run.code, EXIT_USAGE);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, message);
      assert.deepEqual(snapshot(join(cwd, '.state')), before);
    });
  }

  it('refuses invalid JSON on standard input, naming it', async () => {
    const cwd = freshDir();
    const run = await runCli(['set', '/x', '-'], { cwd, stdin: '{oops' });
    assert.equal(run.code, EXIT_USAGE);
    assert.match(run.stderr, /the value on standard input is not valid JSON/);
    assert.equal(existsSync(join(cwd, '.state')), false);
  });

  it('refuses a path outside the folder and a name no file system takes, writing nothing', async () => {
    const cwd = freshDir();
    for (const path of ['../escape', '/a/../../escape', '/a:b', '/*']) {
      const run = await runCli(['set', path, '1'], { cwd });
      assert.equal(run.code, EXIT_USAGE, `${path}: ${run.stderr}`);
      assert.ok(oneLine(run.stderr), run.stderr);
    }
    assert.equal(existsSync(join(cwd, 'escape.json')), false);
    assert.deepEqual([...snapshot(cwd).keys()].filter((key) => !key.startsWith('.state')), []);
  });
});

describe('del', () => {
  it('deletes a path and its subtree', async () => {
    const cwd = await sample();
    assert.deepEqual(await runCli(['del', '/a'], { cwd }), { code: 0, stdout: '', stderr: '' });
    const backend = new FileSystemAsyncBackend(join(cwd, '.state'));
    assert.deepEqual(await backend.listChildren('/'), ['n', 's']);
  });

  it('exits 3 for a missing path', async () => {
    const cwd = await sample();
    const run = await runCli(['del', '/nope'], { cwd });
    assert.equal(run.code, EXIT_NOT_FOUND);
    assert.match(run.stderr, /nothing at \/nope/);
  });
});

describe('ls', () => {
  it('lists the children of the root, then of a path, one name a line', async () => {
    const cwd = await sample();
    assert.equal((await runCli(['ls'], { cwd })).stdout, 'a\nn\ns\n');
    assert.equal((await runCli(['ls', '/a'], { cwd })).stdout, 'b\n');
    assert.deepEqual(await runCli(['ls', '/n'], { cwd }), { code: 0, stdout: '', stderr: '' });
  });

  it('exits 3 for a missing path', async () => {
    const cwd = await sample();
    assert.equal((await runCli(['ls', '/nope'], { cwd })).code, EXIT_NOT_FOUND);
  });
});

describe('tree', () => {
  it('prints the subtree indented, with each own value', async () => {
    const cwd = await sample();
    assert.equal((await runCli(['tree'], { cwd })).stdout, '/\n  a = {"x": 1}\n    b = [1, 2]\n  n = 7\n  s = "text"\n');
    assert.equal((await runCli(['tree', '/a'], { cwd })).stdout, '/a = {"x": 1}\n  b = [1, 2]\n');
  });

  it('prints the Python fixture as its files hold it', async () => {
    const folder = pythonStateCopy();
    const run = await runCli(['tree', '--folder', folder], { cwd: freshDir() });
    assert.equal(run.code, EXIT_OK);
    assert.match(run.stdout, /^\/\n {2}roadmap\n {4}milestones = /);
    assert.match(run.stdout, /^ {2}team = /m);
    assert.match(run.stdout, /^ {4}members\n/m);
  });

  it('exits 3 for a missing path', async () => {
    const cwd = await sample();
    assert.equal((await runCli(['tree', '/nope'], { cwd })).code, EXIT_NOT_FOUND);
  });
});
