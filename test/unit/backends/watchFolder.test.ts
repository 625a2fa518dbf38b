// The file backends report what other processes write to a shared folder (S126), and controllers over them
// notify it with cause 'remote' (S127): two real Node processes share a temporary folder.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { FileSystemAsyncBackend, FileSystemSyncBackend, UnreadableValue, nodeFileAdapter, type BackendChange } from '../../../extension/restate/index';
import { until } from '../until';

const folders: string[] = [];

async function stateFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'restate-watch-'));
  folders.push(folder);
  return join(folder, '.state');
}

after(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

interface Message {
  readonly ready?: boolean;
  readonly done?: number;
  readonly event?: { at: string; from: string; newValue: unknown };
  readonly trace?: { kind: string; path: string; cause: string };
}

/** A worker process with a controller over the folder; `messages` collects everything it wrote. */
class Worker {
  readonly messages: Message[] = [];
  readonly #child: ChildProcess;
  #commands = 0;
  #stderr = '';

  constructor(kind: string, folder: string) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', join('test', 'backends', 'watchWorker.mts'), kind, folder], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => this.messages.push(JSON.parse(line) as Message));
  }

  ready(): Promise<unknown> {
    return this.until(() => this.messages.find((message) => message.ready === true), 'the worker to start watching', 15_000);
  }

  async send(command: object): Promise<void> {
    const number = ++this.#commands;
    this.#child.stdin!.write(JSON.stringify(command) + '\n');
    await this.until(() => this.messages.find((message) => message.done === number), `command ${JSON.stringify(command)}`);
  }

  get events(): { at: string; from: string; newValue: unknown }[] {
    return this.messages.flatMap((message) => (message.event === undefined ? [] : [message.event]));
  }

  get remoteTraces(): { kind: string; path: string }[] {
    return this.messages.flatMap((message) => (message.trace?.cause === 'remote' ? [{ kind: message.trace.kind, path: message.trace.path }] : []));
  }

  async until<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline || this.#child.exitCode !== null) throw new Error(`timed out waiting for ${what}; messages: ${JSON.stringify(this.messages)}; stderr:\n${this.#stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.#child.once('exit', (code) => resolve(code)));
    this.#child.stdin!.end();
    return exited;
  }
}

for (const kind of ['fs', 'fs-sync']) {
  describe(`${kind === 'fs' ? 'FileSystemAsyncBackend' : 'FileSystemSyncBackend'}.watch between two processes`, () => {
    it("reports one process's writes and subtree deletes to the other with cause remote, and never its own", async () => {
      const folder = await stateFolder();
      const a = new Worker(kind, folder);
      const b = new Worker(kind, folder);
      try {
        await Promise.all([a.ready(), b.ready()]);
        await b.send({ op: 'subscribe', path: '/users/1' });
        await b.send({ op: 'subscribe', path: '/users' });
        await a.send({ op: 'subscribe', path: '/users/1' });

        await a.send({ op: 'set', path: '/users/1', value: { name: 'Alice' } });
        await b.until(() => (b.events.length >= 2 ? true : undefined), 'the write and its bubbling in B');
        assert.deepEqual(b.events, [
          { at: '/users/1', from: '/users/1', newValue: { name: 'Alice' } },
          { at: '/users', from: '/users/1', newValue: { name: 'Alice' } },
        ]);
        assert.deepEqual(b.remoteTraces, [{ kind: 'set', path: '/users/1' }]);

        await b.send({ op: 'set', path: '/users/2', value: 'Bob' });
        await a.until(() => (a.remoteTraces.length >= 1 ? true : undefined), "B's write in A");
        assert.deepEqual(a.remoteTraces, [{ kind: 'set', path: '/users/2' }]);

        await a.send({ op: 'delete', path: '/users' });
        const deleted = (): boolean => b.events.slice(3).some((event) => event.at === '/users' && event.newValue === null);
        await b.until(() => (deleted() ? true : undefined), 'the delete in B');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(b.events[2], { at: '/users', from: '/users/2', newValue: 'Bob' });
        const afterDelete = b.events.slice(3);
        assert.ok(afterDelete.every((event) => event.newValue === null), JSON.stringify(afterDelete));
        assert.ok(afterDelete.some((event) => event.at === '/users/1'), 'the subscriber below the deleted node hears of it');
        // Reported at the top of the subtree, or node by node when the files' events came while the delete was under way.
        const deletes = b.remoteTraces.slice(1);
        assert.ok(deletes.length > 0 && deletes.every((trace) => trace.kind === 'delete' && ['/users', '/users/1', '/users/2'].includes(trace.path)), JSON.stringify(deletes));

        // Enough time for any echo of its own write and delete to have come back.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.deepEqual(a.remoteTraces, [{ kind: 'set', path: '/users/2' }], 'A hears nothing of its own changes');
        assert.ok(b.remoteTraces.every((trace) => trace.kind === 'delete' || trace.path === '/users/1'), "B hears nothing of its own write");
      } finally {
        assert.equal(await a.stop(), 0);
        assert.equal(await b.stop(), 0);
      }
    });
  });
}

describe('the file backends\' watch in one process', () => {
  async function pair(kind: 'sync' | 'async'): Promise<{ folder: string; writer: FileSystemSyncBackend | FileSystemAsyncBackend; watched: FileSystemSyncBackend | FileSystemAsyncBackend; changes: BackendChange[] }> {
    const folder = await stateFolder();
    const make = (): FileSystemSyncBackend | FileSystemAsyncBackend => (kind === 'sync' ? new FileSystemSyncBackend(folder) : new FileSystemAsyncBackend(folder));
    const writer = make();
    const watched = make();
    await writer.write('/seed', 0);
    const changes: BackendChange[] = [];
    watched.watch((change) => changes.push(change));
    await watched.watching();
    return { folder, writer, watched, changes };
  }

  for (const kind of ['sync', 'async'] as const) {
    it(`${kind}: a file that cannot be parsed is reported as an UnreadableValue, and a later valid write clears it`, async () => {
      const { folder, watched, changes } = await pair(kind);
      await writeFile(join(folder, 'broken.json'), '{"cut short');
      await until(() => changes.length >= 1, 'the broken file');
      const [broken] = changes;
      assert.equal(broken.path, '/broken');
      assert.ok(broken.kind === 'write' && broken.value instanceof UnreadableValue, 'the value is an UnreadableValue');
      assert.equal((broken.value as UnreadableValue).file, join(folder, 'broken.json'));
      await writeFile(join(folder, 'broken.json'), '[1, 2]');
      await until(() => changes.length >= 2, 'the repaired file');
      const repaired = changes[1];
      assert.ok(repaired.kind === 'write' && repaired.prevValue instanceof UnreadableValue, 'the old value is the UnreadableValue');
      assert.deepEqual(repaired.value, [1, 2]);
      await watched.close();
    });

    it(`${kind}: temporary files and other files are ignored; the root's value file is watched`, async () => {
      const { folder, writer, watched, changes } = await pair(kind);
      await writeFile(join(folder, '.seed.json.abc-1-xyz.tmp'), '1');
      await writeFile(join(folder, 'notes.txt'), 'not a value file');
      await writer.write('/', { own: 1 });
      await until(() => changes.length >= 1, 'the root write');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(changes.map((change) => `${change.kind} ${change.path}`), ['write /']);
      await watched.close();
    });

    it(`${kind}: close() stops the watcher; the backend still reads and writes`, async () => {
      const { writer, watched, changes } = await pair(kind);
      await watched.close();
      await writer.write('/after', 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(changes, []);
      assert.equal(await watched.read('/after'), 1);
    });
  }

  it('the async backend over another adapter refuses to watch, naming the folder', () => {
    const backend = new FileSystemAsyncBackend('/virtual/.state', { adapter: { ...nodeFileAdapter }, removeStaleTemporaryFiles: false });
    assert.throws(() => backend.watch(() => undefined), /cannot watch \/virtual\/\.state/);
  });
});
