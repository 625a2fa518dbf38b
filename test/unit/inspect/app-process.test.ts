// A real second process inspects its controller over a state folder: it is found, serves its graph and the
// trace of its derivation's runs, and disappears from discovery when it exits or is killed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { inspectorDiscovery, type InspectAnnouncement, type InspectorConnection } from '../../../extension/restate/index';
import { Recorded, inspectFixture, until } from './helpers';

interface Message {
  ready?: InspectAnnouncement;
  done?: number;
  error?: string;
}

class App {
  readonly messages: Message[] = [];
  readonly child: ChildProcess;
  #commands = 0;
  #stderr = '';

  constructor(kind: 'sync' | 'async', folder: string, name: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join('test', 'unit', 'inspect', 'inspectedApp.mts'), kind, folder, name], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.messages.push(JSON.parse(line) as Message));
  }

  ready(): Promise<InspectAnnouncement> {
    return until(() => this.messages.find((message) => message.ready !== undefined)?.ready ?? this.#failed(), 'the app to start inspecting', 20_000);
  }

  async send(command: object): Promise<Message> {
    const number = ++this.#commands;
    this.child.stdin!.write(JSON.stringify(command) + '\n');
    return until(() => this.messages.find((message) => message.done === number) ?? this.#failed(), `command ${JSON.stringify(command)}`);
  }

  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  #failed(): undefined {
    if (this.child.exitCode !== null) throw new Error(`the app exited with ${this.child.exitCode}:\n${this.#stderr}`);
    return undefined;
  }
}

for (const kind of ['sync', 'async'] as const) {
  describe(`inspecting an app in another process (${kind} controller)`, () => {
    let fixture: ReturnType<typeof inspectFixture>;
    const apps: App[] = [];
    const connections: InspectorConnection[] = [];

    beforeEach(() => {
      fixture = inspectFixture();
    });

    afterEach(async () => {
      for (const connection of connections.splice(0)) connection.close();
      for (const app of apps.splice(0)) {
        app.child.kill('SIGKILL');
        await app.exited();
      }
      fixture.dispose();
    });

    it('S137 finds the app, gets its hello and graph, and the trace of a run with its cause, duration and error', async () => {
      const app = new App(kind, fixture.stateFolder, 'worker app');
      apps.push(app);
      const announced = await app.ready();
      const discovery = inspectorDiscovery(fixture.stateFolder);
      const [found, ...others] = await discovery.list();
      assert.deepEqual(others, []);
      assert.deepEqual(found, announced);
      assert.equal(found.pid, app.child.pid);
      assert.equal(found.name, 'worker app');
      assert.equal(found.stateFolder, realpathSync(fixture.stateFolder));
      assert.ok(found.address.startsWith(join(fixture.directory, '')), `the socket ${found.address} is in the runtime directory`);

      const connection = discovery.connect(found);
      connections.push(connection);
      const recorded = new Recorded(connection);
      await until(() => recorded.hello, 'the hello');
      assert.equal(recorded.hello!.pid, app.child.pid);
      assert.equal(recorded.hello!.async, kind === 'async');
      connection.subscribe();
      const graph = await until(() => recorded.graphs[0], 'the graph');
      const derivation = graph.nodes.find((node) => node.kind === 'derivation');
      assert.ok(derivation !== undefined && derivation.kind === 'derivation');
      assert.equal(derivation.dest, '/out');
      assert.deepEqual(derivation.sources, ['/in']);

      assert.equal((await app.send({ op: 'set', path: '/in', value: 21 })).error, undefined);
      const run = await until(() => recorded.records.find((record) => record.kind === 'derive-run' && record.triggerPath === '/in'), 'the run');
      assert.ok(run.kind === 'derive-run');
      assert.equal(run.error, null);
      assert.equal(run.cause, 'api');
      assert.equal(typeof run.durationMs, 'number');
      const write = await until(() => recorded.records.find((record) => record.kind === 'set' && record.path === '/out'), 'the derived write');
      assert.ok(write.kind === 'set');
      assert.equal(write.cause, derivation.id);
      assert.deepEqual(write.value, { kind: 'json', json: 42 });
      assert.deepEqual(write.prevValue, { kind: 'json', json: null });

      assert.match((await app.send({ op: 'set', path: '/in', value: 'bad' })).error ?? '', /cannot double bad/);
      const failed = await until(() => recorded.records.find((record) => record.kind === 'derive-run' && record.error !== null), 'the failed run');
      assert.ok(failed.kind === 'derive-run' && failed.error!.includes('cannot double bad'));
      const updated = await until(() => recorded.graphs.find((snapshot) => snapshot.nodes.some((node) => node.kind === 'derivation' && node.stats.lastError !== null)), 'the graph with the failed run');
      assert.ok(updated.nodes.some((node) => node.kind === 'derivation' && node.stats.lastError?.message === 'cannot double bad'));

      // Nothing of the inspector was written inside the state folder: only the state's own files are there.
      assert.deepEqual(readdirSync(fixture.stateFolder).filter((name) => !['in.json', 'out.json'].includes(name)), []);
      discovery.dispose();
    });

    it('S137 is gone from discovery when it exits, and ignored (then cleaned) when it is killed', async () => {
      const first = new App(kind, fixture.stateFolder, 'exits');
      const second = new App(kind, fixture.stateFolder, 'killed');
      apps.push(first, second);
      const [exits, killed] = [await first.ready(), await second.ready()];
      const discovery = inspectorDiscovery(fixture.stateFolder);
      const seen: InspectAnnouncement[][] = [];
      const stop = discovery.watch((announcements) => seen.push(announcements));
      await until(() => seen.at(-1)?.length === 2, 'both apps announced');

      const connection = discovery.connect(killed);
      connections.push(connection);
      const recorded = new Recorded(connection);
      await until(() => recorded.hello, 'the hello');

      first.child.stdin!.write(JSON.stringify({ op: 'exit' }) + '\n');
      await first.exited();
      assert.ok(!existsSync(exits.address), 'the socket of an app that exited is removed');
      await until(() => seen.at(-1)?.length === 1 && seen.at(-1)![0].pid === killed.pid, 'the exited app to leave');

      second.child.kill('SIGKILL');
      await second.exited();
      // The killed app could not remove its files: discovery ignores them because its process is gone.
      await until(() => recorded.closed, 'the connection to close');
      await until(() => seen.at(-1)?.length === 0, 'the killed app to leave', 10_000);
      assert.deepEqual(await discovery.list(), []);
      assert.ok(!existsSync(killed.address), 'the stale socket is cleaned');
      assert.deepEqual(readdirSync(fixture.directory), []);
      stop();
      discovery.dispose();
    });
  });
}
