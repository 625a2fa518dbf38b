// Starts a real redis-server for a test: on a free loopback port, in a temporary folder, without
// persistence, and stops it after. Never the machine's default port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the server (SIGKILL with `crash`) and keeps its folder, so that it can be started again on the same port. */
  stop(options?: { crash?: boolean }): Promise<void>;
  /** Starts it again on the same port after `stop`. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether redis-server is installed; tests that need it fail with a clear message when it is not. */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'restate-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extraArgs];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`redis-server on port ${port} did not start within 10 s:\n${output}`)), 10_000);
      const check = setInterval(() => {
        if (output.includes('Ready to accept connections')) {
          clearTimeout(deadline);
          clearInterval(check);
          resolve();
        }
      }, 20);
      started.once('error', (error) => {
        clearTimeout(deadline);
        clearInterval(check);
        reject(new Error(`cannot start redis-server (is the Debian package redis-server installed?): ${error.message}`));
      });
      started.once('exit', (code) => {
        clearTimeout(deadline);
        clearInterval(check);
        reject(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`));
      });
    });
  };
  const stop = async (options?: { crash?: boolean }): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(options?.crash === true ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    restart: start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  /** The primaries, each a server of its own, in the order of the hash slots they serve. */
  readonly nodes: readonly RedisServer[];
  /** Their URLs, as `RedisBackend`'s `cluster.rootNodes` takes them. */
  readonly rootNodes: readonly string[];
  /** The node that serves `slot` (0–16383), as the cluster says. */
  nodeForSlot(slot: number): Promise<RedisServer>;
  /** Stops every node and removes their folders. */
  dispose(): Promise<void>;
}

/**
 * Starts a real Redis Cluster of `size` primaries without replicas on free loopback ports, each in its own
 * temporary folder, and waits until it serves every slot. `redis-cli` (Debian's redis-tools, which
 * redis-server depends on) joins the nodes.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < size; i++) {
      nodes.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await runRedisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      while (!(await runRedisCli(['-p', String(node.port), 'cluster', 'info'])).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`the Redis Cluster on ${addresses.join(', ')} did not reach cluster_state:ok within 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.dispose()));
    throw error;
  }
  const nodeForSlot = async (slot: number): Promise<RedisServer> => {
    // Lines of CLUSTER NODES: `<id> <ip:port@cport> <flags> <primary> <ping> <pong> <epoch> <link> <slot ranges…>`.
    for (const line of (await runRedisCli(['-p', String(nodes[0].port), 'cluster', 'nodes'])).split('\n')) {
      const fields = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
      for (const range of fields.slice(8)) {
        const [from, to = from] = range.split('-').map(Number);
        if (slot >= from && slot <= to) {
          const node = nodes.find((candidate) => candidate.port === port);
          if (node !== undefined) return node;
        }
      }
    }
    throw new Error(`no node of the cluster serves slot ${slot}`);
  };
  return {
    nodes,
    rootNodes: nodes.map((node) => node.url),
    nodeForSlot,
    dispose: async () => {
      await Promise.all(nodes.map((node) => node.dispose()));
    },
  };
}

function runRedisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) => reject(new Error(`cannot run redis-cli (Debian's redis-tools): ${error.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`redis-cli ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

/** The hash slot of a key, as Redis Cluster computes it: CRC16 (XMODEM) of the hash tag, or of the key. */
export function hashSlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf('{');
  let tagged = bytes;
  if (open >= 0) {
    const close = bytes.indexOf('}', open + 1);
    if (close > open + 1) tagged = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of tagged) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
