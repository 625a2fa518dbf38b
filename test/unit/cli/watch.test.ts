// `restate watch` in-process: it prints the changes others make, as lines or JSON lines, and returns 0
// once its stop signal is aborted, with its watcher released.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT_OK } from '../../../extension/restate/cli/main';
import { FileSystemAsyncBackend } from '../../../extension/restate/index';
import { freshDir, runCli, until, type CliRun } from './helpers';

interface Watching {
  readonly lines: () => string[];
  readonly stop: () => Promise<CliRun>;
}

async function startWatch(cwd: string, argv: string[]): Promise<Watching> {
  const stopping = new AbortController();
  let out = '';
  let err = '';
  const running = runCli(['watch', ...argv], {
    cwd,
    stop: stopping.signal,
    onStdout: (text) => {
      out += text;
    },
    onStderr: (text) => {
      err += text;
    },
  });
  await until(() => (err.includes('watching') ? true : undefined), `watch to start (stderr: ${err})`);
  return {
    lines: () => out.split('\n').filter((line) => line !== ''),
    stop: async () => {
      stopping.abort();
      return running;
    },
  };
}

describe('watch over a folder', () => {
  it('S136 prints a line for each change another writer makes: time, path, cause, old → new', async () => {
    const cwd = freshDir();
    const other = new FileSystemAsyncBackend(join(cwd, '.state'));
    await other.write('/a', { x: 1 });
    await other.write('/a/b', 1);
    const watching = await startWatch(cwd, []);
    await other.write('/a/b', 2);
    await until(() => (watching.lines().length >= 1 ? true : undefined), 'the write');
    await other.delete('/a');
    await until(() => (watching.lines().length >= 2 ? true : undefined), 'the delete');
    const run = await watching.stop();
    assert.equal(run.code, EXIT_OK);
    const [write, deleted] = watching.lines();
    assert.match(write, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \/a\/b remote 1 → 2$/);
    assert.match(deleted, / \/a remote \{"\/": \{"x": 1\}, "b": 2\} → \(missing\)$/);
  });

  it('S136 --json prints one object a line, leaving out a missing value; only changes at or below PATH', async () => {
    const cwd = freshDir();
    const other = new FileSystemAsyncBackend(join(cwd, '.state'));
    await other.write('/elsewhere', 0);
    const watching = await startWatch(cwd, ['/cfg', '--json']);
    await other.write('/elsewhere', 1);
    await other.write('/cfg/theme', 'dark');
    await until(() => (watching.lines().length >= 1 ? true : undefined), 'the write');
    assert.equal((await watching.stop()).code, EXIT_OK);
    const entries = watching.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(entries.length, 1, watching.lines().join('\n'));
    const [entry] = entries;
    assert.equal(typeof entry.time, 'string');
    assert.deepEqual({ ...entry, time: undefined }, { time: undefined, path: '/cfg/theme', kind: 'set', cause: 'remote', new: 'dark' });
  });

  it('returns 0 at once when stopped before anything changed', async () => {
    const cwd = freshDir();
    await new FileSystemAsyncBackend(join(cwd, '.state')).write('/a', 1);
    const watching = await startWatch(cwd, []);
    assert.deepEqual(await watching.stop(), { code: 0, stdout: '', stderr: `restate: watching / in the state folder ${join(cwd, '.state')}; Ctrl-C stops\n` });
  });
});
