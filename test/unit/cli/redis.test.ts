// The command line over a Redis tree, in-process, against a redis-server of its own: the commands, watch
// seeing another client's write, copy through Redis, and an unreachable server or a password in the URL.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT_FAILURE, EXIT_OK } from '../../../extension/restate/cli/main';
import { RedisBackend } from '../../../extension/restate/redis';
import { freePort, startRedisServer, type RedisServer } from '../../backends/redisServer';
import { PYTHON_FIXTURE, freshDir, oneLine, pythonStateCopy, runCli, snapshot, until } from './helpers';

let server: RedisServer;
let prefixes = 0;
const opened: RedisBackend[] = [];

before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await Promise.all(opened.map((backend) => backend.close()));
  await server.dispose();
});

function freshPrefix(): string {
  return `cli${++prefixes}`;
}

function client(prefix: string): RedisBackend {
  const backend = new RedisBackend({ url: server.url, prefix });
  opened.push(backend);
  return backend;
}

describe('commands over Redis', () => {
  it('set, get, ls, tree and del through --redis and --prefix', async () => {
    const cwd = freshDir();
    const prefix = freshPrefix();
    const at = ['--redis', server.url, '--prefix', prefix];
    assert.equal((await runCli(['set', '/cfg', '{"theme": "dark",}', ...at], { cwd })).code, EXIT_OK);
    assert.equal((await runCli(['set', '/cfg/size', '3', ...at], { cwd })).code, EXIT_OK);
    assert.deepEqual(await client(prefix).read('/cfg'), { '/': { theme: 'dark' }, size: 3 });
    assert.equal((await runCli(['get', '/cfg/size', ...at], { cwd })).stdout, '3\n');
    assert.equal((await runCli(['ls', '/cfg', ...at], { cwd })).stdout, 'size\n');
    assert.equal((await runCli(['tree', ...at], { cwd })).stdout, '/\n  cfg = {"theme": "dark"}\n    size = 3\n');
    assert.equal((await runCli(['del', '/cfg', ...at], { cwd })).code, EXIT_OK);
    assert.equal((await runCli(['get', '/cfg', ...at], { cwd })).code, 3);
  });

  it('takes the URL from RESTATE_REDIS_URL when only --prefix is given', async () => {
    const prefix = freshPrefix();
    await client(prefix).write('/k', 'v');
    const run = await runCli(['get', '/k', '--prefix', prefix], { cwd: freshDir(), env: { RESTATE_REDIS_URL: server.url } });
    assert.deepEqual(run, { code: 0, stdout: '"v"\n', stderr: '' });
  });

  it('watch prints a write another client makes, then returns 0 when stopped', async () => {
    const prefix = freshPrefix();
    const other = client(prefix);
    await other.write('/n', 1);
    const stopping = new AbortController();
    let out = '';
    let err = '';
    const running = runCli(['watch', '--json', '--redis', server.url, '--prefix', prefix], {
      cwd: freshDir(),
      stop: stopping.signal,
      onStdout: (text) => (out += text),
      onStderr: (text) => (err += text),
    });
    await until(() => (err.includes('watching') ? true : undefined), 'watch to start');
    // "watching" is printed once the change log's reader has started: one write is enough.
    await other.write('/n', 2);
    await until(() => (out.includes('"path": "/n"') ? true : undefined), 'the other client’s write', 15_000);
    stopping.abort();
    const run = await running;
    assert.equal(run.code, EXIT_OK);
    const first = JSON.parse(out.split('\n')[0]) as Record<string, unknown>;
    assert.equal(first.path, '/n');
    assert.equal(first.cause, 'remote');
    assert.equal(first.kind, 'set');
    assert.equal(first.old, 1);
    assert.equal(first.new, 2);
  });

  it('copies the Python fixture folder → Redis → a JSON file → a new folder, which has the fixture’s files byte for byte', async () => {
    const cwd = freshDir();
    const source = pythonStateCopy();
    const redis = `${server.url}/0#${freshPrefix()}`;
    for (const [from, to] of [
      [`folder:${source}`, redis],
      [redis, 'tree.json'],
      ['tree.json', 'folder:restored'],
    ]) {
      const run = await runCli(['copy', from, to], { cwd });
      assert.equal(run.code, EXIT_OK, `${from} → ${to}: ${run.stderr}`);
    }
    assert.deepEqual(snapshot(join(cwd, 'restored')), snapshot(PYTHON_FIXTURE));
    assert.deepEqual(snapshot(source), snapshot(PYTHON_FIXTURE), 'the source folder is untouched');
  });

  it('S135 refuses a Redis tree that is not empty without --replace, and replaces it whole with it', async () => {
    const cwd = freshDir();
    const prefix = freshPrefix();
    const target = client(prefix);
    await target.write('/old', 1);
    await target.write('/keep/me', 2);
    const source = pythonStateCopy();
    const refused = await runCli(['copy', `folder:${source}`, `${server.url}#${prefix}`], { cwd });
    assert.equal(refused.code, EXIT_FAILURE);
    assert.match(refused.stderr, /is not empty; give --replace/);
    assert.deepEqual(await target.listChildren('/'), ['keep', 'old']);
    assert.equal((await runCli(['copy', `folder:${source}`, `${server.url}#${prefix}`, '--replace'], { cwd })).code, EXIT_OK);
    assert.deepEqual(await target.listChildren('/'), ['roadmap', 'settings', 'team']);
  });
});

describe('S135 a Redis destination that fails midway', () => {
  it('says how many values it wrote and that the tree is incomplete, with exit 1', async () => {
    const cwd = freshDir();
    const prefix = freshPrefix();
    const count = 40;
    const big = 'x'.repeat(50_000);
    const children = Object.fromEntries(Array.from({ length: count }, (_, i) => [`n${String(i).padStart(2, '0')}`, { value: big }]));
    writeFileSync(join(cwd, 'big.json'), JSON.stringify({ format: 'restate-tree', version: 1, root: { children } }));
    const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', String(server.port), ...args], { encoding: 'utf8' });
    // Room for about half of the values: the server then refuses writes (out of memory, no eviction).
    const used = Number(/used_memory:(\d+)/.exec(cli('INFO', 'memory'))?.[1]);
    cli('CONFIG', 'SET', 'maxmemory', String(used + (count / 2) * big.length));
    try {
      const run = await runCli(['copy', 'big.json', `${server.url}#${prefix}`], { cwd });
      assert.equal(run.code, EXIT_FAILURE);
      assert.ok(oneLine(run.stderr), run.stderr);
      const written = /is incomplete \((\d+) of 40 values written\); run the copy again with --replace/.exec(run.stderr);
      assert.ok(written, run.stderr);
      assert.ok(Number(written[1]) > 0 && Number(written[1]) < count, run.stderr);
    } finally {
      cli('CONFIG', 'SET', 'maxmemory', '0');
    }
    assert.equal((await runCli(['copy', 'big.json', `${server.url}#${prefix}`, '--replace'], { cwd })).code, EXIT_OK);
    assert.equal((await client(prefix).listChildren('/')).length, count);
  });
});

describe('an unreachable server and passwords', () => {
  it('gets one line naming the server, without the password, and exit 1', async () => {
    const port = await freePort();
    const url = `redis://user:s3cret-pw@127.0.0.1:${port}`;
    for (const argv of [
      ['get', '/a', '--redis', url, '--prefix', 'p'],
      ['set', '/a', '1', '--redis', url, '--prefix', 'p'],
      ['watch', '--redis', url, '--prefix', 'p'],
      ['copy', `${url}/0#p`, 'out.json'],
    ]) {
      const cwd = freshDir();
      const run = await runCli(argv, { cwd });
      assert.equal(run.code, EXIT_FAILURE, argv.join(' '));
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, new RegExp(`cannot reach the Redis server at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(run.stderr + run.stdout, /s3cret/);
    }
  });

  it('never prints the password of a URL it refuses', async () => {
    const run = await runCli(['get', '/a', '--redis', 'redis://u:s3cret-pw@127.0.0.1:1', '--prefix', 'a{b}'], { cwd: freshDir() });
    assert.equal(run.code, 2);
    assert.doesNotMatch(run.stderr, /s3cret/);
    const copy = await runCli(['copy', 'redis://u:s3cret-pw@127.0.0.1:1', 'x.json'], { cwd: freshDir() });
    assert.equal(copy.code, 2);
    assert.match(copy.stderr, /redis:\/\/u:\*\*\*@127\.0\.0\.1:1/);
    assert.doesNotMatch(copy.stderr, /s3cret/);
  });
});
