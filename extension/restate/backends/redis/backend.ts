import { createHash, randomUUID } from 'node:crypto';
import { createClient, createCluster } from '@redis/client';
import { RestateBackendError, RestateError, RestateFormatError, RestateSerializeError, RestateUsageError, RestateValueError } from '../../errors';
import { resolveConcretePath } from '../../path';
import { MISSING, OWN_VALUE_KEY, compareNames } from '../../values';
import type { AsyncBackend, BackendChange } from '../backend';
import { pythonJsonParse, pythonJsonStringify } from '../filesystem/json';
import { checkWritableName } from '../filesystem/names';
import { ValueLocationError } from '../filesystem/serializer';
import { DELETE_SCRIPT, READ_SCRIPT, WRITE_SCRIPT } from './scripts';
import { redactedUrl } from '../redisUrl';

export { redactedUrl };

const COMPONENT = 'redis';
/** The suffix the file backends add to a name; names are checked as if they were files, so trees stay portable. */
const PORTABLE_SUFFIX = '.json';
const DEFAULT_LOG_LENGTH = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** How long one blocking read of the change log waits before it looks whether it should stop. */
const WATCH_BLOCK_MS = 1_000;
/**
 * The most entries one read of the change log takes: a follower far behind gets its backlog in replies of
 * this size, each decoded and delivered before the next is asked for, rather than in one reply of any size.
 */
const WATCH_BATCH = 1_000;
/** Between two attempts to reach a server that went away, at most. */
const MAX_RECONNECT_DELAY_MS = 2_000;


/**
 * Where the tree lives: one server (`url`) or a Redis Cluster (`cluster`), never both. A tree's keys share one
 * hash tag, so in a cluster the whole tree is on one node (its shard) and every script stays atomic there;
 * different prefixes spread over the nodes.
 */
export interface RedisBackendOptions {
  /** One server: `redis://[user[:password]@]host[:port][/db]` or `rediss://…` for TLS. */
  readonly url?: string;
  /**
   * A Redis Cluster: the URLs of some of its nodes (`redis://host:port`, with credentials if needed), from
   * which the client learns the others and follows slots that move and replicas that take over.
   */
  readonly cluster?: {
    /** The URLs of some of the cluster's nodes. */
    readonly rootNodes: readonly string[];
  };
  /** Names the tree: its keys are `restate:{<prefix>}:…`, so several trees share one server or cluster. */
  readonly prefix: string;
  /** How many entries the change log keeps, about (it is trimmed with `MAXLEN ~`). Default 10,000. */
  readonly logLength?: number;
  /** What to do when the server may evict keys (`maxmemory-policy` other than `noeviction`): warn (default) or refuse to connect. */
  readonly evictionPolicy?: 'warn' | 'refuse';
  /** Told about what the backend noticed but could go on with, such as an eviction policy. Default: console.warn. */
  readonly onWarning?: (message: string) => void;
  /** How long to wait for the server at connect, in ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
}

type Client = ReturnType<typeof createClient>;
type Cluster = ReturnType<typeof createCluster>;
type Reply = unknown;

/** A connection to where the tree lives, a server or the cluster node that holds the tree's hash slot. */
interface Link {
  /** Sends one command; `args` is the caller's to give away (a fresh array each call), so it is not copied. */
  send(args: string[]): Promise<Reply>;
  /** Another connection of its own, for reads that block (the change log's follower). */
  duplicate(): Promise<Link>;
  close(): Promise<void>;
  destroy(): void;
}

function clientLink(client: Client): Link {
  return {
    send: (args) => client.sendCommand(args),
    duplicate: async () => {
      const copy = client.duplicate();
      copy.on('error', ignoreError);
      await copy.connect();
      return clientLink(copy);
    },
    close: async () => {
      await client.close();
    },
    destroy: () => client.destroy(),
  };
}

/** Every command goes to the node that holds `routeKey`'s slot, which holds the whole tree. */
function clusterLink(cluster: Cluster, routeKey: string): Link {
  return {
    send: (args) => cluster.sendCommand(routeKey, false, args),
    duplicate: async () => {
      const copy = cluster.duplicate();
      copy.on('error', ignoreError);
      await copy.connect();
      return clusterLink(copy, routeKey);
    },
    close: async () => {
      await cluster.close();
    },
    destroy: () => cluster.destroy(),
  };
}

function ignoreError(): void {
  // Each failed command reports its own error; a listener must exist so that the client does not throw.
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = { write: script(WRITE_SCRIPT), delete: script(DELETE_SCRIPT), read: script(READ_SCRIPT) } as const;
const SCRIPT_SOURCES = new Map(Object.values(SCRIPTS).map(({ sha, source }) => [sha, source]));

/**
 * How many canonical paths a backend remembers as having passed the checks of a write (S89's portable
 * names), so that writing the same path again skips them. Cleared when full.
 */
const MAX_CHECKED_PATHS = 10_000;

function nothing(): void {
  // A write's reply says nothing its caller needs.
}

/** The options a backend was made with, for the inspector's own connections; not part of the public API. */
export let redisBackendOptions: (backend: RedisBackend) => RedisBackendOptions;

/**
 * A tree kept in Redis (or one node of a Redis Cluster), with the same semantics as InMemoryBackend: parent
 * reads merge the subtree, deletes take the subtree, values are opaque JSON. Each write and delete is one
 * Lua script, atomic on the server, that also appends to the tree's change log, which `watch` follows to
 * report other clients' changes.
 */
export class RedisBackend implements AsyncBackend {
  /** The tree's name, as given in the options. */
  readonly prefix: string;
  /** Identifies this instance's entries in the change log, so that `watch` does not report its own writes. */
  readonly clientId = randomUUID();
  readonly #urls: readonly string[];
  readonly #isCluster: boolean;
  readonly #keys: { readonly values: string; readonly children: string; readonly log: string; readonly versions: string };
  readonly #writablePaths = new Set<string>();
  readonly #logLength: string;
  readonly #options: RedisBackendOptions;
  #client: Link | undefined;
  #connecting: Promise<Link> | undefined;
  readonly #watchers = new Set<() => void>();
  /** One promise per watch started: settled once its reader knows where the log stands (or it stopped or failed). */
  #watchesStarting: Promise<void>[] = [];
  #closed = false;

  static {
    redisBackendOptions = (backend) => backend.#options;
  }

  constructor(options: RedisBackendOptions) {
    if (typeof options.prefix !== 'string' || options.prefix === '' || /[{}]/.test(options.prefix)) {
      throw new RestateUsageError(COMPONENT, `the prefix must be a non-empty string without braces, got ${JSON.stringify(options.prefix)}`);
    }
    if ((options.url === undefined) === (options.cluster === undefined)) {
      throw new RestateUsageError(COMPONENT, 'give either url (one server) or cluster.rootNodes (a Redis Cluster), not both and not neither');
    }
    const urls = options.url !== undefined ? [options.url] : [...(options.cluster?.rootNodes ?? [])];
    if (urls.length === 0) throw new RestateUsageError(COMPONENT, 'cluster.rootNodes must name at least one node of the cluster');
    for (const url of urls) checkUrl(url);
    this.#options = options;
    this.#urls = urls;
    this.#isCluster = options.cluster !== undefined;
    this.prefix = options.prefix;
    const base = `restate:{${options.prefix}}`;
    this.#keys = { values: `${base}:values`, children: `${base}:children`, log: `${base}:log`, versions: `${base}:versions` };
    this.#logLength = String(options.logLength ?? DEFAULT_LOG_LENGTH);
  }

  /** The server's address (or the cluster's root nodes') without credentials, for messages. */
  get address(): string {
    const urls = this.#urls.map(redactedUrl);
    return this.#isCluster ? `the cluster at ${urls.join(', ')}` : urls[0];
  }

  // The methods below that every call goes through (read, write) return their promise chains instead of
  // being async functions that await each other: one round trip costs one promise and no extra turns.

  read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown> {
    const fallback = arguments.length < 2 ? MISSING : dflt;
    let canonical: string;
    try {
      canonical = resolveConcretePath(path, COMPONENT);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#readCommand(canonical).then((reply) => {
      const value = this.#readValue(canonical, reply);
      return value === MISSING ? fallback : value;
    });
  }

  /**
   * The node's read and its version in one atomic step, for `update` (S129): the version changes with every
   * write or delete of the node (or of an ancestor that took it along); `'-'` for a node never written.
   */
  async readVersioned(path: string): Promise<{
    /** The node's read, or MISSING. */
    value: unknown;
    /** The node's version. */
    version: string;
  }> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const reply = await this.#readCommand(canonical);
    const value = this.#readValue(canonical, reply);
    const version = (reply as Reply[])[0];
    return { value, version: version === null || version === undefined ? '-' : String(version) };
  }

  #readCommand(canonical: string): Promise<Reply> {
    return this.#send(['EVALSHA', SCRIPTS.read.sha, '3', this.#keys.values, this.#keys.children, this.#keys.versions, canonical], canonical);
  }

  /** The read script's reply as the node's read: its own value, or its subtree assembled. */
  #readValue(canonical: string, reply: Reply): unknown {
    if (!Array.isArray(reply) || reply.length < 2) throw this.#unexpected(canonical, reply);
    const own: Reply = reply[1];
    if (reply.length === 2) return own === null || own === undefined ? MISSING : this.#parse(canonical, own);
    return this.#assemble(canonical, own, reply as Reply[]);
  }

  /**
   * Writes `value` (or deletes the node, for `undefined`) only if its version is still `version`, as
   * `readVersioned` gave it; returns whether it did. The check and the change are one step on the server.
   */
  async writeIfVersion(path: string, value: unknown, version: string): Promise<boolean> {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (value === undefined) {
      // A missing node that is still missing: nothing to delete, and nobody changed it.
      if (version === '-' && (await this.read(canonical)) === MISSING) return true;
      return (await this.#deleteCommand(canonical, version)) === 1;
    }
    this.#checkNames(canonical);
    const text = this.#serialize(canonical, value);
    return (await this.#writeCommand(canonical, text, version)) === 1;
  }

  write(path: string, value: unknown): Promise<void> {
    let canonical: string;
    let text: string;
    try {
      const checked = this.#writablePaths.has(path);
      canonical = checked ? path : resolveConcretePath(path, COMPONENT);
      if (value === undefined || value === MISSING) {
        throw new RestateValueError(COMPONENT, canonical, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${canonical}: delete the path instead`);
      }
      if (!checked) this.#checkNames(canonical);
      text = this.#serialize(canonical, value);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writeCommand(canonical, text, '').then(nothing);
  }

  #writeCommand(canonical: string, text: string, version: string): Promise<Reply> {
    const keys = this.#keys;
    return this.#send(['EVALSHA', SCRIPTS.write.sha, '4', keys.values, keys.children, keys.log, keys.versions, canonical, text, this.clientId, this.#logLength, version], canonical);
  }

  #deleteCommand(canonical: string, version: string): Promise<Reply> {
    const keys = this.#keys;
    return this.#send(['EVALSHA', SCRIPTS.delete.sha, '4', keys.values, keys.children, keys.log, keys.versions, canonical, this.clientId, this.#logLength, version], canonical);
  }

  /** The checks every write makes of the names on its path: portable names (S89). A path that passed is remembered. */
  #checkNames(canonical: string): void {
    if (this.#writablePaths.has(canonical)) return;
    for (const segment of canonical.split('/').slice(1)) if (segment !== '') checkWritableName(segment, canonical, PORTABLE_SUFFIX, COMPONENT);
    if (this.#writablePaths.size >= MAX_CHECKED_PATHS) this.#writablePaths.clear();
    this.#writablePaths.add(canonical);
  }

  async delete(path: string): Promise<void> {
    const canonical = resolveConcretePath(path, COMPONENT);
    await this.#deleteCommand(canonical, '');
  }

  async listChildren(path: string): Promise<string[]> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const reply = await this.#send(['ZRANGEBYLEX', this.#keys.children, `[${canonical}\u0000`, `(${canonical}\u0001`], canonical);
    if (!Array.isArray(reply)) throw this.#unexpected(canonical, reply);
    return reply.map((member) => String(member).slice(canonical.length + 1)).sort(compareNames);
  }

  /**
   * Reports the changes other clients make to this tree, in the order the server applied them, until the
   * returned function is called (S126). A reader that lost the server resumes where it stopped; if the log
   * was trimmed past that point, or the server lost its data, it reports `resync` for `/` (S128).
   */
  watch(onChange: (change: BackendChange) => void): () => void {
    let stopped = false;
    let reader: Link | undefined;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.#watchers.delete(stop);
      reader?.destroy();
    };
    this.#watchers.add(stop);
    let started: () => void = () => undefined;
    const starting = new Promise<void>((resolve) => (started = resolve));
    this.#watchesStarting.push(starting);
    const follow = async (): Promise<void> => {
      const main = await this.#connected();
      // Reconnection is the reader's own business; the loop below sees failed reads and resumes.
      const connected = await main.duplicate();
      if (stopped) {
        connected.destroy();
        return;
      }
      reader = connected;
      let lastId = await this.#lastLogId(reader);
      let runId = await serverRunId(reader);
      // Every change the server applies from here on is reported.
      started();
      let failing = false;
      while (!stopped) {
        let reply: Reply;
        try {
          if (failing) {
            failing = false;
            const currentRunId = await serverRunId(reader);
            if (currentRunId !== runId || (await this.#logHasGap(reader, lastId))) {
              runId = currentRunId;
              lastId = await this.#lastLogId(reader);
              onChange({ path: '/', kind: 'resync' });
            }
          }
          reply = await reader.send(['XREAD', 'COUNT', String(WATCH_BATCH), 'BLOCK', String(WATCH_BLOCK_MS), 'STREAMS', this.#keys.log, lastId]);
        } catch {
          if (stopped) return;
          failing = true;
          await delay(200);
          continue;
        }
        for (const entry of streamEntries(reply)) {
          lastId = entry.id;
          if (entry.fields.client === this.clientId) continue;
          const path = entry.fields.path;
          if (path === undefined) continue;
          let value: unknown;
          let prevValue: unknown;
          try {
            if (entry.fields.prev !== undefined) prevValue = pythonJsonParse(entry.fields.prev);
            if (entry.fields.kind !== 'delete') value = pythonJsonParse(entry.fields.value ?? '');
          } catch {
            // Text another client wrote that is not JSON: the receiver re-reads the path and gets the typed error there.
            onChange({ path, kind: 'resync' });
            continue;
          }
          onChange(entry.fields.kind === 'delete' ? { path, kind: 'delete', prevValue } : { path, kind: 'write', value, prevValue });
        }
      }
    };
    follow()
      .catch((error: unknown) => {
        if (!stopped) this.#warn(`cannot follow the change log of ${this.prefix} on ${this.address}: ${describe(error)}`);
      })
      .finally(() => {
        started();
        this.#watchesStarting = this.#watchesStarting.filter((promise) => promise !== starting);
      });
    return stop;
  }

  /**
   * Resolves once every `watch` started so far follows the change log: changes applied after that are
   * reported (changes before may not be). A watch that could not start (it warned) or was stopped counts too.
   */
  async watching(): Promise<void> {
    await Promise.all(this.#watchesStarting);
  }

  /** Releases every connection; later calls fail with a RestateBackendError. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const stop of [...this.#watchers]) stop();
    const connecting = this.#connecting;
    this.#connecting = undefined;
    this.#client = undefined;
    if (connecting === undefined) return;
    try {
      const client = await connecting;
      await client.close();
    } catch {
      // A client that never connected has nothing to release.
    }
  }

  async #connected(): Promise<Link> {
    if (this.#closed) throw new RestateBackendError(COMPONENT, `the Redis backend for ${this.prefix} on ${this.address} is closed`);
    if (this.#client !== undefined) return this.#client;
    this.#connecting ??= this.#connect();
    return this.#connecting;
  }

  async #connect(): Promise<Link> {
    const timeout = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let connectedOnce = false;
    const clientOptions = {
      // Writes made while the server is away fail at once instead of waiting in a queue for a server that may not come back.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: timeout,
        reconnectStrategy: (retries: number, cause: Error): number | Error => {
          if (!connectedOnce) return new RestateBackendError(COMPONENT, `cannot reach the Redis server at ${this.address}: ${describe(cause)}`, { cause });
          return Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS);
        },
      },
    };
    let link: Link;
    let connect: () => Promise<unknown>;
    if (this.#isCluster) {
      const cluster: Cluster = createCluster({ rootNodes: this.#urls.map((url) => ({ url })), defaults: clientOptions });
      cluster.on('error', ignoreError);
      link = clusterLink(cluster, this.#keys.values);
      connect = () => cluster.connect();
    } else {
      const client: Client = createClient({ url: this.#urls[0], ...clientOptions });
      client.on('error', ignoreError);
      link = clientLink(client);
      connect = () => client.connect();
    }
    try {
      await withTimeout(connect(), timeout + 500, () => new RestateBackendError(COMPONENT, `cannot reach the Redis server at ${this.address} within ${timeout} ms`));
    } catch (error) {
      this.#connecting = undefined;
      link.destroy();
      if (error instanceof RestateError) throw error;
      throw new RestateBackendError(COMPONENT, `cannot reach the Redis server at ${this.address}: ${describe(error)}`, { cause: error });
    }
    connectedOnce = true;
    await this.#checkEvictionPolicy(link);
    this.#client = link;
    return link;
  }

  async #checkEvictionPolicy(client: Link): Promise<void> {
    let policy: string | undefined;
    try {
      const reply = await client.send(['CONFIG', 'GET', 'maxmemory-policy']);
      const field = replyField(reply, 'maxmemory-policy');
      if (field !== undefined && field !== null) policy = String(field);
    } catch {
      // Managed servers often disable CONFIG: nothing to check then.
      return;
    }
    if (policy === undefined || policy === 'noeviction') return;
    const message = `the Redis server at ${this.address} has maxmemory-policy ${policy}: it may evict nodes of ${this.prefix} and entries of its change log without a word; set it to noeviction`;
    if (this.#options.evictionPolicy === 'refuse') {
      client.destroy();
      this.#connecting = undefined;
      throw new RestateBackendError(COMPONENT, message);
    }
    this.#warn(message);
  }

  /**
   * Sends a command for `path` once connected. A script the server does not know (it restarted, or another
   * node took over) is sent again with its source; any other failure becomes a RestateBackendError.
   */
  #send(command: string[], path: string): Promise<Reply> {
    const link = this.#client;
    if (link === undefined) return this.#connected().then((connected) => this.#sendOn(connected, command, path));
    return this.#sendOn(link, command, path);
  }

  #sendOn(link: Link, command: string[], path: string): Promise<Reply> {
    return link.send(command).then(undefined, (error: unknown) => {
      const source = command[0] === 'EVALSHA' && error instanceof Error && error.message.includes('NOSCRIPT') ? SCRIPT_SOURCES.get(command[1]) : undefined;
      if (source === undefined) throw this.#failure(error, path);
      const withSource = ['EVAL', source, ...command.slice(2)];
      return this.#connected().then((connected) => connected.send(withSource)).then(undefined, (retryError: unknown) => {
        throw retryError instanceof RestateError ? retryError : this.#failure(retryError, path);
      });
    });
  }

  #failure(error: unknown, path: string): RestateError {
    if (error instanceof RestateError) return error;
    if (error instanceof Error && /WRONGTYPE/.test(error.message)) {
      return new RestateBackendError(COMPONENT, `a key of ${this.prefix} on ${this.address} holds data of another kind than restate writes (${error.message}); state path ${path}`, { path, cause: error });
    }
    return new RestateBackendError(COMPONENT, `Redis at ${this.address} failed for ${path}: ${describe(error)}`, { path, cause: error });
  }

  async #lastLogId(reader: Link): Promise<string> {
    const reply = await reader.send(['XREVRANGE', this.#keys.log, '+', '-', 'COUNT', '1']);
    const [last] = streamEntryList(reply);
    return last?.id ?? '0-0';
  }

  /** Whether entries after `lastId` were trimmed away, or the log is gone while we had read from it. */
  async #logHasGap(reader: Link, lastId: string): Promise<boolean> {
    let reply: Reply;
    try {
      reply = await reader.send(['XINFO', 'STREAM', this.#keys.log]);
    } catch {
      return lastId !== '0-0';
    }
    const maxDeleted = replyField(reply, 'max-deleted-entry-id');
    if (maxDeleted !== undefined && maxDeleted !== null && compareIds(String(maxDeleted), lastId) > 0) return true;
    // Trimming (MAXLEN) removes from the oldest end and, unlike XDEL, leaves max-deleted-entry-id alone:
    // entries were added after lastId and the oldest one left is newer than lastId (or none is left). This
    // also counts a trim that took lastId but nothing after it, which costs a resync and loses nothing.
    const lastGenerated = replyField(reply, 'last-generated-id');
    if (lastGenerated === undefined || lastGenerated === null || compareIds(String(lastGenerated), lastId) <= 0) return false;
    const first = replyField(reply, 'first-entry');
    const firstId = Array.isArray(first) && first.length > 0 ? String(first[0]) : undefined;
    return firstId === undefined || compareIds(firstId, lastId) > 0;
  }

  /** The value as Python's json.dumps writes it; the writer also refuses nesting deeper than 512 levels (S134). */
  #serialize(path: string, value: unknown): string {
    try {
      return pythonJsonStringify(value);
    } catch (error) {
      const location = error instanceof ValueLocationError ? error.location : '';
      const detail = error instanceof ValueLocationError ? error.detail : describe(error);
      throw new RestateSerializeError(COMPONENT, path, location, detail, { cause: error });
    }
  }

  #parse(path: string, text: Reply): unknown {
    try {
      return pythonJsonParse(String(text));
    } catch (error) {
      throw new RestateFormatError(COMPONENT, path, `${this.#keys.values} field ${path}`, describe(error), { cause: error });
    }
  }

  /** Builds a parent read from its own value and its descendants' (path, value) pairs, which start at `reply[2]`. */
  #assemble(canonical: string, own: Reply, reply: Reply[]): unknown {
    interface Node { value: unknown; hasValue: boolean; children: Map<string, Node> | undefined }
    const root: Node = { value: undefined, hasValue: false, children: undefined };
    if (own !== null && own !== undefined) {
      root.value = this.#parse(canonical, own);
      root.hasValue = true;
    }
    const skip = canonical === '/' ? 1 : canonical.length + 1;
    for (let i = 2; i + 1 < reply.length; i += 2) {
      const path = String(reply[i]);
      let node = root;
      for (const name of path.slice(skip).split('/')) {
        node.children ??= new Map();
        let child = node.children.get(name);
        if (child === undefined) {
          child = { value: undefined, hasValue: false, children: undefined };
          node.children.set(name, child);
        }
        node = child;
      }
      node.value = this.#parse(path, reply[i + 1]);
      node.hasValue = true;
    }
    const build = (node: Node): unknown => {
      if (node.children === undefined) return node.value;
      const result: Record<string, unknown> = {};
      if (node.hasValue) result[OWN_VALUE_KEY] = node.value;
      for (const name of [...node.children.keys()].sort(compareNames)) {
        const child = build(node.children.get(name)!);
        if (name === '__proto__') Object.defineProperty(result, name, { value: child, enumerable: true, writable: true, configurable: true });
        else result[name] = child;
      }
      return result;
    };
    return build(root);
  }

  #unexpected(path: string, reply: Reply): RestateBackendError {
    return new RestateBackendError(COMPONENT, `unexpected reply from Redis at ${this.address} for ${path}: ${JSON.stringify(reply)}`, { path });
  }

  #warn(message: string): void {
    (this.#options.onWarning ?? ((text: string) => console.warn(`[restate] ${text}`)))(message);
  }
}

function checkUrl(url: unknown): void {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new RestateUsageError(COMPONENT, `${JSON.stringify(url)} is not a redis:// or rediss:// URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RestateUsageError(COMPONENT, `${redactedUrl(String(url))} is not a redis:// or rediss:// URL`);
  }
}

interface StreamEntry {
  readonly id: string;
  readonly fields: Record<string, string>;
}

/** The entries of an XREAD reply for one stream: RESP3's map `{key: entries}` or RESP2's `[[key, entries]]`. */
function streamEntries(reply: Reply): StreamEntry[] {
  if (reply === null || typeof reply !== 'object') return [];
  if (!Array.isArray(reply)) {
    const [entries] = reply instanceof Map ? [...reply.values()] : Object.values(reply);
    return streamEntryList(entries);
  }
  const [stream] = reply as Reply[];
  if (!Array.isArray(stream) || stream.length < 2) return [];
  return streamEntryList(stream[1]);
}

/** A field of a reply that is a map in RESP3 and a flat list of names and values in RESP2. */
function replyField(reply: Reply, name: string): Reply {
  if (reply instanceof Map) return reply.get(name);
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return reply[i + 1];
    return undefined;
  }
  if (reply !== null && typeof reply === 'object') return (reply as Record<string, Reply>)[name];
  return undefined;
}

function streamEntryList(reply: Reply): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StreamEntry[] = [];
  for (const item of reply as Reply[]) {
    if (!Array.isArray(item) || item.length < 2 || !Array.isArray(item[1])) continue;
    const list = item[1] as Reply[];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < list.length; i += 2) fields[asText(list[i])] = asText(list[i + 1]);
    entries.push({ id: String(item[0]), fields });
  }
  return entries;
}

function asText(reply: Reply): string {
  return typeof reply === 'string' ? reply : String(reply);
}

/** Orders two stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

/** The run id of the server that answers, which changes when it restarts or when a replica takes over. */
async function serverRunId(client: Link): Promise<string> {
  const info = String(await client.send(['INFO', 'server']));
  return /run_id:(\w+)/.exec(info)?.[1] ?? '';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(error()), ms);
    })]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
