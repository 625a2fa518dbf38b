import * as vscode from 'vscode';
import { ControllerAsync, MISSING, RestateUsageError, type AsyncBackend, type TraceRecord } from '../restate';
import type { BackendChange, RedisBackend } from '../restate/redis';
import type { RedisRootSetting } from './redisRoots';
import { ownValueOf, stateChangeOf, type StateChange, type StateHost, type UnreadableFile } from './stateHost';

/** How a Redis root's connection is: shown on its row in the State Explorer. */
export type RedisConnection =
  | { readonly state: 'connecting' }
  | { readonly state: 'connected' }
  | { readonly state: 'reconnecting'; readonly message: string }
  | { readonly state: 'error'; readonly message: string; readonly needsPassword?: boolean };

export interface RedisStateHostOptions {
  readonly root: RedisRootSetting;
  /** The backend class, from `import('../restate/redis')`: the Redis client loads only when a root is configured. */
  readonly RedisBackend: typeof RedisBackend;
  /** The workspace folder whose settings listed the root. */
  readonly workspaceFolder: vscode.WorkspaceFolder;
  /** How long notified changes are collected before onDidChangeState fires. */
  readonly changeDelayMs?: number;
  /** How often a lost server is tried again. */
  readonly retryDelayMs?: number;
  /**
   * How often a connected server is asked whether it is still there, so that its loss shows on the root
   * even while nobody reads; default 2 s.
   */
  readonly heartbeatMs?: number;
  readonly log?: vscode.LogOutputChannel;
  /** The password from VS Code's secret storage, if one was given: never from the settings. */
  readonly password?: string;
}

/**
 * A Redis state root: a ControllerAsync over a RedisBackend, which reports other processes' writes through
 * its change feed (S126–S127, cause 'remote'). It has no files and no cache: every read goes to the server,
 * so nothing here can be stale. A lost server makes reads and writes fail at once (the tree shows the error
 * on the root); the root keeps trying, and when the server answers again the tree is read anew.
 */
export class RedisStateHost implements StateHost {
  readonly kind = 'redis';
  readonly id: string;
  readonly label: string;
  readonly readOnly: boolean;
  readonly runsWorkspaceDefinitions: boolean;
  readonly workspaceFolder: vscode.WorkspaceFolder;
  readonly root: RedisRootSetting;
  readonly redis: RedisBackend;
  readonly controller: ControllerAsync;
  /** The password it connects with, from the secret storage; undefined for none. */
  readonly password: string | undefined;

  readonly #changed = new vscode.EventEmitter<readonly StateChange[]>();
  readonly onDidChangeState = this.#changed.event;
  readonly #connectionChanged = new vscode.EventEmitter<RedisConnection>();
  /** Fires when the connection's state changes; after a lost server came back, everything shown is to be read again. */
  readonly onDidChangeConnection = this.#connectionChanged.event;

  readonly #backend: GuardedRedisBackend;
  readonly #changeDelayMs: number;
  readonly #retryDelayMs: number;
  readonly #heartbeatMs: number;
  readonly #log: vscode.LogOutputChannel | undefined;
  readonly #detachTrace: () => void;
  #connection: RedisConnection = { state: 'connecting' };
  #collected: StateChange[] = [];
  #changeTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #probing: Promise<void> | undefined;
  #disposed = false;

  constructor(options: RedisStateHostOptions) {
    const { root } = options;
    this.root = root;
    this.id = root.id;
    this.label = root.label;
    this.readOnly = root.readOnly;
    this.runsWorkspaceDefinitions = root.allowWorkspaceWrites && !root.readOnly;
    this.workspaceFolder = options.workspaceFolder;
    this.#changeDelayMs = options.changeDelayMs ?? 15;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#heartbeatMs = options.heartbeatMs ?? 2000;
    this.#log = options.log;
    this.password = options.password;
    this.redis = new options.RedisBackend({
      url: withPassword(root.url, options.password),
      prefix: root.prefix,
      connectTimeoutMs: 3000,
      onWarning: (message) => this.#log?.warn(`${this.label}: ${message}`),
    });
    this.#backend = new GuardedRedisBackend(this.redis, root, (error) => this.#onOutcome(error));
    this.controller = new ControllerAsync(this.#backend, {
      timeRuns: 'always',
      onFollowError: (error, change) => this.#log?.error(`${this.label}: cannot deliver a ${change.kind} of ${change.path} made by another process: ${messageOf(error)}`),
    });
    this.#detachTrace = this.controller.onTrace((record) => this.#onTrace(record));
    void this.#probe();
  }

  get connection(): RedisConnection {
    return this.#connection;
  }

  /** Where the root is, without credentials: `prefix` on `redis://host:port`. */
  get address(): string {
    return `${this.root.prefix} on ${this.redis.address}`;
  }

  async readOwnValue(path: string): Promise<unknown> {
    // A node with children reads as its merged subtree, its own value under "/" (S10).
    const [children, read] = await Promise.all([this.#backend.listChildren(path), this.#backend.read(path, MISSING)]);
    if (read === MISSING) return MISSING;
    const own = ownValueOf(read, children.length > 0);
    return own.hasValue ? own.value : MISSING;
  }

  /** Values in Redis are JSON written by the backend: none is unreadable the way a hand-edited file can be. */
  get unreadable(): ReadonlyMap<string, UnreadableFile> {
    return new Map();
  }

  noteRead(): void {}

  async settled(): Promise<void> {
    await this.controller.followed();
    if (this.#changeTimer !== undefined) {
      clearTimeout(this.#changeTimer);
      this.#fireChanges();
    }
  }

  /** Nothing is cached: the next read is the server's. */
  async reload(): Promise<void> {
    await this.settled();
  }

  /** Tries the server now, as after a lost connection; resolves once it answered or failed. */
  retry(): Promise<void> {
    return this.#probe();
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#changeTimer !== undefined) clearTimeout(this.#changeTimer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#detachTrace();
    this.controller.stopFollowing();
    this.#changed.dispose();
    this.#connectionChanged.dispose();
    this.redis.close().catch(() => {});
  }

  /** Every operation tells how it went: a failure may mean the server is gone, which a probe tells apart. */
  #onOutcome(error: unknown): void {
    if (this.#disposed) return;
    if (error === undefined) {
      if (this.#connection.state !== 'connected' && this.#probing === undefined) void this.#probe();
      return;
    }
    if (error instanceof RestateUsageError) return;
    if (this.#probing === undefined) void this.#probe();
  }

  #probe(): Promise<void> {
    this.#probing ??= (async () => {
      try {
        await this.redis.listChildren('/');
        this.#setConnection({ state: 'connected' });
        this.#scheduleRetry(this.#heartbeatMs);
      } catch (error) {
        const message = messageOf(error);
        if (/\b(NOAUTH|WRONGPASS)\b/.test(message)) {
          // Trying again cannot help: the password is what has to change.
          this.#setConnection({ state: 'error', message, needsPassword: true });
          return;
        }
        // A server that answered before is being waited for; one never reached is an error until it answers.
        this.#setConnection(this.#connection.state === 'connected' || this.#connection.state === 'reconnecting'
          ? { state: 'reconnecting', message }
          : { state: 'error', message });
        this.#scheduleRetry();
      } finally {
        this.#probing = undefined;
      }
    })();
    return this.#probing;
  }

  /** The next probe: soon after a failure, a heartbeat while connected. */
  #scheduleRetry(delayMs = this.#retryDelayMs): void {
    if (this.#disposed || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#disposed) void this.#probe();
    }, delayMs);
  }

  #setConnection(next: RedisConnection): void {
    if (this.#disposed) return;
    const previous = this.#connection;
    if (previous.state === next.state && ('message' in previous ? previous.message : '') === ('message' in next ? next.message : '')) return;
    this.#connection = next;
    if (next.state === 'connected') this.#log?.info(`${this.label}: connected to ${this.address}`);
    else if (next.state !== 'connecting') this.#log?.error(`${this.label}: ${next.state === 'reconnecting' ? 'lost' : 'cannot reach'} ${this.address}: ${next.message}`);
    this.#connectionChanged.fire(next);
  }

  #onTrace(record: TraceRecord): void {
    const change = stateChangeOf(record);
    if (change === undefined) return;
    this.#collected.push(change);
    this.#changeTimer ??= setTimeout(() => this.#fireChanges(), this.#changeDelayMs);
  }

  #fireChanges(): void {
    this.#changeTimer = undefined;
    const changes = this.#collected;
    this.#collected = [];
    if (changes.length > 0) this.#changed.fire(changes);
  }
}

/**
 * The RedisBackend as the root's controller sees it: writes and deletes refused for a read-only root, and
 * every operation's outcome told to the host, which follows the connection's state from them.
 */
class GuardedRedisBackend implements AsyncBackend {
  constructor(
    private readonly inner: RedisBackend,
    private readonly root: RedisRootSetting,
    private readonly onOutcome: (error?: unknown) => void,
  ) {}

  read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown> {
    const withDefault = arguments.length >= 2;
    return this.#tracked(() => (withDefault ? this.inner.read(path, dflt) : this.inner.read(path)));
  }

  readVersioned(path: string): Promise<{ value: unknown; version: string }> {
    return this.#tracked(() => this.inner.readVersioned(path));
  }

  writeIfVersion(path: string, value: unknown, version: string): Promise<boolean> {
    return this.#tracked(() => {
      this.#checkWritable(path);
      return this.inner.writeIfVersion(path, value, version);
    });
  }

  write(path: string, value: unknown): Promise<void> {
    return this.#tracked(() => {
      this.#checkWritable(path);
      return this.inner.write(path, value);
    });
  }

  delete(path: string): Promise<void> {
    return this.#tracked(() => {
      this.#checkWritable(path);
      return this.inner.delete(path);
    });
  }

  listChildren(path: string): Promise<string[]> {
    return this.#tracked(() => this.inner.listChildren(path));
  }

  watch(onChange: (change: BackendChange) => void): () => void {
    return this.inner.watch(onChange);
  }

  #checkWritable(path: string): void {
    if (this.root.readOnly) {
      throw new RestateUsageError('redis', `${this.root.label} is a read-only Redis root (restate.redisRoots): ${path} was not changed`);
    }
  }

  async #tracked<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.onOutcome();
      return result;
    } catch (error) {
      this.onOutcome(error);
      throw error;
    }
  }
}

/** The root's URL with the password from the secret storage; the setting's URL never holds one. */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
