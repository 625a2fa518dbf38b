// A peer that announces itself as an inspecting app of a state folder, as the library's inspect() does, and
// then does what a test asks with each explorer's connection: send garbage, a huge message, never read.
// For the tests that check that such a peer cannot crash or stall the explorer.
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { folderKey } from '../../extension/restate/inspect/local';

export interface FakeApp {
  readonly name: string;
  /** How many explorers connected so far. */
  readonly connections: number;
  dispose(): Promise<void>;
}

/**
 * Announces `name` for `stateFolder` in `directory` (the per-user runtime directory of inspectors) and hands
 * each connection to `serve`. The announced pid is this process's, so that the announcement counts as live.
 */
export async function startFakeApp(stateFolder: string, directory: string, name: string, serve: (socket: Socket) => void): Promise<FakeApp> {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const realPath = realpathSync(stateFolder);
  const id = `${folderKey(realPath)}-${process.pid}-fake${Math.random().toString(16).slice(2, 10)}`;
  const address = join(directory, `${id}.sock`);
  const file = join(directory, `${id}.json`);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    serve(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => resolve());
  });
  const announcement = { protocol: 1, name, pid: process.pid, host: hostname(), started: Date.now(), transport: 'unix', address, stateFolder: realPath };
  writeFileSync(file, JSON.stringify(announcement), { mode: 0o600 });
  return {
    name,
    get connections() {
      return connections;
    },
    dispose: async () => {
      rmSync(file, { force: true });
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(address, { force: true });
    },
  };
}

/** A hello as an app of the protocol sends it, as one line. */
export function helloLine(name: string): string {
  return `${JSON.stringify({ v: 1, type: 'hello', protocol: 1, name, pid: process.pid, host: hostname(), started: Date.now(), library: { name: 'restate', version: '0.1.0' }, async: true })}\n`;
}
