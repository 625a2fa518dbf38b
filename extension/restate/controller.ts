import { RestateUsageError } from './errors';
import { resolveConcretePath } from './path';
import type { AnyBackend, AsyncBackend, Backend, BackendChange } from './backends/backend';
import { BackendFollower, Knowledge, knowingBackend } from './follow';
import { MISSING } from './values';
import { InMemoryBackend } from './backends/memory';
import { registerDerivation, removeDerivation, type DeriveData } from './derive';
import { runAsync, runSync } from './drive';
import { Engine } from './engine';
import type { AtomSetOptions, DelStateOptions, GetStateOptions, PingOptions, SetStateOptions, TrackOptions } from './options';
import { snapshotGraph, type GraphSnapshot } from './graph';
import type { PathLike } from './path';
import type { SyncPath } from './syncPath';
import type { TraceCause, TraceListener } from './trace';
import { registerTracker, removeTrackers } from './track';
import { updateAsync, updateSync, updateTries, type UpdateOptions, type UpdateTarget } from './update';

/** Either controller. */
export type AnyController = ControllerSync | ControllerAsync;
/** What an event helper returns: `T` for ControllerSync, a promise of it for ControllerAsync. */
export type Result<C extends AnyController, T> = C extends ControllerAsync ? Promise<T> : T;

/** What a callback receives (S40). `C` is the controller kind: helpers return promises for ControllerAsync. */
export interface StateEvent<C extends AnyController = ControllerSync> {
  /** The controller that delivers the event. */
  readonly controller: C;
  /** The path that was set, deleted or pinged. */
  readonly emittingPath: string;
  /** The level being delivered. */
  readonly currentPath: string;
  /** The value at `emittingPath` before the change (`undefined`: none). */
  readonly prevValue: unknown;
  /** `undefined` after a delete. */
  readonly newValue: unknown;
  /** The `payload` option of the call that made the change. */
  readonly payload: unknown;
  /** `false` after stopBubbling(). */
  readonly bubbling: boolean;
  /** Stops delivery to the levels above this one (derivations and trackers still run) (S42). */
  stopBubbling(): void;
  /** The controller's getState; in a tracker, the path read is followed (S67). */
  getState(path: PathLike, opts?: GetStateOptions): Result<C, unknown>;
  /** The controller's setState, as a change nested in this one (S36, S43). */
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): Result<C, boolean>;
  /** The controller's delState, as a change nested in this one (S36, S43). */
  delState(path: PathLike, opts?: DelStateOptions): Result<C, boolean>;
}

/** A subscriber. Its result is ignored by ControllerSync and awaited by ControllerAsync. */
export type StateCallback<C extends AnyController = ControllerSync> = (event: StateEvent<C>) => unknown;

/** Options of the controllers' constructors. */
export interface ControllerOptions {
  /**
   * An optional limit on the length of a chain of nested changes: a change past it is refused with a
   * RestateCycleError whose `limit` is this (S38, S132). Default: none. Cycles are refused without it.
   */
  maxDepth?: number;
  /**
   * When derivation and tracker runs start being timed for `graph()`'s `lastRunMs`. `'when-observed'`
   * (the default) starts with the first `graph()` call or trace listener: until then `lastRunMs` is
   * `null`, and runs do not pay for reading the clock. `'always'` times every run, first runs included.
   */
  timeRuns?: 'always' | 'when-observed';
  /**
   * Whether the controller follows its backend's reports of changes made by others (S127), when the
   * backend has `watch`: each becomes a notification with cause `'remote'`. Default true.
   */
  followBackend?: boolean;
  /** Told when delivering someone else's change failed (a callback threw); no caller is there to be told. Default: console.error. */
  onFollowError?: (error: unknown, change: BackendChange) => void;
}

export type { UpdateOptions } from './update';

/** Options of `registerCallback` and `subscribe`. */
export interface CallbackOptions {
  /** Register under this id instead of a generated one; an id already taken throws a RestateIdError unless `replace`. */
  forceId?: string;
  /** With `forceId`, replace the callback already registered under that id (keeping its subscriptions). */
  replace?: boolean;
}

/** A change made to the storage by someone else, as `notifyChange` reports it. */
export interface ExternalChange {
  /** The node's value before the change (`undefined`: none). */
  prevValue: unknown;
  /** The node's value after it (`undefined`: deleted). */
  newValue: unknown;
  /** Anything, handed to the callbacks in their event and to the trace. */
  payload?: unknown;
  /** Who made the change, for the trace and the callbacks (default `'file'`). */
  cause?: TraceCause;
}

/** What both controllers share: callbacks, subscriptions, the graph and the trace. */
abstract class ControllerBase<C extends ControllerSync | ControllerAsync> {
  protected readonly engine: Engine;
  /** The backend as given (S21); the engine may use it through a wrapper that keeps what the controller knew (S127). */
  protected readonly givenBackend: AnyBackend;

  protected constructor(backend: AnyBackend, isAsync: boolean, options: ControllerOptions | undefined) {
    this.givenBackend = backend;
    const maxDepth = options?.maxDepth ?? Number.POSITIVE_INFINITY;
    const timeRuns = options?.timeRuns ?? 'when-observed';
    if (timeRuns !== 'always' && timeRuns !== 'when-observed') {
      throw new RestateUsageError('controller', `timeRuns must be 'always' or 'when-observed', got ${JSON.stringify(timeRuns)}`);
    }
    const follows = options?.followBackend !== false && typeof backend.watch === 'function';
    const knowledge = follows ? new Knowledge(() => this.engine.subscriptions) : undefined;
    const paths = backend instanceof InMemoryBackend ? backend.paths : undefined;
    this.engine = new Engine(knowledge === undefined ? backend : knowingBackend(backend, knowledge), isAsync, maxDepth, timeRuns === 'always', paths);
    this.engine.facade = this as unknown as C;
    if (knowledge !== undefined && typeof backend.watch === 'function') {
      const engine = this.engine;
      const onError = options?.onFollowError ?? ((error: unknown, change: BackendChange) => {
        console.error(`[restate] delivering a ${change.kind} of ${change.path} made by someone else failed:`, error);
      });
      const follower = new BackendFollower({
        read: (path) => engine.backend.read(path, MISSING),
        notifyChange: (path, change) => (this as unknown as ControllerSync | ControllerAsync).notifyChange(path, change),
        subscriptions: engine.subscriptions,
        trace: engine.trace,
      }, knowledge, onError);
      const stopWatching = backend.watch((change) => void follower.take(change));
      this.#follower = { follower, stop: stopWatching };
    }
  }

  #follower: { readonly follower: BackendFollower; readonly stop: () => void } | undefined;

  /** Stops following the backend's reports of others' changes (S127); the backend itself stays open. */
  stopFollowing(): void {
    this.#follower?.follower.stop();
    this.#follower?.stop();
    this.#follower = undefined;
  }

  /** Resolves once every change reported by the backend so far has been delivered. */
  followed(): Promise<void> {
    return this.#follower?.follower.settled() ?? Promise.resolve();
  }

  /**
   * Registers a callback without subscribing it anywhere and returns its id, for `subscribeById` (S47): the
   * function's own id if it has one. A `forceId` that holds another function throws a RestateIdError unless
   * `replace` is set.
   */
  registerCallback(cb: StateCallback<C>, opts?: CallbackOptions): string {
    return this.engine.registerCallback(cb, opts);
  }

  /** `registerCallback` then `subscribeById`; returns the id (S49). */
  subscribe(path: PathLike, cb: StateCallback<C>, opts?: CallbackOptions): string {
    return this.engine.subscribe(path, cb, opts);
  }

  /**
   * Subscribes the callback registered as `id` at `path` (wildcards allowed) and returns the id (S50). An
   * unknown id throws a RestateIdError unless `ignoreMissing`; a derivation's or tracker's id throws one too.
   */
  subscribeById(path: PathLike, id: string, opts?: { ignoreMissing?: boolean }): string {
    return this.engine.subscribeById(path, id, opts);
  }

  /**
   * Removes the subscriptions at exactly `path` of an id, or of every id registered with a function (S51).
   * A derivation's or tracker's id throws a RestateIdError, as in subscribeById: use underive or untrack.
   */
  unsubscribe(path: PathLike, cbOrId: StateCallback<C> | string): boolean {
    return this.engine.unsubscribe(path, cbOrId);
  }

  /** Removes the subscription of `id` at exactly `path`; returns whether there was one (S51). */
  unsubscribeById(path: PathLike, id: string): boolean {
    return this.engine.unsubscribe(path, id);
  }

  /** Removes a callback and all its subscriptions; for system ids, underive or untrack (S52). */
  removeCallback(id: string): boolean {
    return this.engine.removeCallback(id);
  }

  /** Removes a derivation by dest or id; the dest's value stays (S65). */
  underive(destOrId: PathLike): boolean {
    return removeDerivation(this.engine, destOrId);
  }

  /** Removes one tracker by id, or every tracker running a function (S71). */
  untrack(idOrCallback: string | StateCallback<C>): boolean {
    return removeTrackers(this.engine, idOrCallback);
  }

  /** A plain-data snapshot of derivations and trackers (S118). Runs are timed from the first call on. */
  graph(): GraphSnapshot {
    this.engine.timesRuns = true;
    return snapshotGraph(this.engine);
  }

  /** Attaches a trace listener; returns the function that detaches it (S120). Runs are timed from then on. */
  onTrace(listener: TraceListener): () => void {
    this.engine.timesRuns = true;
    return this.engine.trace.attach(listener);
  }
}

/** The synchronous controller: every backend call and callback must be synchronous (S22, S39). */
export class ControllerSync extends ControllerBase<ControllerSync> {
  constructor(backend: Backend = new InMemoryBackend(), options?: ControllerOptions) {
    super(backend, false, options);
  }

  /** The backend the controller was made with. */
  get backend(): Backend {
    return this.givenBackend as Backend;
  }

  get #plain(): SyncPath {
    return this.engine.plain!;
  }

  /**
   * The node's value (S10): its own value, or for a node with children a fresh object with one key per child
   * plus `"/"` for its own value; `opts.default` (`undefined` unless given) when it is missing (S24). Throws a
   * RestatePathError for a bad path and a RestateFormatError for a value file that cannot be parsed.
   */
  getState<T = undefined>(path: PathLike, opts?: GetStateOptions<T>): unknown {
    // Only a default that is written makes a change, which needs the current context.
    return this.#plain.getState(path, opts, opts?.writeDefault === true ? this.engine.carrier.current() : undefined);
  }

  /**
   * Writes the node's own value and, if it changed (S25), notifies the path and its ancestors, running the
   * derivations and trackers it sets off; returns whether it wrote. `undefined` throws a RestateValueError; a
   * callback that throws makes it throw a RestateCallbackError after every callback ran (the write stays).
   */
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): boolean {
    return this.#plain.setState(path, value, opts, this.engine.carrier.current());
  }

  /** Deletes the node and its subtree and notifies as setState does; returns whether there was anything to delete (S27). */
  delState(path: PathLike, opts?: DelStateOptions): boolean {
    return runSync(this.engine.delState(path, opts, this.engine.carrier.current()));
  }

  /** Notifies the node's subscribers of its current value without writing it (S29). */
  ping(path: PathLike, opts?: PingOptions): void {
    runSync(this.engine.ping(path, opts, this.engine.carrier.current()));
  }

  /** Reports a change made to the storage by someone else (S124). */
  notifyChange(path: PathLike, change: ExternalChange): void {
    runSync(this.engine.notifyChange(path, change, this.engine.carrier.current()));
  }

  /**
   * Reads the node (`undefined` when missing), writes `fn`'s result (`undefined` deletes it) and notifies as
   * setState or delState would; returns whether it changed anything (S129). On the file backends, and on
   * caching or hybrid backends over them, other `update` calls of the node, in any process, wait for this
   * one. On a backend that versions its nodes (`readVersioned`/`writeIfVersion`, synchronous here), a node
   * changed between the read and the write makes `fn` run again, up to `tries` times, then a
   * RestateConflictError. Inside a batch it reads and writes through the batch.
   */
  update(path: PathLike, fn: (value: unknown) => unknown, opts?: UpdateOptions): boolean {
    const canonical = resolveConcretePath(path, 'controller');
    return updateSync(this.#updateTarget(), canonical, fn, updateTries(opts, canonical));
  }

  #updateTarget(): UpdateTarget {
    return {
      backend: this.engine.backend,
      inBatch: this.engine.carrier.current()?.batch !== undefined,
      getState: (path) => this.getState(path),
      setState: (path, value) => this.setState(path, value),
      delState: (path) => this.delState(path),
      notifyChange: (path, change) => this.notifyChange(path, change),
    };
  }

  /**
   * Keeps `dest` equal to `transform` of the value at `source` (a path or pattern), recomputed on every change
   * at or below it and once now; returns the derivation's id (S57–S60). Deriving the same dest again replaces
   * the derivation; `underive` removes it.
   */
  derive(dest: PathLike, source: PathLike, transform: (value: unknown) => unknown, opts?: { payload?: unknown }): string {
    return runSync(registerDerivation(this.engine, dest, [source], (data) => transform(data.get(source)), opts?.payload, this.engine.carrier.current(), transform));
  }

  /** Like `derive` over several sources: `transform` reads each through its DeriveData (S61). */
  deriveMany(dest: PathLike, sources: PathLike[], transform: (data: DeriveData<ControllerSync>) => unknown, opts?: { payload?: unknown }): string {
    return runSync(registerDerivation(this.engine, dest, sources, transform, opts?.payload, this.engine.carrier.current()));
  }

  /**
   * Runs `cb` now and again whenever a path it read through its event's `getState` changes, following the
   * paths it reads in its latest run (S66–S68); returns the tracker's id, for `untrack`. `name` (default: the
   * callback's own name, if it has one) is what the graph and an inspecting explorer show for it.
   */
  track(cb: StateCallback<ControllerSync>, opts?: TrackOptions): string {
    return runSync(registerTracker(this.engine, cb, opts, this.engine.carrier.current()));
  }

  /**
   * Runs `fn` as one batch (S113–S117): its writes apply at once, notifications wait until the outermost
   * batch ends, and if `fn` throws every write it made is undone and the error rethrown.
   */
  batch<R>(fn: () => R): R {
    return runSync(this.engine.batch(fn, this.engine.carrier.current()));
  }

  /** An Atom: a handle on one path of this controller, with `defaultValue` for reads of a missing node. */
  atom<T>(path: PathLike, defaultValue?: T): Atom<T> {
    return new Atom<T>(this, path, defaultValue);
  }
}

/**
 * The asynchronous controller: awaits every backend call and callback, so it takes either kind (S22). Its
 * methods start generators inside runAsync, so what they throw (a bad path) is a rejection.
 */
export class ControllerAsync extends ControllerBase<ControllerAsync> {
  constructor(backend: Backend | AsyncBackend = new InMemoryBackend(), options?: ControllerOptions) {
    super(backend, true, options);
  }

  /** The backend the controller was made with. */
  get backend(): Backend | AsyncBackend {
    return this.givenBackend;
  }

  /** As {@link ControllerSync.getState}, resolving to the value. */
  getState<T = undefined>(path: PathLike, opts?: GetStateOptions<T>): Promise<unknown> {
    return runAsync(this.engine.getState(path, opts, this.engine.carrier.current()));
  }

  /** As {@link ControllerSync.setState}, resolving once every callback it set off has run. */
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): Promise<boolean> {
    return runAsync(this.engine.setState(path, value, opts, this.engine.carrier.current()));
  }

  /** As {@link ControllerSync.delState}. */
  delState(path: PathLike, opts?: DelStateOptions): Promise<boolean> {
    return runAsync(this.engine.delState(path, opts, this.engine.carrier.current()));
  }

  /** As {@link ControllerSync.ping}. */
  ping(path: PathLike, opts?: PingOptions): Promise<void> {
    return runAsync(this.engine.ping(path, opts, this.engine.carrier.current()));
  }

  /** Reports a change made to the storage by someone else (S124). */
  notifyChange(path: PathLike, change: ExternalChange): Promise<void> {
    return runAsync(this.engine.notifyChange(path, change, this.engine.carrier.current()));
  }

  /**
   * Reads the node (`undefined` when missing), writes `fn`'s result (`undefined` deletes it) and notifies as
   * setState or delState would; returns whether it changed anything (S129). If the node changed between the
   * read and the write, `fn` runs again on the new value (so it must be pure), up to `tries` times, then a
   * RestateConflictError. What counts as a change: on Redis, any write or delete of the node by any client;
   * on the file backends, and caching or hybrid backends over them, other `update` calls (they take a lock,
   * and `fn` runs once; a plain write does not). Inside a batch it reads and writes through the batch.
   */
  async update(path: PathLike, fn: (value: unknown) => unknown, opts?: UpdateOptions): Promise<boolean> {
    const canonical = resolveConcretePath(path, 'controller');
    const target: UpdateTarget = {
      backend: this.engine.backend,
      inBatch: this.engine.carrier.current()?.batch !== undefined,
      getState: (at) => this.getState(at),
      setState: (at, value) => this.setState(at, value),
      delState: (at) => this.delState(at),
      notifyChange: (at, change) => this.notifyChange(at, change),
    };
    return updateAsync(target, canonical, fn, updateTries(opts, canonical));
  }

  /** As {@link ControllerSync.derive}; `transform` may return a promise. */
  derive(dest: PathLike, source: PathLike, transform: (value: unknown) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return runAsync(registerDerivation(this.engine, dest, [source], (data) => transform(data.get(source)), opts?.payload, this.engine.carrier.current(), transform));
  }

  /** As {@link ControllerSync.deriveMany}; `transform` may return a promise. */
  deriveMany(dest: PathLike, sources: PathLike[], transform: (data: DeriveData<ControllerAsync>) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return runAsync(registerDerivation(this.engine, dest, sources, transform, opts?.payload, this.engine.carrier.current()));
  }

  /** As {@link ControllerSync.track}; `cb` may be async. */
  track(cb: StateCallback<ControllerAsync>, opts?: TrackOptions): Promise<string> {
    return runAsync(registerTracker(this.engine, cb, opts, this.engine.carrier.current()));
  }

  /** Like ControllerSync.batch; the batch covers the operations in `fn`'s async context (S117). */
  batch<R>(fn: () => R | Promise<R>): Promise<R> {
    return runAsync(this.engine.batch(fn, this.engine.carrier.current())) as Promise<R>;
  }

  /** An AtomAsync: a handle on one path of this controller, with `defaultValue` for reads of a missing node. */
  atom<T>(path: PathLike, defaultValue?: T): AtomAsync<T> {
    return new AtomAsync<T>(this, path, defaultValue);
  }
}

/**
 * Shared by both atom kinds: a path with a default, and nothing of its own (S72). Atoms live beside the
 * controllers: a controller makes them and they are typed by it, so a module of their own would both
 * import this one and be imported by it.
 */
abstract class AtomBase<T, C extends ControllerSync | ControllerAsync> {
  /** The controller it reads and writes through. */
  readonly controller: C;
  /** Its path, canonical. */
  readonly path: string;
  /** What reads of a missing node give (S73). */
  readonly default: T | undefined;

  constructor(controller: C, path: PathLike, defaultValue: T | undefined) {
    this.controller = controller;
    this.path = resolveConcretePath(path, 'atom');
    this.default = defaultValue;
  }

  /** Subscribes `cb` at the atom's path; returns its id. */
  subscribe(cb: StateCallback<C>, opts?: CallbackOptions): string {
    return (this.controller as ControllerSync).subscribe(this.path, cb as unknown as StateCallback, opts);
  }

  /** Subscribes the callback registered as `id` at the atom's path. */
  subscribeById(id: string, opts?: { ignoreMissing?: boolean }): string {
    return this.controller.subscribeById(this.path, id, opts);
  }

  /** Removes a subscription at the atom's path; returns whether there was one. */
  unsubscribe(cbOrId: StateCallback<C> | string): boolean {
    return (this.controller as ControllerSync).unsubscribe(this.path, cbOrId as StateCallback | string);
  }

  /** Subscribes `cb`; the returned function unsubscribes it. */
  onChange(cb: StateCallback<C>): () => void {
    const id = this.subscribe(cb);
    return () => {
      this.controller.unsubscribeById(this.path, id);
    };
  }

  /** The transform sees the atom's default while the path is missing (S73). */
  protected withDefault(transform: (value: T) => unknown): (value: unknown) => unknown {
    return (value) => transform((value === undefined ? this.default : value) as T);
  }

  /** The atom's path. */
  toString(): string {
    return this.path;
  }
}

/** A typed handle on one path of a ControllerSync, with a default for reads of a missing node (S72–S73). */
export class Atom<T> extends AtomBase<T, ControllerSync> {
  /** The value, or the default while the node is missing (written there with `writeDefault`). */
  get(opts?: { writeDefault?: boolean }): T {
    return this.controller.getState(this.path, { default: this.default, writeDefault: opts?.writeDefault }) as T;
  }

  /** Writes the value as setState does; returns whether it changed. */
  set(value: T, opts?: AtomSetOptions): boolean {
    return this.controller.setState(this.path, value, { ...opts, default: this.default });
  }

  /** Deletes the node as delState does; returns whether there was anything to delete. */
  delete(opts?: { payload?: unknown; skipNotify?: boolean }): boolean {
    return this.controller.delState(this.path, opts);
  }

  /** Notifies the atom's subscribers of its value without writing it. */
  ping(opts?: { payload?: unknown }): void {
    this.controller.ping(this.path, { ...opts, default: this.default });
  }

  /** Keeps `dest` equal to `transform` of this atom's value (its default while missing); returns the derivation's id. */
  derive(dest: PathLike, transform: (value: T) => unknown, opts?: { payload?: unknown }): string {
    return this.controller.derive(dest, this.path, this.withDefault(transform), opts);
  }

  /** Makes this atom's path a derivation of `sources`, as `deriveMany`; returns the derivation's id. */
  deriveFrom(sources: PathLike[], transform: (data: DeriveData<ControllerSync>) => unknown, opts?: { payload?: unknown }): string {
    return this.controller.deriveMany(this.path, sources, transform, opts);
  }
}

/** A typed handle on one path of a ControllerAsync, with a default for reads of a missing node (S72–S73). */
export class AtomAsync<T> extends AtomBase<T, ControllerAsync> {
  /** As {@link Atom.get}. */
  async get(opts?: { writeDefault?: boolean }): Promise<T> {
    return (await this.controller.getState(this.path, { default: this.default, writeDefault: opts?.writeDefault })) as T;
  }

  /** As {@link Atom.set}. */
  set(value: T, opts?: AtomSetOptions): Promise<boolean> {
    return this.controller.setState(this.path, value, { ...opts, default: this.default });
  }

  /** As {@link Atom.delete}. */
  delete(opts?: { payload?: unknown; skipNotify?: boolean }): Promise<boolean> {
    return this.controller.delState(this.path, opts);
  }

  /** As {@link Atom.ping}. */
  ping(opts?: { payload?: unknown }): Promise<void> {
    return this.controller.ping(this.path, { ...opts, default: this.default });
  }

  /** As {@link Atom.derive}. */
  derive(dest: PathLike, transform: (value: T) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return this.controller.derive(dest, this.path, this.withDefault(transform), opts);
  }

  /** As {@link Atom.deriveFrom}. */
  deriveFrom(sources: PathLike[], transform: (data: DeriveData<ControllerAsync>) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return this.controller.deriveMany(this.path, sources, transform, opts);
  }
}
