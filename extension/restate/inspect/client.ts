/**
 * The explorer's side of local inspectors: finding the apps that inspect a state folder, and connecting to one.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { readAnnouncements, runtimeDirectory, trustedRuntimeDirectory } from './local';
import {
  FrameDecoder,
  INSPECT_PROTOCOL_VERSION,
  MAX_MESSAGE_BYTES,
  decodeAppMessage,
  encodeFrame,
  type AppMessage,
  type ExplorerMessage,
  type HelloMessage,
  type InspectAnnouncement,
  type InspectorConnection,
  type InspectorConnectionEvents,
  type InspectorDiscovery,
} from './protocol';

/** How often a watch looks again without being told, to see apps that died without a word (SIGKILL). */
const RESCAN_MS = 2_000;
/** Changes of the directory come in bursts (a temporary file, then its rename): they are looked at together. */
const SETTLE_MS = 50;

type Listeners = { [E in keyof InspectorConnectionEvents]: Set<InspectorConnectionEvents[E]> };

/**
 * A connection that takes decoded app messages from any transport: the events, the hello, subscribe and close.
 * Listener failures are kept from the transport.
 */
export class ConnectionBase implements InspectorConnection {
  readonly announcement: InspectAnnouncement;
  #hello: HelloMessage | undefined;
  #closed = false;
  readonly #listeners: Listeners = { hello: new Set(), graph: new Set(), trace: new Set(), close: new Set() };
  readonly #send: (message: ExplorerMessage) => void;
  readonly #shut: () => void;

  constructor(announcement: InspectAnnouncement, send: (message: ExplorerMessage) => void, shut: () => void) {
    this.announcement = announcement;
    this.#send = send;
    this.#shut = shut;
  }

  get hello(): HelloMessage | undefined {
    return this.#hello;
  }

  get closed(): boolean {
    return this.#closed;
  }

  on<E extends keyof InspectorConnectionEvents>(event: E, listener: InspectorConnectionEvents[E]): () => void {
    const set = this.#listeners[event] as Set<InspectorConnectionEvents[E]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  subscribe(): void {
    if (!this.#closed) this.#send({ v: INSPECT_PROTOCOL_VERSION, type: 'subscribe' });
  }

  unsubscribe(): void {
    if (!this.#closed) this.#send({ v: INSPECT_PROTOCOL_VERSION, type: 'unsubscribe' });
  }

  close(): void {
    this.ended('closed by the explorer');
  }

  /** Called by the transport with each message it decoded. */
  received(message: AppMessage): void {
    if (this.#closed) return;
    switch (message.type) {
      case 'hello':
        this.#hello = message;
        this.#emit('hello', message);
        break;
      case 'graph':
        this.#emit('graph', message.graph);
        break;
      case 'trace':
        if (message.records.length > 0) this.#emit('trace', message.records);
        break;
      case 'bye':
        this.ended(message.reason === '' ? 'the app stopped inspecting' : message.reason);
        break;
    }
  }

  /** Called by the transport when the connection ended; tells the listeners once. */
  ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#shut();
    this.#emit('close', reason);
    for (const set of Object.values(this.#listeners)) set.clear();
  }

  #emit<E extends keyof InspectorConnectionEvents>(event: E, ...args: Parameters<InspectorConnectionEvents[E]>): void {
    for (const listener of [...this.#listeners[event]]) {
      try {
        (listener as (...values: Parameters<InspectorConnectionEvents[E]>) => void)(...args);
      } catch {
        // A listener's failure is the explorer's own; the connection goes on.
      }
    }
  }
}

/** After this many lines that are not messages of the protocol, a peer is taken for something else and dropped. */
export const MAX_UNDECODABLE_LINES = 100;

/** Options of connectInspector. */
export interface ConnectInspectorOptions {
  /**
   * Told of the first line of a connection that is not a message of the protocol (an old or unknown message, or
   * garbage), which is passed over; a peer that sends MAX_UNDECODABLE_LINES of them is disconnected.
   */
  readonly onIgnored?: (line: string) => void;
}

/** Connects to an app's local inspector (or its TCP listener, for `tcp` announcements). */
export function connectInspector(announcement: InspectAnnouncement, options: ConnectInspectorOptions = {}): InspectorConnection {
  let socket: Socket;
  if (announcement.transport === 'tcp') {
    const colon = announcement.address.lastIndexOf(':');
    socket = createConnection({ host: announcement.address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(announcement.address.slice(colon + 1)) });
  } else if (announcement.transport === 'unix' || announcement.transport === 'pipe') {
    socket = createConnection({ path: announcement.address });
  } else {
    throw new TypeError(`connectInspector takes local and TCP announcements; ${announcement.name} is announced over ${announcement.transport}`);
  }
  const connection = new ConnectionBase(
    announcement,
    (message) => {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    },
    () => socket.destroy(),
  );
  const decoder = new FrameDecoder(MAX_MESSAGE_BYTES);
  let undecodable = 0;
  socket.on('data', (chunk: Buffer) => {
    const lines = decoder.push(chunk);
    if (lines === 'overflow') {
      connection.ended(`${announcement.name} sent a message over ${MAX_MESSAGE_BYTES} bytes`);
      return;
    }
    for (const line of lines) {
      const message = decodeAppMessage(line);
      if (message !== undefined) {
        connection.received(message);
        continue;
      }
      if (++undecodable === 1) options.onIgnored?.(line);
      if (undecodable >= MAX_UNDECODABLE_LINES) {
        connection.ended(`${announcement.name} sent ${undecodable} lines that are not inspector messages`);
        return;
      }
    }
  });
  socket.on('error', (error) => connection.ended(`the connection to ${announcement.name} failed: ${error.message}`));
  socket.on('close', () => connection.ended(`${announcement.name} closed the connection`));
  return connection;
}

/**
 * Finds the apps that inspect `stateFolder` on this machine, as this user: their announcements in the per-user
 * runtime directory. `directory` is for tests.
 */
export function inspectorDiscovery(stateFolder: string, directory = runtimeDirectory()): InspectorDiscovery {
  const stops = new Set<() => void>();
  return {
    list: () => Promise.resolve(readAnnouncements(stateFolder, directory)),
    watch: (onChange) => {
      let last: string | undefined;
      let stopped = false;
      let watcher: FSWatcher | undefined;
      let settle: NodeJS.Timeout | undefined;
      const look = (): void => {
        if (stopped) return;
        if (watcher === undefined && trustedRuntimeDirectory(directory) !== undefined) {
          try {
            watcher = watch(directory, () => {
              clearTimeout(settle);
              settle = setTimeout(look, SETTLE_MS);
            });
            watcher.on('error', () => {
              watcher?.close();
              watcher = undefined;
            });
          } catch {
            watcher = undefined;
          }
        }
        const found = readAnnouncements(stateFolder, directory);
        const text = JSON.stringify(found);
        if (text === last) return;
        last = text;
        try {
          onChange(found);
        } catch {
          // The listener's failure is its own.
        }
      };
      const timer = setInterval(look, RESCAN_MS);
      timer.unref();
      const stop = (): void => {
        stopped = true;
        clearInterval(timer);
        clearTimeout(settle);
        watcher?.close();
        stops.delete(stop);
      };
      stops.add(stop);
      look();
      return stop;
    },
    connect: connectInspector,
    dispose: () => {
      for (const stop of [...stops]) stop();
    },
  };
}
