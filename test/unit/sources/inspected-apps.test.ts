import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerAsync, InMemoryBackend, inspect, inspectorDiscovery, type Inspector } from '../../../extension/restate';
import { InspectedApps } from '../../../extension/sources/inspectedApps';
import { appLabel, appOwner } from '../../../extension/sources/liveApps';
import { MAX_MESSAGE_BYTES } from '../../../extension/restate/inspect/protocol';
import { helloLine, startFakeApp } from '../../inspect/fakeApp';
import { until } from '../until';


describe('running apps of a state folder', () => {
  let base: string;
  let stateFolder: string;
  let runtime: string;
  let savedRuntime: string | undefined;

  before(() => {
    base = mkdtempSync(join(tmpdir(), 'restate-apps-'));
    stateFolder = join(base, '.state');
    runtime = join(base, 'run', 'restate-inspect');
    savedRuntime = process.env.XDG_RUNTIME_DIR;
    // inspect() puts its socket and announcement under $XDG_RUNTIME_DIR/restate-inspect.
    process.env.XDG_RUNTIME_DIR = join(base, 'run');
    // A real folder: announcements name its real path.
    mkdirSync(stateFolder, { recursive: true });
  });

  after(() => {
    if (savedRuntime === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedRuntime;
    rmSync(base, { recursive: true, force: true });
  });

  function watchApps(log: string[] = []): InspectedApps {
    const apps = new InspectedApps({ log: (line) => log.push(line) });
    apps.setRoots([{ id: 'root', where: stateFolder, key: stateFolder, discover: () => inspectorDiscovery(stateFolder, runtime) }]);
    return apps;
  }

  it('names an app by what it said, with its pid, and by its host only when that is another machine', () => {
    assert.equal(appLabel('writer', 42, undefined), 'writer (pid 42)');
    assert.equal(appLabel('writer', 42, 'build-7'), 'writer (build-7, pid 42)');
    assert.equal(appOwner('writer', 42, undefined), 'writer, pid 42');
  });

  it('lists an app once it said hello, gets its graph and runs while followed, and forgets it when it stops', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    await controller.derive('/doubled', '/counter', (counter) => (typeof counter === 'number' ? counter * 2 : 0));
    const inspector: Inspector = await inspect(controller, { name: 'unit-app', stateFolder, graphIntervalMs: 50 });
    const changes: string[] = [];
    const apps = watchApps();
    apps.onDidChangeApps((rootId) => changes.push(rootId));
    try {
      const app = await until(() => apps.appsOf('root')[0], 'the app was not listed');
      assert.equal(app.name, 'unit-app');
      assert.equal(app.pid, process.pid);
      assert.equal(app.hostname, undefined);
      assert.equal(app.label, `unit-app (pid ${process.pid})`);
      assert.equal(apps.appFor(app.id), app);
      assert.deepEqual(changes, ['root']);
      assert.equal(app.graph, undefined, 'nothing is asked of an app that nobody follows');

      const unfollow = app.follow();
      await until(() => app.graph?.nodes.some((node) => node.id === 'derive:/doubled'), 'the graph did not come');
      await controller.setState('/counter', 21);
      const run = await until(() => app.trace.runsOf('derive:/doubled').find((r) => r.triggerPath === '/counter'), 'the run was not logged');
      assert.equal(run.cause, 'api');
      assert.equal(run.error, null);
      unfollow();

      await inspector.dispose();
      await until(() => apps.appsOf('root').length === 0, 'the app was not forgotten');
      assert.deepEqual(changes, ['root', 'root']);
    } finally {
      apps.dispose();
      await inspector.dispose();
    }
  });

  it('lists a restarted app again', async () => {
    const apps = watchApps();
    try {
      const first = await inspect(new ControllerAsync(new InMemoryBackend()), { name: 'restarting', stateFolder });
      const before = await until(() => apps.appsOf('root')[0], 'the first run was not listed');
      await first.dispose();
      await until(() => apps.appsOf('root').length === 0, 'the first run was not forgotten');
      const second = await inspect(new ControllerAsync(new InMemoryBackend()), { name: 'restarting', stateFolder });
      const again = await until(() => apps.appsOf('root')[0], 'the second run was not listed');
      assert.notEqual(again.id, before.id);
      await second.dispose();
    } finally {
      apps.dispose();
    }
  });

  it('tells of a peer that sends garbage, a huge message, or nothing, in one line each, and lists none of them', async () => {
    const log: string[] = [];
    const garbage = await startFakeApp(stateFolder, runtime, 'garbage', (socket) => socket.write('\u0000\u0001 not json at all\n{"v":1,"type":"hello"}\n'));
    const huge = await startFakeApp(stateFolder, runtime, 'huge', (socket) => {
      socket.write(helloLine('huge'));
      socket.write(`{"v":1,"type":"graph","graph":"${'x'.repeat(MAX_MESSAGE_BYTES + 10)}"}\n`);
    });
    // Never reads, never writes: the explorer's subscribe goes unread and nothing waits on it.
    const silent = await startFakeApp(stateFolder, runtime, 'silent', (socket) => socket.pause());
    const real = await inspect(new ControllerAsync(new InMemoryBackend()), { name: 'real', stateFolder });
    const apps = watchApps(log);
    try {
      await until(() => log.some((line) => line.includes('garbage') && line.includes('not an inspector message')), `no line about the garbage: ${log.join(' | ')}`);
      await until(() => log.some((line) => line.includes('huge') && line.includes(`over ${MAX_MESSAGE_BYTES} bytes`)), `no line about the huge message: ${log.join(' | ')}`);
      const listed = await until(() => apps.appsOf('root').find((app) => app.name === 'real'), 'the real app was not listed');
      assert.deepEqual(apps.appsOf('root').map((app) => app.name), ['real']);
      assert.equal(log.filter((line) => line.includes('garbage')).length, 1, log.join('\n'));
      assert.equal(log.filter((line) => line.includes('huge')).length, 1, log.join('\n'));
      assert.ok(log.every((line) => !line.includes('\n')));
      // The huge peer is not connected to again while its announcement stays.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal(huge.connections, 1);
      assert.equal(silent.connections, 1);
      const unfollow = listed.follow();
      await until(() => listed.graph, 'the real app sent no graph');
      unfollow();
    } finally {
      apps.dispose();
      await Promise.all([garbage.dispose(), huge.dispose(), silent.dispose(), real.dispose()]);
    }
  });
});
