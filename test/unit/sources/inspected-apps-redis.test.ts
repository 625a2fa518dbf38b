// The running apps of a Redis root, against a real redis-server: listed with their host and pid, followed
// for their graph and runs, forgotten when they stop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllerAsync } from '../../../extension/restate';
import { RedisBackend, inspectOverRedis, redisInspectorDiscovery } from '../../../extension/restate/redis';
import { InspectedApps } from '../../../extension/sources/inspectedApps';
import { startRedisServer, type RedisServer } from '../../backends/redisServer';
import { until } from '../until';

let server: RedisServer;

before(async () => {
  server = await startRedisServer();
});

after(async () => {
  await server.dispose();
});


describe('running apps of a Redis root', () => {
  it('lists an app of the tree, follows its graph and runs, and forgets it when it stops', async () => {
    const prefix = `apps-${process.pid}`;
    const backend = new RedisBackend({ url: server.url, prefix });
    const controller = new ControllerAsync(backend);
    await controller.derive('/double', '/n', (value) => (typeof value === 'number' ? value * 2 : null));
    const inspector = await inspectOverRedis(controller, { name: 'redis-app', graphIntervalMs: 50 });
    const log: string[] = [];
    const apps = new InspectedApps({ log: (line) => log.push(line) });
    apps.setRoots([{ id: 'redis-root', where: `${prefix} on ${server.url}`, key: prefix, discover: async () => redisInspectorDiscovery({ url: server.url, prefix }) }]);
    try {
      const app = await until(() => apps.appsOf('redis-root')[0], `the app was not listed: ${log.join(' | ')}`);
      assert.equal(app.name, 'redis-app');
      assert.equal(app.pid, process.pid);
      const unfollow = app.follow();
      await until(() => app.graph?.nodes.some((node) => node.id === 'derive:/double'), 'the graph did not come');
      // Subscribing over pub/sub takes a moment: a write made before it is not sent.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await controller.setState('/n', 4);
      await until(() => app.trace.runsOf('derive:/double').find((run) => run.triggerPath === '/n'), 'the run was not logged');
      unfollow();
      await inspector.dispose();
      await until(() => apps.appsOf('redis-root').length === 0, 'the app was not forgotten');
      assert.deepEqual(log, []);
    } finally {
      apps.dispose();
      await inspector.dispose();
      await backend.close();
    }
  });
});
