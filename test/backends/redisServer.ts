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
    if (running === undefined || running.exitCode !== null) return;
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
