// The real `restate` program, built by `esbuild.mjs --cli` into out/cli/restate.cjs and run as a child
// process: watch sees writes other processes make (to a folder and to Redis) and exits 0 on SIGINT and
// SIGTERM; copy round-trips the Python fixture through Redis and a JSON file; folder commands never load
// the Redis client.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type RedisServer } from '../../backends/redisServer';
import { PYTHON_FIXTURE, freshDir, pythonStateCopy, snapshot, until } from './helpers';

const root = join(__dirname, '..', '..', '..');
const program = join(root, 'out', 'cli', 'restate.cjs');

before(() => {
  const built = spawnSync(process.execPath, ['esbuild.mjs', '--cli'], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, `esbuild.mjs --cli failed:\n${built.stdout}${built.stderr}`);
});

let server: RedisServer | undefined;
after(async () => {
  await server?.dispose();
});

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the program to its end. */
function restate(args: string[], cwd: string, nodeArgs: string[] = []): Result {
  const result = spawnSync(process.execPath, [...nodeArgs, program, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A running `restate watch`, its output collected. */
class Watch {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, [program, 'watch', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  started(): Promise<unknown> {
    return until(() => (this.stderr.includes('watching') ? true : undefined), `watch to start (stderr: ${this.stderr})`, 20_000);
  }

  lines(): Record<string, unknown>[] {
    return this.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Sends `signal` and waits for the program to end by itself; a program still running after 15 s fails the test. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    const ended = await Promise.race([this.exited, timeout]);
    if (ended === 'timeout') {
      this.child.kill('SIGKILL');
      assert.fail(`restate watch did not exit within 15 s of ${signal}; stderr: ${this.stderr}`);
    }
    return ended;
  }
}

describe('the restate program', () => {
  it('prints its help, and refuses an unknown option with one line and exit 2', () => {
    const help = restate(['--help'], freshDir());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: restate COMMAND/m);
    const bad = restate(['tree', '--colour'], freshDir());
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'restate: unknown option --colour (see restate --help)\n');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`watch on a folder prints what another process writes, and exits 0 on ${signal}`, async () => {
      const cwd = freshDir();
      assert.equal(restate(['set', '/count', '1'], cwd).code, 0);
      const watch = new Watch(['--json'], cwd);
      await watch.started();
      assert.equal(restate(['set', '/count', '2'], cwd).code, 0);
      assert.equal(restate(['del', '/count'], cwd).code, 0);
      await until(() => (watch.lines().length >= 2 ? true : undefined), `the write and the delete (stdout: ${watch.stdout})`, 20_000);
      assert.deepEqual(await watch.stop(signal), { code: 0, signal: null });
      const [written, deleted] = watch.lines();
      assert.deepEqual({ ...written, time: 0 }, { time: 0, path: '/count', kind: 'set', cause: 'remote', old: 1, new: 2 });
      assert.deepEqual({ ...deleted, time: 0 }, { time: 0, path: '/count', kind: 'delete', cause: 'remote', old: 2 });
    });
  }

  it('watch on Redis prints what another process writes, and exits 0 on SIGINT', async () => {
    server ??= await startRedisServer();
    const cwd = freshDir();
    const at = ['--redis', server.url, '--prefix', 'watched'];
    const watch = new Watch(['/jobs', '--json', ...at], cwd);
    await watch.started();
    // "watching" is printed once the change log's reader has started: one write by another process is enough.
    assert.equal(restate(['set', '/jobs/last', '1', ...at], cwd).code, 0);
    await until(() => (watch.lines().length > 0 ? true : undefined), `a write (stdout: ${watch.stdout}, stderr: ${watch.stderr})`, 20_000);
    assert.deepEqual(await watch.stop('SIGINT'), { code: 0, signal: null });
    const [first] = watch.lines();
    assert.deepEqual({ ...first, time: 0 }, { time: 0, path: '/jobs/last', kind: 'set', cause: 'remote', new: 1 });
  });

  it('copy round-trips the Python fixture: folder → Redis → JSON file → folder, byte for byte', async () => {
    server ??= await startRedisServer();
    const cwd = freshDir();
    const source = pythonStateCopy();
    const redis = `${server.url}/0#python-fixture`;
    for (const [from, to] of [[`folder:${source}`, redis], [redis, 'backup.json'], ['backup.json', 'folder:restored']]) {
      const copied = restate(['copy', from, to], cwd);
      assert.equal(copied.code, 0, `${from} → ${to}: ${copied.stderr}`);
    }
    assert.deepEqual(snapshot(join(cwd, 'restored')), snapshot(PYTHON_FIXTURE));
    assert.equal(restate(['tree', '--folder', 'restored'], cwd).stdout, restate(['tree', '--prefix', 'python-fixture', '--redis', server.url], cwd).stdout);
  });

  it('never loads the Redis client for a folder, and says so in one line when Redis is asked for without it', () => {
    const cwd = freshDir();
    const blocker = join(cwd, 'no-redis.cjs');
    writeFileSync(blocker, `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@redis/client' || request.startsWith('@redis/')) throw new Error('Cannot find module ' + JSON.stringify(request));
  return resolve.call(this, request, ...rest);
};
`);
    const without = ['--require', blocker];
    for (const args of [['set', '/a', '{"b": 1}'], ['get', '/a'], ['ls'], ['tree'], ['copy', 'folder:.state', 'out.json'], ['del', '/a']]) {
      const result = restate(args, cwd, without);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    const redis = restate(['get', '/a', '--redis', 'redis://127.0.0.1:1', '--prefix', 'p'], cwd, without);
    assert.equal(redis.code, 1);
    assert.match(redis.stderr, /^restate: cannot load the Redis client \(@redis\/client\): Cannot find module "@redis\/client"\n$/);
  });
});
