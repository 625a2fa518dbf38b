import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ControllerAsync, type ControllerSync } from '../controller';
import { RestateUsageError } from '../errors';
import { FileSystemAsyncBackend } from '../backends/filesystem/async';
import { FileSystemSyncBackend } from '../backends/filesystem/sync';
import { InspectorCore, type InspectedController, type Subscriber } from './core';
import { ANNOUNCEMENT_SUFFIX, SOCKET_SUFFIX, ensureRuntimeDirectory, folderKey, removeQuietly, stateFolderRealPath } from './local';
import {
  FrameDecoder,
  INSPECT_PROTOCOL_VERSION,
  decodeExplorerMessage,
  encodeFrame,
  type InspectOptions,
  type Inspector,
} from './protocol';

const COMPONENT = 'inspect';
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** What an explorer may send before it is dropped: subscribe and unsubscribe are a few dozen bytes. */
const MAX_INCOMING_MESSAGE_BYTES = 4 * 1024;
/** More explorers than this at once are turned away. */
const MAX_CONNECTIONS = 32;
const BYE_GRACE_MS = 500;
/**
 * An explorer subscribes once and may unsubscribe: one that sends more lines than this in a second (each a
 * subscribe would have the graph made again) is flooding the app, and is dropped.
 */
const MAX_LINES_PER_SECOND = 50;

/**
 * One explorer's connection. Writing never waits: what the socket has not sent yet stays in its buffer, and
 * once that holds more than the limit the explorer is disconnected instead of the buffer growing.
 */
class SocketPeer implements Subscriber {
  readonly #socket: Socket;
  readonly #maxBuffered: number;

  constructor(socket: Socket, maxBuffered: number) {
    this.#socket = socket;
    this.#maxBuffered = maxBuffered;
  }

  send(frame: string): void {
    if (this.#socket.destroyed) return;
    if (this.#socket.writableLength + frame.length > this.#maxBuffered) {
      this.#socket.destroy();
      return;
    }
    this.#socket.write(frame);
  }
}

/** Sends the bye and closes; an explorer that does not take it within a moment is not waited for. */
function sayBye(socket: Socket, bye: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, BYE_GRACE_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.destroyed) {
      clearTimeout(timer);
      resolve();
      return;
    }
    socket.end(bye);
  });
}

/** The folder of a file backend, the default place to announce an inspector for. */
function backendFolder(controller: InspectedController): string | undefined {
  const backend = controller.backend;
  return backend instanceof FileSystemSyncBackend || backend instanceof FileSystemAsyncBackend ? backend.base : undefined;
}

function checkOptions(options: InspectOptions): void {
  if (typeof options !== 'object' || options === null || typeof options.name !== 'string' || options.name === '') {
    throw new RestateUsageError(COMPONENT, `inspect needs a name for the app, as { name: '…' }, got ${JSON.stringify(options)}`);
  }
  if (options.tcp !== undefined && (typeof options.tcp.host !== 'string' || !Number.isInteger(options.tcp.port) || options.tcp.port < 0 || options.tcp.port > 65535)) {
    throw new RestateUsageError(COMPONENT, `tcp must be { host, port } with a port from 0 to 65535, got ${JSON.stringify(options.tcp)}`);
  }
  for (const key of ['graphIntervalMs', 'maxBufferedBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new RestateUsageError(COMPONENT, `${key} must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
}

function listen(server: Server, address: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof address === 'string') server.listen(address, done);
    else server.listen(address.port, address.host, done);
  });
}

/**
 * Lets a State Explorer watch this controller: its graph and its trace, never its writes. Serves them on a
 * Unix domain socket (a named pipe on Windows) in the per-user runtime directory and announces it there for
 * the state folder; nothing is written inside the state folder. Explorers of other users cannot connect. The
 * trace listener is attached only while an explorer is subscribed. Dispose it (or exit) to stop.
 */
export async function inspect(controller: ControllerSync | ControllerAsync, options: InspectOptions): Promise<Inspector> {
  checkOptions(options);
  const folder = options.stateFolder ?? backendFolder(controller);
  if (folder === undefined) {
    throw new RestateUsageError(COMPONENT, `inspect needs the state folder the app works on, as { stateFolder }: the controller's backend is not a folder of its own`);
  }
  const stateFolder = stateFolderRealPath(folder);
  const directory = ensureRuntimeDirectory();
  const key = folderKey(stateFolder);
  const id = `${key}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const isWindows = process.platform === 'win32';
  const address = isWindows ? `\\\\.\\pipe\\restate-inspect-${id}` : join(directory, id + SOCKET_SUFFIX);
  const announcementFile = join(directory, id + ANNOUNCEMENT_SUFFIX);
  const started = Date.now();
  const core = new InspectorCore(controller, options.name, started, controller instanceof ControllerAsync, options.graphIntervalMs);
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const sockets = new Set<Socket>();

  const accept = (socket: Socket): void => {
    if (sockets.size >= MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const peer = new SocketPeer(socket, maxBuffered);
    const decoder = new FrameDecoder(MAX_INCOMING_MESSAGE_BYTES);
    let windowStart = Date.now();
    let linesInWindow = 0;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      core.unsubscribe(peer);
    });
    socket.on('data', (chunk: Buffer) => {
      const lines = decoder.push(chunk);
      if (lines === 'overflow') {
        socket.destroy();
        return;
      }
      const now = Date.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        linesInWindow = 0;
      }
      linesInWindow += lines.length;
      if (linesInWindow > MAX_LINES_PER_SECOND) {
        socket.destroy();
        return;
      }
      for (const line of lines) {
        const message = decodeExplorerMessage(line);
        if (message?.type === 'subscribe') core.subscribe(peer);
        else if (message?.type === 'unsubscribe') core.unsubscribe(peer);
      }
    });
    peer.send(core.helloFrame);
  };

  const servers: Server[] = [];
  const removeFiles = (): void => {
    removeQuietly(announcementFile);
    if (!isWindows) removeQuietly(address);
  };
  process.on('exit', removeFiles);
  try {
    const local = createServer(accept);
    servers.push(local);
    await listen(local, address);
    if (!isWindows) chmodSync(address, 0o600);
    if (options.tcp !== undefined) {
      const tcp = createServer(accept);
      servers.push(tcp);
      await listen(tcp, options.tcp);
    }
  } catch (error) {
    process.off('exit', removeFiles);
    for (const server of servers) server.close();
    removeFiles();
    throw new RestateUsageError(COMPONENT, `cannot listen for explorers at ${address}${options.tcp ? ` or ${options.tcp.host}:${options.tcp.port}` : ''}: ${(error as Error).message}`, { cause: error });
  }
  // Servers must not keep the app alive: it ends when its own work ends.
  for (const server of servers) server.unref();

  const announcement = core.announcement(isWindows ? 'pipe' : 'unix', address, stateFolder);
  const temporary = `${announcementFile}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, JSON.stringify(announcement, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    renameSync(temporary, announcementFile);
  } catch (error) {
    process.off('exit', removeFiles);
    for (const server of servers) server.close();
    removeQuietly(temporary);
    removeFiles();
    throw new RestateUsageError(COMPONENT, `cannot write the inspector's announcement ${announcementFile}: ${(error as Error).message}`, { cause: error });
  }

  let disposed: Promise<void> | undefined;
  return {
    announcement,
    get connections() {
      return sockets.size;
    },
    get tcp() {
      const bound = servers[1]?.address();
      return typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : undefined;
    },
    dispose: () => {
      disposed ??= (async () => {
        removeFiles();
        process.off('exit', removeFiles);
        core.dispose();
        const bye = encodeFrame({ v: INSPECT_PROTOCOL_VERSION, type: 'bye', reason: 'the app stopped inspecting' });
        const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
        await Promise.all([...sockets].map((socket) => sayBye(socket, bye)));
        await Promise.all(closed);
      })();
      return disposed;
    },
  };
}
