// The `restate` program as the packed package installs it: `npm pack`, installed from the tarball into a new
// project, and run there as node_modules/.bin/restate. Without the optional Redis client, folders work and
// Redis says in one line what is missing; once the project adds the client, copy goes through Redis too.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type RedisServer } from '../backends/redisServer';
import { repositoryRoot as root } from './readmeExample';

const library = join(root, 'extension', 'restate');
const fixture = join(root, 'test', 'fixtures', 'python-state', 'state');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** The environment of a child npm: without the variables the npm running this test sets for its own script. */
function childEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_(package|lifecycle|config_(?!cache$|registry$|userconfig$))/.test(name)));
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000, env: childEnvironment() });
  assert.equal(result.status, 0, `\`${[command, ...args].join(' ')}\` in ${cwd} failed (${result.error?.message ?? result.signal ?? result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let work: string;
let project: string;
let program: string;
let server: RedisServer | undefined;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'restate-cli-package-'));
  run(process.execPath, ['esbuild.mjs', '--package'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], library)) as { filename: string }[];
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-restate-cli', version: '1.0.0', private: true }, null, 2));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed[0].filename)], project);
  program = join(project, 'node_modules', '.bin', 'restate');
});

after(async () => {
  await server?.dispose();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

function restate(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(program, args, { cwd: project, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the restate program of the installed package', () => {
  it('runs from node_modules/.bin and lists its commands', () => {
    const help = restate(['--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['get', 'set', 'del', 'ls', 'tree', 'watch', 'copy']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
  });

  it('writes, reads and lists a state folder without any Redis client installed', () => {
    assert.equal(restate(['set', '/cfg/theme', '"dark"']).code, 0);
    assert.deepEqual(restate(['get', '/cfg/theme']), { code: 0, stdout: '"dark"\n', stderr: '' });
    assert.equal(restate(['tree']).stdout, '/\n  cfg\n    theme = "dark"\n');
    const redis = restate(['ls', '--redis', 'redis://127.0.0.1:1', '--prefix', 'p']);
    assert.equal(redis.code, 1);
    assert.match(redis.stderr, /^restate: cannot load the Redis client \(@redis\/client\): [^\n]*\n$/);
  });

  it('watch prints a change made by another process and exits 0 on SIGINT', async () => {
    const watch = spawn(program, ['watch', '/cfg', '--json'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    watch.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    watch.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => watch.once('exit', (code, signal) => resolve([code, signal])));
    const until = async (probe: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (!probe()) {
        if (Date.now() > deadline) {
          watch.kill('SIGKILL');
          assert.fail(`timed out waiting for ${what}; stdout: ${stdout}; stderr: ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await until(() => stderr.includes('watching'), 'watch to start');
    assert.equal(restate(['set', '/cfg/theme', '"light"']).code, 0);
    await until(() => stdout.includes('\n'), 'the change');
    watch.kill('SIGINT');
    assert.deepEqual(await exited, [0, null]);
    const change = JSON.parse(stdout.split('\n')[0]) as Record<string, unknown>;
    assert.deepEqual({ ...change, time: 0 }, { time: 0, path: '/cfg/theme', kind: 'set', cause: 'remote', old: 'dark', new: 'light' });
  });

  it('copies the Python fixture through Redis and a JSON file back to a folder, byte for byte, once the project adds the Redis client', async () => {
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `@redis/client@${rootManifest.dependencies['@redis/client']}`], project);
    server ??= await startRedisServer();
    const source = join(work, 'python-state');
    cpSync(fixture, source, { recursive: true });
    const redis = `${server.url}/0#from-package`;
    for (const [from, to] of [[`folder:${source}`, redis], [redis, 'backup.json'], ['backup.json', 'folder:restored']]) {
      const copied = restate(['copy', from, to]);
      assert.equal(copied.code, 0, `${from} → ${to}: ${copied.stderr}`);
    }
    const files = (dir: string): string[] => run('find', ['.', '-type', 'f'], dir).split('\n').filter((line) => line !== '').sort();
    assert.deepEqual(files(join(project, 'restored')), files(fixture));
    for (const file of files(fixture)) assert.equal(readFileSync(join(project, 'restored', file), 'utf8'), readFileSync(join(fixture, file), 'utf8'), file);
  });
});
