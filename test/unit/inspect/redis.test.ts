// The inspector over Redis, against a real redis-server: an app found under its tree's prefix, serving its
// graph and trace through pub/sub, gone when it stops or when it crashed and its announcement expired.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before, describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { ControllerAsync, type InspectAnnouncement, type Inspector, type InspectorDiscovery } from '../../../extension/restate/index';
import { RedisBackend, inspectOverRedis, redisInspectorDiscovery } from '../../../extension/restate/redis';
import { startRedisServer, type RedisServer } from '../../backends/redisServer';
import { Recorded, until } from './helpers';

let server: RedisServer;
let prefixes = 0;

before(async () => {
  server = await startRedisServer();
});

after(async () => {
  await server.dispose();
});

function traceActive(controller: ControllerAsync): boolean {
  return (controller as unknown as { engine: { trace: { active: boolean } } }).engine.trace.active;
}

describe('inspector over Redis', () => {
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function app(name: string, ttlMs = 600): Promise<{ controller: ControllerAsync; inspector: Inspector; prefix: string; discovery: InspectorDiscovery }> {
    const prefix = `inspect-${process.pid}-${++prefixes}`;
    const backend = new RedisBackend({ url: server.url, prefix });
    const controller = new ControllerAsync(backend);
    await controller.derive('/double', '/n', (value) => {
      if (value === 'bad') throw new Error('not a number');
      return typeof value === 'number' ? value * 2 : null;
    });
    const inspector = await inspectOverRedis(controller, { name, ttlMs });
    const discovery = redisInspectorDiscovery({ url: server.url, prefix });
    cleanups.push(async () => {
      discovery.dispose();
      await inspector.dispose();
      await backend.close();
    });
    return { controller, inspector, prefix, discovery };
  }

  it('S140 is found under its prefix and serves hello, graph and the trace of runs', async () => {
    const { controller, inspector, discovery } = await app('redis app');
    const [found, ...others] = await discovery.list();
    assert.deepEqual(others, []);
    assert.deepEqual(found, inspector.announcement);
    assert.equal(found.transport, 'redis');
    assert.equal(found.stateFolder, null);
    const elsewhere = redisInspectorDiscovery({ url: server.url, prefix: 'some-other-tree' });
    assert.deepEqual(await elsewhere.list(), []);
    elsewhere.dispose();

    const connection = discovery.connect(found);
    const recorded = new Recorded(connection);
    await until(() => recorded.hello, 'the hello');
    assert.equal(recorded.hello!.name, 'redis app');
    assert.equal(recorded.hello!.async, true);
    connection.subscribe();
    const graph = await until(() => recorded.graphs[0], 'the graph');
    assert.ok(graph.nodes.some((node) => node.kind === 'derivation' && node.dest === '/double'));
    assert.equal(traceActive(controller), true);

    await controller.setState('/n', 4);
    await assert.rejects(controller.setState('/n', 'bad'), /not a number/);
    const ok = await until(() => recorded.records.find((record) => record.kind === 'derive-run' && record.error === null && record.cause === 'api'), 'the run');
    assert.ok(ok.kind === 'derive-run' && typeof ok.durationMs === 'number');
    const failed = await until(() => recorded.records.find((record) => record.kind === 'derive-run' && record.error !== null), 'the failed run');
    assert.ok(failed.kind === 'derive-run' && failed.error!.includes('not a number'));
    const written = await until(() => recorded.records.find((record) => record.kind === 'set' && record.path === '/double'), 'the derived write');
    assert.ok(written.kind === 'set');
    assert.deepEqual(written.value, { kind: 'json', json: 8 });

    connection.close();
    await until(() => !traceActive(controller), 'the trace listener to be detached once nobody listens', 5_000);
  });

  it('S140 ignores garbage on its channel and says bye on dispose', async () => {
    const { controller, inspector, prefix, discovery } = await app('target');
    const connection = discovery.connect(inspector.announcement);
    const recorded = new Recorded(connection);
    await until(() => recorded.hello, 'the hello');
    const raw = createClient({ url: server.url });
    raw.on('error', () => undefined);
    await raw.connect();
    cleanups.push(() => raw.destroy());
    const inbound = `restate:{${prefix}}:inspect:in:${inspector.announcement.address}`;
    for (const garbage of ['\u0000\u00ff', '{"v":1,"type":"setState","path":"/n","value":1}', '[]', 'x'.repeat(2 * 1024 * 1024), '{"v":7,"type":"subscribe"}']) {
      await raw.publish(inbound, garbage);
    }
    assert.equal(traceActive(controller), false, 'nothing but subscribe starts the trace');
    assert.equal(await controller.getState('/n'), undefined);
    connection.subscribe();
    await until(() => recorded.graphs[0], 'the graph after the garbage');
    // A flood of subscribes is mostly ignored: each would have the graph made and published again.
    const before = recorded.graphs.length;
    await Promise.all(Array.from({ length: 500 }, () => raw.publish(inbound, '{"v":1,"type":"subscribe"}')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answered = recorded.graphs.length - before;
    assert.ok(answered > 0 && answered <= 100, `${answered} graphs for 500 subscribes`);
    await inspector.dispose();
    await until(() => recorded.closed, 'the bye');
    assert.equal(recorded.closed, 'the app stopped inspecting');
    assert.deepEqual(await discovery.list(), []);
  });

  it('S140 forgets an app that crashed once its announcement expires', async () => {
    const prefix = `inspect-${process.pid}-${++prefixes}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'unit', 'inspect', 'redisApp.mts'), server.url, prefix, 'crashing', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    const announcement = await until(() => {
      if (child.exitCode !== null) throw new Error(`the app exited:\n${stderr}`);
      return lines.length > 0 ? (JSON.parse(lines[0]) as { ready: InspectAnnouncement }).ready : undefined;
    }, 'the app to announce itself', 20_000);
    const discovery = redisInspectorDiscovery({ url: server.url, prefix });
    cleanups.push(() => discovery.dispose());
    const seen: InspectAnnouncement[][] = [];
    discovery.watch((announcements) => seen.push(announcements));
    await until(() => seen.at(-1)?.length === 1 && seen.at(-1)![0].pid === child.pid, 'the app in the watch');
    const connection = discovery.connect(announcement);
    const recorded = new Recorded(connection);
    await until(() => recorded.hello, 'the hello');
    child.kill('SIGKILL');
    await exited;
    await until(() => seen.at(-1)?.length === 0, 'the crashed app to leave the watch', 5_000);
    await until(() => recorded.closed, 'the connection to the crashed app to close', 5_000);
    assert.match(recorded.closed!, /expired|no longer/);
  });
});
