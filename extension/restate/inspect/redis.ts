/**
 * The inspector over Redis, for an app whose controller keeps its state in a RedisBackend: the same messages
 * as on the local socket, through pub/sub channels under the tree's `{prefix}` hash tag, so that an explorer
 * on another machine that has the tree open sees the app. The app is announced under a key with a short
 * expiry that it refreshes, so an app that crashed disappears within that time.
 *
 *   restate:{prefix}:inspect:apps        a set of the ids of announced apps (an index; the keys below are the truth)
 *   restate:{prefix}:inspect:app:<id>    the announcement (with the app's hello), expiring
 *   restate:{prefix}:inspect:out:<id>    the app's messages: hello, graph, trace, bye
 *   restate:{prefix}:inspect:in:<id>     the explorers' messages: subscribe, unsubscribe
 *   restate:{prefix}:inspect:news        an app's id, when it comes or goes
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { ControllerAsync, type ControllerSync } from '../controller';
import { RestateBackendError, RestateUsageError, describeError } from '../errors';
import { RedisBackend, redactedUrl, redisBackendOptions } from '../backends/redis/backend';
import { ConnectionBase } from './client';
import { InspectorCore, type Subscriber } from './core';
import {
  INSPECT_PROTOCOL_VERSION,
  MAX_MESSAGE_BYTES,
  decodeAnnouncement,
  decodeAppMessage,
  decodeExplorerMessage,
  encodeFrame,
  type InspectAnnouncement,
  type Inspector,
  type InspectorConnection,
  type InspectorDiscovery,
  type RedisInspectRoot,
} from './protocol';

const COMPONENT = 'inspect';
const DEFAULT_TTL_MS = 5_000;
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;
/** What explorers may send on an app's channel, together, in a second; the rest is ignored. */
const MAX_MESSAGES_PER_SECOND = 50;
/** Explorers only subscribe and unsubscribe: a longer message is not one of theirs. */
const MAX_INCOMING_MESSAGE_BYTES = 4 * 1024;
/** How often an explorer looks whether the apps it lists or watches are still announced. */
const POLL_MS = 1_000;

type Client = ReturnType<typeof createClient>;

/** What `inspectOverRedis` takes. */
export interface RedisInspectOptions {
  /** What the explorer shows for this app. */
  name: string;
  /** How long the announcement lasts unless refreshed (it is refreshed three times as often), in ms. Default 5,000. */
  ttlMs?: number;
  /** How often the graph is looked at for changes while an explorer is subscribed, in ms. Default 1,000. */
  graphIntervalMs?: number;
  /** The most bytes of messages on their way to Redis; past it, messages are dropped (the trace's `seq` shows the gap). Default 8 MiB. */
  maxBufferedBytes?: number;
}

function keysOf(prefix: string): { apps: string; news: string; app(id: string): string; out(id: string): string; in(id: string): string } {
  const base = `restate:{${prefix}}:inspect`;
  return {
    apps: `${base}:apps`,
    news: `${base}:news`,
    app: (id) => `${base}:app:${id}`,
    out: (id) => `${base}:out:${id}`,
    in: (id) => `${base}:in:${id}`,
  };
}

function ignoreError(): void {
  // Each failed command reports its own error; a listener must exist so that the client does not throw.
}

async function connectClient(url: string): Promise<Client> {
  const client: Client = createClient({ url, socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000) } });
  client.on('error', ignoreError);
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw new RestateBackendError(COMPONENT, `cannot reach the Redis server at ${redactedUrl(url)}: ${describeError(error)}`, { cause: error });
  }
  return client;
}

async function duplicateOf(client: Client): Promise<Client> {
  const copy = client.duplicate();
  copy.on('error', ignoreError);
  await copy.connect();
  return copy;
}

/**
 * Lets a State Explorer on any machine that can reach the Redis server watch this controller (its backend must
 * be a RedisBackend on one server): its graph and its trace, never its writes. Anyone who can subscribe to the
 * tree's channels sees what is sent, as anyone who can read the tree sees its values.
 */
export async function inspectOverRedis(controller: ControllerSync | ControllerAsync, options: RedisInspectOptions): Promise<Inspector> {
  if (typeof options !== 'object' || options === null || typeof options.name !== 'string' || options.name === '') {
    throw new RestateUsageError(COMPONENT, `inspectOverRedis needs a name for the app, as { name: '…' }, got ${JSON.stringify(options)}`);
  }
  const backend = controller.backend;
  if (!(backend instanceof RedisBackend)) throw new RestateUsageError(COMPONENT, `inspectOverRedis needs a controller whose backend is a RedisBackend`);
  const { url } = redisBackendOptions(backend);
  if (url === undefined) throw new RestateUsageError(COMPONENT, `inspectOverRedis serves a RedisBackend on one server (url); ${backend.address} is a cluster`);
  for (const key of ['ttlMs', 'graphIntervalMs', 'maxBufferedBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new RestateUsageError(COMPONENT, `${key} must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
  const ttlMs = Math.max(300, Math.round(options.ttlMs ?? DEFAULT_TTL_MS));
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const keys = keysOf(backend.prefix);
  const id = randomUUID();
  const started = Date.now();
  const core = new InspectorCore(controller, options.name, started, controller instanceof ControllerAsync, options.graphIntervalMs);
  const announcement = core.announcement('redis', id, null);
  const announced = JSON.stringify({ ...announcement, hello: core.hello });

  const main = await connectClient(url);
  let listener: Client;
  try {
    listener = await duplicateOf(main);
  } catch (error) {
    main.destroy();
    throw new RestateBackendError(COMPONENT, `cannot reach the Redis server at ${backend.address}: ${describeError(error)}`, { cause: error });
  }

  // Publishing never waits: commands go out in the background, and past the limit of bytes on their way a
  // message is dropped rather than queued.
  let inFlight = 0;
  const publish = (channel: string, frame: string): void => {
    const message = frame.endsWith('\n') ? frame.slice(0, -1) : frame;
    if (inFlight + message.length > maxBuffered) return;
    inFlight += message.length;
    main.publish(channel, message).then(
      () => {
        inFlight -= message.length;
      },
      () => {
        inFlight -= message.length;
      },
    );
  };
  const channel: Subscriber = { send: (frame) => publish(keys.out(id), frame) };
  let disposed = false;
  const stopWhenNobodyListens = async (): Promise<void> => {
    if (core.subscriberCount === 0 || disposed) return;
    try {
      const reply = (await main.sendCommand(['PUBSUB', 'NUMSUB', keys.out(id)])) as unknown[];
      if (Number(reply[1]) === 0) core.unsubscribe(channel);
    } catch {
      // The server is away: what is published meanwhile is lost anyway; the next refresh looks again.
    }
  };
  let windowStart = Date.now();
  let messagesInWindow = 0;
  await listener.subscribe(keys.in(id), (text: string) => {
    const now = Date.now();
    if (now - windowStart >= 1_000) {
      windowStart = now;
      messagesInWindow = 0;
    }
    // Anyone who can publish on the channel can send: past a few dozen a second, messages are ignored.
    if (disposed || ++messagesInWindow > MAX_MESSAGES_PER_SECOND || text.length > MAX_INCOMING_MESSAGE_BYTES) return;
    const message = decodeExplorerMessage(text);
    if (message?.type === 'subscribe') {
      publish(keys.out(id), core.helloFrame);
      core.subscribe(channel);
    } else if (message?.type === 'unsubscribe') {
      void stopWhenNobodyListens();
    }
  });

  const announce = async (): Promise<void> => {
    await main.sendCommand(['SET', keys.app(id), announced, 'PX', String(ttlMs)]);
    await main.sendCommand(['SADD', keys.apps, id]);
  };
  await announce();
  await main.publish(keys.news, id);
  const refresh = setInterval(() => {
    announce().catch(ignoreError);
    void stopWhenNobodyListens();
  }, Math.max(100, Math.floor(ttlMs / 3)));
  refresh.unref();

  let disposal: Promise<void> | undefined;
  return {
    announcement,
    get connections() {
      return core.subscriberCount;
    },
    tcp: undefined,
    dispose: () => {
      disposal ??= (async () => {
        clearInterval(refresh);
        core.dispose();
        disposed = true;
        try {
          await main.publish(keys.out(id), encodeFrame({ v: INSPECT_PROTOCOL_VERSION, type: 'bye', reason: 'the app stopped inspecting' }).slice(0, -1));
          await main.sendCommand(['DEL', keys.app(id)]);
          await main.sendCommand(['SREM', keys.apps, id]);
          await main.publish(keys.news, id);
        } catch {
          // The server is away: the announcement expires by itself.
        }
        listener.destroy();
        main.destroy();
      })();
      return disposal;
    },
  };
}

/**
 * Finds the apps that inspect the Redis tree `root` (url and prefix, as `restate.redisRoots` names them) and
 * connects to them. Its Redis connection opens on first use; `dispose` closes it.
 */
export function redisInspectorDiscovery(root: RedisInspectRoot): InspectorDiscovery {
  const keys = keysOf(root.prefix);
  let mainClient: Promise<Client> | undefined;
  let newsClient: Client | undefined;
  let disposed = false;
  const watchers = new Set<() => void>();
  const connections = new Set<InspectorConnection>();
  const main = (): Promise<Client> => {
    mainClient ??= connectClient(root.url).catch((error: unknown) => {
      mainClient = undefined;
      throw error;
    });
    return mainClient;
  };

  const list = async (): Promise<InspectAnnouncement[]> => {
    const client = await main();
    const ids = ((await client.sendCommand(['SMEMBERS', keys.apps])) as unknown[]).map(String);
    if (ids.length === 0) return [];
    const texts = (await client.sendCommand(['MGET', ...ids.map((id) => keys.app(id))])) as unknown[];
    const found: InspectAnnouncement[] = [];
    const expired: string[] = [];
    ids.forEach((id, index) => {
      const text = texts[index];
      if (text === null || text === undefined) {
        expired.push(id);
        return;
      }
      const announcement = decodeAnnouncement(String(text));
      if (announcement !== undefined && announcement.transport === 'redis' && announcement.address === id) found.push(announcement);
    });
    if (expired.length > 0) await client.sendCommand(['SREM', keys.apps, ...expired]);
    return found.sort((a, b) => a.started - b.started || a.address.localeCompare(b.address));
  };

  const watch = (onChange: (announcements: InspectAnnouncement[]) => void): (() => void) => {
    let last: string | undefined;
    let stopped = false;
    const look = (): void => {
      list().then(
        (found) => {
          const text = JSON.stringify(found);
          if (stopped || text === last) return;
          last = text;
          try {
            onChange(found);
          } catch {
            // The listener's failure is its own.
          }
        },
        () => {
          // The server is away: the next look tries again.
        },
      );
    };
    const timer = setInterval(look, POLL_MS);
    timer.unref();
    if (newsClient === undefined) {
      void main()
        .then(async (client) => {
          if (newsClient !== undefined || disposed) return;
          newsClient = await duplicateOf(client);
          await newsClient.subscribe(keys.news, () => {
            for (const watcher of watchers) watcher();
          });
        })
        .catch(ignoreError);
    }
    watchers.add(look);
    const stop = (): void => {
      stopped = true;
      clearInterval(timer);
      watchers.delete(look);
    };
    look();
    return () => {
      stop();
      stops.delete(stop);
    };
  };
  const stops = new Set<() => void>();

  const connect = (announcement: InspectAnnouncement): InspectorConnection => {
    if (announcement.transport !== 'redis') throw new TypeError(`this discovery connects over Redis; ${announcement.name} is announced over ${announcement.transport}`);
    const id = announcement.address;
    let subscriber: Client | undefined;
    let poll: NodeJS.Timeout | undefined;
    const connecting: { ready?: Promise<Client> } = {};
    const connection = new ConnectionBase(
      announcement,
      (message) => {
        void connecting.ready?.then((client) => client.publish(keys.in(id), encodeFrame(message).slice(0, -1))).catch(ignoreError);
      },
      () => {
        clearInterval(poll);
        subscriber?.destroy();
        connections.delete(connection);
      },
    );
    connections.add(connection);
    const take = (text: string): void => {
      if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
        connection.ended(`${announcement.name} sent a message over ${MAX_MESSAGE_BYTES} bytes`);
        return;
      }
      const message = decodeAppMessage(text);
      if (message !== undefined) connection.received(message);
    };
    const ready = (async () => {
      const client = await main();
      const copy = await duplicateOf(client);
      if (connection.closed) {
        copy.destroy();
        return client;
      }
      subscriber = copy;
      await copy.subscribe(keys.out(id), take);
      const stored = await client.sendCommand(['GET', keys.app(id)]);
      if (stored === null || stored === undefined) {
        connection.ended(`${announcement.name} is no longer announced`);
        return client;
      }
      const hello = (JSON.parse(String(stored)) as { hello?: unknown }).hello;
      if (hello !== undefined) take(JSON.stringify(hello));
      poll = setInterval(() => {
        client.sendCommand(['EXISTS', keys.app(id)]).then((exists) => {
          if (Number(exists) === 0) connection.ended(`${announcement.name} is gone (its announcement expired)`);
        }, ignoreError);
      }, POLL_MS);
      poll.unref();
      return client;
    })();
    connecting.ready = ready;
    ready.catch((error: unknown) => connection.ended(`cannot reach ${announcement.name} over Redis: ${describeError(error)}`));
    return connection;
  };

  return {
    list,
    watch: (onChange) => {
      const stop = watch(onChange);
      stops.add(stop);
      return stop;
    },
    connect,
    dispose: () => {
      disposed = true;
      for (const stop of [...stops]) stop();
      newsClient?.destroy();
      newsClient = undefined;
      void mainClient?.then((client) => client.destroy(), ignoreError);
      mainClient = undefined;
    },
  };
}
