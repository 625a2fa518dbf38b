// RedisBackend over a real three-node Redis Cluster started for these tests: the shared conformance suite,
// two trees whose hash tags land on different nodes, and two controllers following each other's writes.
import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import { after, before, describe, it } from 'node:test';
import { ControllerAsync, RestateUsageError } from '../../../extension/restate/index';
import { RedisBackend } from '../../../extension/restate/redis';
import { runConformance } from '../../backends/conformance';
import { hashSlot, startRedisCluster, type RedisCluster, type RedisServer } from '../../backends/redisServer';

let cluster: RedisCluster;
let trees = 0;
const opened: RedisBackend[] = [];

function backend(prefix = `c${++trees}`): RedisBackend {
  const made = new RedisBackend({ cluster: { rootNodes: cluster.rootNodes }, prefix, onWarning: () => undefined });
  opened.push(made);
  return made;
}

before(async () => {
  cluster = await startRedisCluster(3);
});

after(async () => {
  await Promise.all(opened.map((b) => b.close()));
  await cluster.dispose();
});

runConformance('RedisBackend over a Redis Cluster', async () => {
  const prefix = `conformance${++trees}`;
  const b = backend(prefix);
  return {
    backend: b,
    reopen: async () => backend(prefix),
    cleanup: async () => {
      await b.delete('/');
    },
  };
}, { persistent: true, rejectsUnserializable: true });

/** The keys a node holds, asked of that node alone. */
async function keysOn(node: RedisServer): Promise<string[]> {
  const client = createClient({ url: node.url });
  await client.connect();
  try {
    return ((await client.sendCommand(['KEYS', 'restate:*'])) as unknown[]).map(String).sort();
  } finally {
    client.destroy();
  }
}

/** Two prefixes whose trees land on different nodes of the cluster. */
async function prefixesOnTwoNodes(): Promise<{ prefixes: [string, string]; nodes: [RedisServer, RedisServer] }> {
  const first = 'orders';
  const firstNode = await cluster.nodeForSlot(hashSlot(`restate:{${first}}:values`));
  for (let i = 0; ; i++) {
    const candidate = `users${i}`;
    const node = await cluster.nodeForSlot(hashSlot(`restate:{${candidate}}:values`));
    if (node !== firstNode) return { prefixes: [first, candidate], nodes: [firstNode, node] };
  }
}

describe('RedisBackend over a Redis Cluster', () => {
  it('keeps each tree on the node of its hash tag, read and written through the cluster client', async () => {
    const { prefixes, nodes } = await prefixesOnTwoNodes();
    const [orders, users] = prefixes.map((prefix) => backend(prefix));
    await orders.write('/o1', { total: 12 });
    await orders.write('/o1/lines/1', 'pen');
    await users.write('/u1', { name: 'Alice' });
    assert.deepEqual(await orders.read('/'), { o1: { '/': { total: 12 }, lines: { 1: 'pen' } } });
    assert.deepEqual(await users.read('/u1'), { name: 'Alice' });
    assert.deepEqual(await orders.listChildren('/o1'), ['lines']);
    const tags = (keys: string[]): string[] => [...new Set(keys.map((key) => /\{(.*)\}/.exec(key)?.[1] ?? key))];
    assert.deepEqual(tags(await keysOn(nodes[0])).filter((tag) => prefixes.includes(tag)), [prefixes[0]]);
    assert.deepEqual(tags(await keysOn(nodes[1])).filter((tag) => prefixes.includes(tag)), [prefixes[1]]);
    await orders.delete('/');
    await users.delete('/');
  });

  it('two controllers on the same tree follow each other with cause remote', async () => {
    const a = new ControllerAsync(backend('followed'));
    const b = new ControllerAsync(backend('followed'));
    const seen: string[] = [];
    b.subscribe('/users', (event) => {
      seen.push(`${event.emittingPath} ${JSON.stringify(event.newValue)}`);
    });
    const causes: string[] = [];
    b.onTrace((record) => {
      if (record.kind === 'set') causes.push(record.cause);
    });
    // The follower's own connection to the cluster takes a moment: writes until b hears one show it follows.
    let warm = false;
    b.subscribe('/warm', () => {
      warm = true;
    });
    for (let i = 0; !warm; i++) {
      if (i > 300) throw new Error('the second controller never heard the first one');
      await a.setState('/warm', i);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    causes.length = 0;
    await a.setState('/users/1', { name: 'Alice' });
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(seen, ['/users/1 {"name":"Alice"}']);
    assert.deepEqual(causes, ['remote']);
    a.stopFollowing();
    b.stopFollowing();
  });

  it('takes either url or cluster, and says so', () => {
    assert.throws(() => new RedisBackend({ prefix: 'p' }), RestateUsageError);
    assert.throws(() => new RedisBackend({ url: 'redis://127.0.0.1:1', cluster: { rootNodes: ['redis://127.0.0.1:2'] }, prefix: 'p' }), /either url .* or cluster/);
    assert.throws(() => new RedisBackend({ cluster: { rootNodes: [] }, prefix: 'p' }), /at least one node/);
    assert.throws(() => new RedisBackend({ cluster: { rootNodes: ['http://x'] }, prefix: 'p' }), /not a redis:\/\/ or rediss:\/\/ URL/);
  });
});
