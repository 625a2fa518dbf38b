import {
  RestateBackendError,
  RestateFormatError,
  RestatePathError,
  RestateSerializeError,
  RestateUsageError,
  RestateValueError,
  describeError,
} from '../errors';
import { childOf, parentOf, resolveConcretePath, splitPath } from '../path';
import type { PathLike } from '../path';
import { MISSING, compareNames, isPlainObject } from '../values';
import { findUnreadable } from '../unreadable';
import type { AnyBackend, AsyncBackend, Backend } from './backend';
import { NO_VALUE, assembleRead, deleteStep, listStep, readStep, readTolerantStep, runAsync, runSync, splitRead, writeStep } from './drive';
import type { Steps } from './drive';

const COMPONENT = 'caching';
/** setTimeout fires at once for delays above this, so longer intervals are left to the other triggers. */
const MAX_TIMER_DELAY_MS = 0x7fffffff;

export interface CachingOptions {
  /** Seconds between flushes (S108); default 5. `0` flushes on every trigger operation; `Infinity` never by time. */
  flushInterval?: number;
  /** Whether a read may trigger a flush; default false. */
  flushOnRead?: boolean;
  /** Whether a write triggers a flush; default true. */
  flushOnWrite?: boolean;
  /** Whether a delete triggers a flush; default true. */
  flushOnDelete?: boolean;
  /**
   * Called when a flush started by the timer (or at process exit) fails. The error is also thrown by the next
   * write, delete, flush or close. Errors thrown by this callback are ignored: it runs where nobody could catch them.
   */
  onFlushError?: (error: unknown) => void;
}

export interface InvalidateOptions {
  /**
   * Whether the cached reads below the path go too; default true. `false` drops only the node's own read
   * and the parent reads containing it: for a change of its value file alone, which leaves its children as
   * they were.
   */
  subtree?: boolean;
}

type PendingOp =
  | { readonly kind: 'write'; readonly path: string; readonly value: unknown }
  | { readonly kind: 'delete'; readonly path: string };

type TriggerKind = 'read' | 'write' | 'delete';

/**
 * The pending operations as a tree, so reads can combine them with the inner backend without replaying the
 * queue. `cleared` marks a pending delete: the inner backend's data at and below the node no longer counts.
 */
interface OverlayNode {
  value: unknown;
  cleared: boolean;
  children: Map<string, OverlayNode> | undefined;
}

function newOverlayNode(): OverlayNode {
  return { value: NO_VALUE, cleared: false, children: undefined };
}

function isEmptyOverlay(node: OverlayNode): boolean {
  return node.value === NO_VALUE && !node.cleared && node.children === undefined;
}

/** Errors that refuse the operation itself, so retrying it can never succeed. */
function isRefusal(error: unknown): boolean {
  return error instanceof RestateSerializeError || error instanceof RestateValueError || error instanceof RestatePathError;
}

/**
 * Plain objects of a cached read are copied on the way out: a parent read handed to a caller must not share
 * its structure with the cache (S16). Arrays and other leaf values stay shared, as S19 allows.
 */
function copyNodes(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: copyNodes(value[key]), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function nowMs(): number {
  return performance.now();
}

/**
 * The cache, the queue and the flush policy of S106–S111, with the algorithms written once as step
 * generators. The cache holds the inner backend's reads; the overlay holds the queue's effect on top of them.
 */
class CachingCore<B extends AnyBackend> {
  readonly inner: B;
  readonly queue: PendingOp[] = [];
  readonly #intervalMs: number;
  readonly #triggers: Record<TriggerKind, boolean>;
  readonly #onFlushError: ((error: unknown) => void) | undefined;
  #overlay: OverlayNode = newOverlayNode();
  readonly #values = new Map<string, unknown>();
  readonly #lists = new Map<string, string[]>();
  /** Every path cached in #values or #lists, as a tree, so invalidating a subtree visits only that subtree. */
  #index: IndexNode = newIndexNode();
  /** Bumped whenever cached entries are dropped, so a read that raced with the drop does not store stale data. */
  #epoch = 0;
  #lastFlush = nowMs();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deferred: { error: unknown } | undefined;
  state: 'open' | 'closing' | 'closed' = 'open';

  constructor(inner: B, options: CachingOptions) {
    const interval = options.flushInterval ?? 5;
    if (typeof interval !== 'number' || Number.isNaN(interval) || interval < 0) {
      throw new RestateUsageError(COMPONENT, `flushInterval must be a number of seconds >= 0, got ${String(interval)}`);
    }
    this.inner = inner;
    this.#intervalMs = interval * 1000;
    this.#triggers = {
      read: options.flushOnRead ?? false,
      write: options.flushOnWrite ?? true,
      delete: options.flushOnDelete ?? true,
    };
    this.#onFlushError = options.onFlushError;
  }

  checkOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new RestateUsageError(COMPONENT, `cannot ${operation}: the caching backend is ${this.state === 'closed' ? 'closed' : 'closing'}`);
    }
  }

  /** Throws, once, the error of a failed timer flush (S109). */
  throwDeferred(): void {
    const deferred = this.#deferred;
    if (deferred === undefined) return;
    this.#deferred = undefined;
    throw deferred.error;
  }

  reportBackgroundError(error: unknown): void {
    this.#deferred = { error };
    try {
      this.#onFlushError?.(error);
    } catch {
      // Nobody up the stack of a timer or an exit hook could catch it; the error is still deferred (S109).
    }
  }

  enqueueWrite(path: PathLike, value: unknown): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, canonical, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${canonical}: delete the path instead`);
    }
    const op: PendingOp = { kind: 'write', path: canonical, value };
    this.queue.push(op);
    applyToOverlay(this.#overlay, op);
  }

  enqueueDelete(path: PathLike): void {
    const op: PendingOp = { kind: 'delete', path: resolveConcretePath(path, COMPONENT) };
    this.queue.push(op);
    applyToOverlay(this.#overlay, op);
  }

  /** What should follow an operation of `kind` (S108): a flush now, a timer, or nothing. */
  afterOperation(kind: TriggerKind): 'flush' | 'arm' | 'none' {
    if (!this.#triggers[kind] || this.queue.length === 0) return 'none';
    if (nowMs() - this.#lastFlush >= this.#intervalMs) return 'flush';
    return kind !== 'read' && this.#timer === undefined ? 'arm' : 'none';
  }

  armTimer(onFire: () => void): void {
    const delay = this.#lastFlush + this.#intervalMs - nowMs();
    if (delay > MAX_TIMER_DELAY_MS) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      onFire();
    }, Math.max(0, delay));
    // A pending flush must not keep the process alive; the sync class flushes at exit instead.
    timer.unref?.();
    this.#timer = timer;
  }

  stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The read through the cache and the queue; `tolerant` for an old value (S131, Backend.readTolerant). */
  *read(path: PathLike, tolerant: boolean): Steps<unknown> {
    const canonical = resolveConcretePath(path, COMPONENT);
    try {
      return yield* this.#readAt(canonical, false);
    } catch (error) {
      if (!(error instanceof RestateFormatError)) throw error;
    }
    // A pending write or delete may replace what cannot be parsed (S107): read again, tolerating it, and
    // throw only if some of it still shows.
    const value = yield* this.#readAt(canonical, true);
    const unreadable = tolerant ? undefined : findUnreadable(value);
    if (unreadable !== undefined) throw unreadable.error;
    return value;
  }

  *#readAt(canonical: string, tolerant: boolean): Steps<unknown> {
    const { node, hidden } = this.#overlayAt(canonical);
    if (node === undefined) return hidden ? MISSING : yield* this.#innerRead(canonical, tolerant);
    return yield* this.#readOverlaid(canonical, node, hidden, undefined, tolerant);
  }

  *listChildren(path: PathLike): Steps<string[]> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const { node, hidden } = this.#overlayAt(canonical);
    if (node === undefined) return hidden ? [] : yield* this.#innerList(canonical);
    const names = new Set(hidden ? [] : yield* this.#innerList(canonical));
    for (const [name, child] of node.children ?? []) {
      const childHidden = hidden || child.cleared;
      if (yield* this.#existsOverlaid(childOf(canonical, name), child, childHidden, names.has(name))) names.add(name);
      else names.delete(name);
    }
    return [...names].sort(compareNames);
  }

  /**
   * Applies the queue to the inner backend in order (S108). On failure the failed operation and the later
   * ones stay queued (S109), except an operation the inner backend refuses outright (a value it cannot
   * store, a name it cannot use): it is dropped, since retrying could never succeed, and its error is thrown.
   */
  *flush(): Steps<void> {
    const count = this.queue.length;
    let done = 0;
    let failure: { error: unknown } | undefined;
    try {
      for (; done < count; done++) {
        const op = this.queue[done];
        if (op.kind === 'write') yield* writeStep(this.inner, op.path, op.value);
        else yield* deleteStep(this.inner, op.path);
      }
    } catch (error) {
      failure = { error };
    }
    const flushed = this.queue.slice(0, done);
    const failed = this.queue[done];
    const refused = failure !== undefined && isRefusal(failure.error);
    this.queue.splice(0, refused ? done + 1 : done);
    this.#forget(flushed.map((op) => op.path));
    this.#overlay = newOverlayNode();
    for (const op of this.queue) applyToOverlay(this.#overlay, op);
    this.#lastFlush = nowMs();
    if (this.queue.length === 0) this.stopTimer();
    if (failure === undefined) return;
    if (refused) throw failure.error;
    const left = this.queue.length - 1;
    throw new RestateBackendError(
      COMPONENT,
      `cannot flush the ${failed.kind} of ${failed.path} to the inner backend: ${describeError(failure.error)}; ` +
        `it and ${left} later operation${left === 1 ? '' : 's'} stay queued for the next flush`,
      { path: failed.path, cause: failure.error },
    );
  }

  /** Drops cached reads at and below `path` and the parent reads that contain them (S110). */
  invalidate(path: PathLike, options: InvalidateOptions): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (options.subtree ?? true) {
      this.#forget([canonical]);
      return;
    }
    this.#epoch++;
    for (let current = canonical; ; current = parentOf(current)) {
      this.#dropOne(current);
      if (current === '/') break;
    }
  }

  /**
   * Drops the cached reads at and below each path, and those of their ancestors, which contain them. Called
   * for every flushed operation and every external change, so it costs the size of the dropped subtrees,
   * never the size of the whole cache.
   */
  #forget(paths: readonly string[]): void {
    if (paths.length === 0) return;
    this.#epoch++;
    if (paths.includes('/')) {
      this.#values.clear();
      this.#lists.clear();
      this.#index = newIndexNode();
      return;
    }
    for (const path of paths) {
      this.#dropOne('/');
      let node: IndexNode | undefined = this.#index;
      const names = splitPath(path);
      let current = '/';
      for (let depth = 0; depth < names.length && node !== undefined; depth++) {
        const parent: IndexNode = node;
        node = parent.children?.get(names[depth]);
        current = childOf(current, names[depth]);
        if (node === undefined) break;
        if (depth === names.length - 1) {
          parent.children!.delete(names[depth]);
          this.#dropSubtree(current, node);
        } else {
          this.#dropOne(current);
        }
      }
    }
  }

  #dropOne(path: string): void {
    this.#values.delete(path);
    this.#lists.delete(path);
  }

  #dropSubtree(path: string, node: IndexNode): void {
    this.#dropOne(path);
    for (const [name, child] of node.children ?? []) this.#dropSubtree(childOf(path, name), child);
  }

  /** Records a cached path in the index. */
  #indexPath(canonical: string): void {
    let node = this.#index;
    for (const name of splitPath(canonical)) {
      node.children ??= new Map();
      let child = node.children.get(name);
      if (child === undefined) {
        child = newIndexNode();
        node.children.set(name, child);
      }
      node = child;
    }
  }

  /** MISSING is never cached (S110). */
  *#innerRead(canonical: string, tolerant: boolean): Steps<unknown> {
    if (this.#values.has(canonical)) return copyNodes(this.#values.get(canonical));
    const epoch = this.#epoch;
    let value: unknown;
    try {
      value = yield* readStep(this.inner, canonical);
    } catch (error) {
      // A tolerant read is not cached: a later plain read of the same node must still throw.
      if (!tolerant || !(error instanceof RestateFormatError)) throw error;
      return yield* readTolerantStep(this.inner, canonical);
    }
    if (value !== MISSING && epoch === this.#epoch) {
      this.#values.set(canonical, value);
      this.#indexPath(canonical);
    }
    return copyNodes(value);
  }

  /** Empty lists are not cached either, for the same reason as MISSING: they say nothing is there yet. */
  *#innerList(canonical: string): Steps<string[]> {
    const cached = this.#lists.get(canonical);
    if (cached !== undefined) return [...cached];
    const epoch = this.#epoch;
    const names = yield* listStep(this.inner, canonical);
    if (names.length > 0 && epoch === this.#epoch) {
      this.#lists.set(canonical, [...names]);
      this.#indexPath(canonical);
    }
    return names;
  }

  /** The overlay node at `canonical` if it changes anything, and whether a pending delete hides the inner data. */
  #overlayAt(canonical: string): { node: OverlayNode | undefined; hidden: boolean } {
    let node: OverlayNode | undefined = this.#overlay;
    let hidden = node.cleared;
    for (const name of splitPath(canonical)) {
      node = node.children?.get(name);
      if (node === undefined) return { node, hidden };
      hidden ||= node.cleared;
    }
    return { node: isEmptyOverlay(node) ? undefined : node, hidden };
  }

  /** Combines the inner node (unless hidden) with the pending changes at and below it (S107). */
  *#readOverlaid(canonical: string, node: OverlayNode, hidden: boolean, known: { value: unknown } | undefined, tolerant: boolean): Steps<unknown> {
    let own: unknown = NO_VALUE;
    let children = new Map<string, unknown>();
    if (!hidden) {
      const names = yield* this.#innerList(canonical);
      const read = known !== undefined ? known.value : yield* this.#innerRead(canonical, tolerant);
      ({ own, children } = splitRead(read, names));
    }
    if (node.value !== NO_VALUE) own = node.value;
    for (const [name, child] of node.children ?? []) {
      const childHidden = hidden || child.cleared;
      const innerChild = !childHidden && children.has(name) ? { value: children.get(name) } : undefined;
      const value = yield* this.#readOverlaid(childOf(canonical, name), child, childHidden, innerChild, tolerant);
      if (value === MISSING) children.delete(name);
      else children.set(name, value);
    }
    return assembleRead(own, [...children]);
  }

  /** Whether a node exists once the pending changes apply, reading a value only when nothing else decides it. */
  *#existsOverlaid(canonical: string, node: OverlayNode, hidden: boolean, innerListsIt: boolean): Steps<boolean> {
    if (node.value !== NO_VALUE) return true;
    const innerNames = hidden ? [] : yield* this.#innerList(canonical);
    const listed = new Set(innerNames);
    for (const [name, child] of node.children ?? []) {
      if (yield* this.#existsOverlaid(childOf(canonical, name), child, hidden || child.cleared, listed.has(name))) return true;
    }
    if (hidden) return false;
    if (innerNames.some((name) => node.children?.has(name) !== true)) return true;
    if (innerNames.length === 0 && innerListsIt) return true;
    return splitRead(yield* this.#innerRead(canonical, false), innerNames).own !== NO_VALUE;
  }
}

/** A node of the index of cached paths; it only gives their shape, the maps hold the data. */
interface IndexNode {
  children: Map<string, IndexNode> | undefined;
}

function newIndexNode(): IndexNode {
  return { children: undefined };
}

function applyToOverlay(root: OverlayNode, op: PendingOp): void {
  let node = root;
  for (const name of splitPath(op.path)) {
    node.children ??= new Map();
    let child = node.children.get(name);
    if (child === undefined) {
      child = newOverlayNode();
      node.children.set(name, child);
    }
    node = child;
  }
  if (op.kind === 'write') {
    node.value = op.value;
  } else {
    node.value = NO_VALUE;
    node.cleared = true;
    node.children = undefined;
  }
}

/** Flushes of every open CachingSyncBackend, run by the one shared `exit` hook (S111). */
const exitFlushes = new Set<() => void>();

function flushAllAtExit(): void {
  for (const flush of [...exitFlushes]) flush();
}

function registerExitFlush(flush: () => void): void {
  if (typeof process === 'undefined' || typeof process.on !== 'function') return;
  if (exitFlushes.size === 0) process.on('exit', flushAllAtExit);
  exitFlushes.add(flush);
}

function unregisterExitFlush(flush: () => void): void {
  if (!exitFlushes.delete(flush)) return;
  if (exitFlushes.size === 0) process.off('exit', flushAllAtExit);
}

/**
 * A write-behind cache over a synchronous backend (S106–S111). Writes and deletes take effect in reads at once
 * and reach the inner backend on the next flush: after a trigger operation once `flushInterval` has passed,
 * on the timer, on `flush()`, on `close()`, and at process exit.
 */
export class CachingSyncBackend implements Backend {
  readonly #core: CachingCore<Backend>;
  #flushing = false;
  readonly #backgroundFlush = (): void => {
    try {
      this.#flushNow();
    } catch (error) {
      this.#core.reportBackgroundError(error);
    }
  };

  constructor(inner: Backend, options: CachingOptions = {}) {
    this.#core = new CachingCore(inner, options);
    registerExitFlush(this.#backgroundFlush);
  }

  get inner(): Backend {
    return this.#core.inner;
  }

  /** How many operations wait to be flushed. */
  get pendingCount(): number {
    return this.#core.queue.length;
  }

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    this.#core.checkOpen('read');
    const value = runSync(this.#core.read(path, false), COMPONENT);
    this.#after('read');
    return value === MISSING ? (arguments.length < 2 ? MISSING : dflt) : value;
  }

  /** A read in which the inner backend's unparsable values are UnreadableValues (S131); never cached. Counts as a read. */
  readTolerant(path: string): unknown {
    this.#core.checkOpen('read');
    const value = runSync(this.#core.read(path, true), COMPONENT);
    this.#after('read');
    return value;
  }

  /** Counts as a read for `flushOnRead`. */
  listChildren(path: string): string[] {
    this.#core.checkOpen('list children');
    const names = runSync(this.#core.listChildren(path), COMPONENT);
    this.#after('read');
    return names;
  }

  write(path: string, value: unknown): void {
    this.#core.checkOpen('write');
    this.#core.throwDeferred();
    this.#core.enqueueWrite(path, value);
    this.#after('write');
  }

  delete(path: string): void {
    this.#core.checkOpen('delete');
    this.#core.throwDeferred();
    this.#core.enqueueDelete(path);
    this.#after('delete');
  }

  /** Applies every pending operation to the inner backend now. */
  flush(): void {
    this.#core.checkOpen('flush');
    this.#flushNow();
    this.#core.throwDeferred();
  }

  /** Drops cached reads at and below `path` (and the parent reads containing them); pending operations stay. */
  invalidate(path: PathLike = '/', options: InvalidateOptions = {}): void {
    this.#core.checkOpen('invalidate');
    this.#core.invalidate(path, options);
  }

  /** Flushes, stops the timer and the exit hook; later operations throw. If the flush fails, it stays open. */
  close(): void {
    if (this.#core.state === 'closed') return;
    this.#core.stopTimer();
    this.#core.state = 'closing';
    try {
      this.#flushNow();
    } catch (error) {
      this.#core.state = 'open';
      throw error;
    }
    this.#core.state = 'closed';
    unregisterExitFlush(this.#backgroundFlush);
    this.#core.throwDeferred();
  }

  #after(kind: TriggerKind): void {
    const action = this.#core.afterOperation(kind);
    if (action === 'flush') this.#flushNow();
    else if (action === 'arm') this.#core.armTimer(this.#backgroundFlush);
  }

  #flushNow(): void {
    // Only an inner backend calling back into this one could get here during a flush; it must not start another.
    if (this.#flushing || this.#core.queue.length === 0) return;
    this.#flushing = true;
    try {
      runSync(this.#core.flush(), COMPONENT);
    } finally {
      this.#flushing = false;
    }
  }
}

/**
 * The asynchronous write-behind cache, over a backend of either kind. It has no exit hook (an exit handler
 * cannot wait), so callers must await `close()` before the process ends.
 */
export class CachingAsyncBackend implements AsyncBackend {
  readonly #core: CachingCore<AnyBackend>;
  #running: Promise<void> | undefined;
  readonly #timerFlush = (): void => {
    this.#flushNow().catch((error: unknown) => this.#core.reportBackgroundError(error));
  };

  constructor(inner: AnyBackend, options: CachingOptions = {}) {
    this.#core = new CachingCore<AnyBackend>(inner, options);
  }

  get inner(): AnyBackend {
    return this.#core.inner;
  }

  /** How many operations wait to be flushed. */
  get pendingCount(): number {
    return this.#core.queue.length;
  }

  async read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown> {
    const useDefault = arguments.length >= 2;
    this.#core.checkOpen('read');
    const value = await runAsync(this.#core.read(path, false));
    await this.#after('read');
    return value === MISSING ? (useDefault ? dflt : MISSING) : value;
  }

  /** A read in which the inner backend's unparsable values are UnreadableValues (S131); never cached. Counts as a read. */
  async readTolerant(path: string): Promise<unknown> {
    this.#core.checkOpen('read');
    const value = await runAsync(this.#core.read(path, true));
    await this.#after('read');
    return value;
  }

  /** Counts as a read for `flushOnRead`. */
  async listChildren(path: string): Promise<string[]> {
    this.#core.checkOpen('list children');
    const names = await runAsync(this.#core.listChildren(path));
    await this.#after('read');
    return names;
  }

  async write(path: string, value: unknown): Promise<void> {
    this.#core.checkOpen('write');
    this.#core.throwDeferred();
    this.#core.enqueueWrite(path, value);
    await this.#after('write');
  }

  async delete(path: string): Promise<void> {
    this.#core.checkOpen('delete');
    this.#core.throwDeferred();
    this.#core.enqueueDelete(path);
    await this.#after('delete');
  }

  /** Applies every pending operation to the inner backend now, after any flush already running. */
  async flush(): Promise<void> {
    this.#core.checkOpen('flush');
    await this.#flushNow();
    this.#core.throwDeferred();
  }

  /** Drops cached reads at and below `path` (and the parent reads containing them); pending operations stay. */
  invalidate(path: PathLike = '/', options: InvalidateOptions = {}): void {
    this.#core.checkOpen('invalidate');
    this.#core.invalidate(path, options);
  }

  /** Flushes and stops the timer; later operations throw. If the flush fails, it stays open. */
  async close(): Promise<void> {
    if (this.#core.state === 'closed') return;
    this.#core.stopTimer();
    this.#core.state = 'closing';
    try {
      await this.#flushNow();
    } catch (error) {
      this.#core.state = 'open';
      throw error;
    }
    this.#core.state = 'closed';
    this.#core.throwDeferred();
  }

  async #after(kind: TriggerKind): Promise<void> {
    const action = this.#core.afterOperation(kind);
    if (action === 'flush') await this.#flushNow();
    else if (action === 'arm') this.#core.armTimer(this.#timerFlush);
  }

  /** Flushes never overlap (S109): wait for the running one, then flush what is still queued. */
  async #flushNow(): Promise<void> {
    while (this.#running !== undefined) await this.#running.catch(() => undefined);
    if (this.#core.queue.length === 0) return;
    const run = runAsync(this.#core.flush());
    this.#running = run;
    try {
      await run;
    } finally {
      if (this.#running === run) this.#running = undefined;
    }
  }
}
