import {
  RestateBackendError,
  RestateConflictError,
  RestateFormatError,
  RestatePathError,
  RestateSerializeError,
  RestateUsageError,
  RestateValueError,
  describeError,
} from '../errors';
import { childOf, isAtOrBelow, parentOf, resolveConcretePath, splitPath } from '../path';
import type { PathLike } from '../path';
import { MISSING, compareNames, deepEqual, isPlainObject } from '../values';
import { findUnreadable } from '../unreadable';
import type { AnyBackend, AsyncBackend, Backend, BackendChange } from './backend';
import { runAsync, runSync } from '../drive';
import { assembleRead, deleteStep, listStep, readStep, readTolerantStep, refusalOfAsync, splitRead, writeStep } from './drive';
import type { Steps } from './drive';

const COMPONENT = 'caching';
const REFUSE_ASYNC = refusalOfAsync(COMPONENT);
/** setTimeout fires at once for delays above this, so longer intervals are left to the other triggers. */
const MAX_TIMER_DELAY_MS = 0x7fffffff;

/** Options of CachingSyncBackend and CachingAsyncBackend. */
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
  /**
   * Called when a flush finds a node that another writer changed since this cache last read or wrote it
   * (S130): the other writer's value was kept and the pending operations on that node were dropped. Without
   * it, the error is thrown by the call that ran the flush (`flush`, `close`, or a `write` or `delete` that
   * flushed), or, after a timer flush, by the next of those calls. Errors thrown by it are ignored.
   */
  onConflict?: (error: RestateConflictError) => void;
  /**
   * Seconds a cached read may be served before it is read again from the inner backend; default `Infinity`
   * (until `invalidate`, S110). It bounds how long reads can miss another writer's change when nothing
   * calls `invalidate` on that writer's changes.
   */
  maxAge?: number;
  /**
   * Where the cache takes the time for `flushInterval` and `maxAge` from, and how it sets its flush timer;
   * default the process's clock (`performance.now`) and timers. For tests that move time on by hand.
   */
  clock?: CachingClock;
}

/** The time and the timer of a cache (CachingOptions.clock). */
export interface CachingClock {
  /** Milliseconds since any fixed moment; never goes back. */
  now(): number;
  /**
   * Calls `callback` once, `delayMs` from now, and returns a handle (not undefined) for clearTimeout. The
   * timer must not keep the process alive on its own.
   */
  setTimeout(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer that `setTimeout` returned and that has not fired. */
  clearTimeout(timer: unknown): void;
}

/** The process's clock and timers. */
const systemClock: CachingClock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    // A pending flush must not keep the process alive; the sync class flushes at exit instead.
    timer.unref?.();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** Options of `invalidate`. */
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
  return { value: MISSING, cleared: false, children: undefined };
}

function isEmptyOverlay(node: OverlayNode): boolean {
  return node.value === MISSING && !node.cleared && node.children === undefined;
}

/** Marks a pending node whose flush is not checked: nothing was known of it before the write. */
const UNCHECKED: unique symbol = Symbol('restate.unchecked');
/** A node whose stored value cannot be parsed (S131): it still counts as unchanged while it stays so. */
const UNREADABLE: unique symbol = Symbol('restate.unreadable');

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

function describeValue(value: unknown): string {
  if (value === MISSING) return 'nothing';
  if (value === UNREADABLE) return '(which cannot be parsed now)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function conflictError(path: string, dropped: unknown, winning: unknown): RestateConflictError {
  const what = dropped === MISSING ? 'delete' : `write of ${describeValue(dropped)}`;
  return new RestateConflictError(
    COMPONENT,
    path,
    `${path} was changed by another writer since this cache last read or wrote it: kept its value ${describeValue(winning)} ` +
      `and dropped the pending ${what}; read the node again before writing it`,
    { droppedValue: dropped === MISSING ? undefined : dropped, winningValue: winning === MISSING || winning === UNREADABLE ? undefined : winning },
  );
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
  readonly #onConflict: ((error: RestateConflictError) => void) | undefined;
  readonly #maxAgeMs: number;
  readonly #clock: CachingClock;
  #overlay: OverlayNode = newOverlayNode();
  readonly #values = new Map<string, unknown>();
  readonly #lists = new Map<string, string[]>();
  /** When each entry of #values and #lists was read; kept only when maxAge is finite. */
  readonly #valueTimes = new Map<string, number>();
  readonly #listTimes = new Map<string, number>();
  /**
   * A node's own value as this cache last read or wrote it (MISSING for none), where a read told it: what
   * the inner backend must still hold when a later write of the node is flushed (S130). A read that does
   * not tell the own value apart from the children leaves it to #values and a listing.
   */
  readonly #known = new Map<string, unknown>();
  /** For each node with pending operations: the own value the inner backend must hold before they apply. */
  readonly #expected = new Map<string, unknown>();
  /** Conflicts waiting to be thrown, when there is no onConflict listener. */
  readonly #conflicts: RestateConflictError[] = [];
  readonly #watchers = new Set<(change: BackendChange) => void>();
  /** Every path held in #values, #lists or #known, as a tree, so invalidating a subtree visits only that subtree. */
  #index: IndexNode = newIndexNode();
  /** Bumped whenever cached entries are dropped, so a read that raced with the drop does not store stale data. */
  #epoch = 0;
  #lastFlush: number;
  #timer: unknown;
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
    this.#onConflict = options.onConflict;
    const maxAge = options.maxAge ?? Infinity;
    if (typeof maxAge !== 'number' || Number.isNaN(maxAge) || maxAge < 0) {
      throw new RestateUsageError(COMPONENT, `maxAge must be a number of seconds >= 0, got ${String(maxAge)}`);
    }
    this.#maxAgeMs = maxAge * 1000;
    this.#clock = options.clock ?? systemClock;
    this.#lastFlush = this.#clock.now();
  }

  /** Reports other writers' changes that a flush found (S126, S130); returns the function that stops it. */
  watch(onChange: (change: BackendChange) => void): () => void {
    const watcher = (change: BackendChange): void => onChange(change);
    this.#watchers.add(watcher);
    return () => {
      this.#watchers.delete(watcher);
    };
  }

  /** Throws, once, the oldest conflict that no onConflict listener took (S130). */
  throwConflict(): void {
    const conflict = this.#conflicts.shift();
    if (conflict !== undefined) throw conflict;
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

  /**
   * Queues a write. Returns the steps that read what the inner backend holds for the node now, when the
   * cache knows nothing of it and the write will wait for a later flush: they must run before that flush.
   */
  enqueueWrite(path: PathLike, value: unknown): Steps<void> | undefined {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, canonical, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${canonical}: delete the path instead`);
    }
    return this.#enqueue({ kind: 'write', path: canonical, value });
  }

  /** Queues a delete; returns steps to run before the next flush, as enqueueWrite does. */
  enqueueDelete(path: PathLike): Steps<void> | undefined {
    return this.#enqueue({ kind: 'delete', path: resolveConcretePath(path, COMPONENT) });
  }

  #enqueue(op: PendingOp): Steps<void> | undefined {
    const canonical = op.path;
    const { node, hidden } = this.#overlayAt(canonical);
    const firstForNode = !hidden && (node === undefined || (node.value === MISSING && !node.cleared));
    this.queue.push(op);
    applyToOverlay(this.#overlay, op);
    // Below a pending delete the node is gone by the time this operation flushes, unless that delete loses.
    if (hidden) {
      if (!this.#expected.has(canonical)) this.#expected.set(canonical, MISSING);
      return undefined;
    }
    if (!firstForNode) return undefined;
    if (this.#known.has(canonical)) {
      this.#expected.set(canonical, this.#known.get(canonical));
      return undefined;
    }
    if (this.#values.has(canonical)) return this.#expectCachedRead(canonical, this.#values.get(canonical));
    // Flushed before the call returns: there is no time for another writer to come between.
    if (this.#triggers[op.kind] && this.#clock.now() - this.#lastFlush >= this.#intervalMs) {
      this.#expected.set(canonical, UNCHECKED);
      return undefined;
    }
    return this.#expectCurrent(canonical);
  }

  *#expectCachedRead(canonical: string, read: unknown): Steps<void> {
    if (!isPlainObject(read)) {
      this.#expected.set(canonical, read);
      return;
    }
    try {
      const own = splitRead(read, yield* this.#innerList(canonical)).own;
      this.#expected.set(canonical, own);
    } catch {
      this.#expected.set(canonical, UNCHECKED);
    }
  }

  *#expectCurrent(canonical: string): Steps<void> {
    try {
      this.#expected.set(canonical, yield* this.#readOwn(canonical));
    } catch {
      // The storage failed to answer: nothing is known to compare with at the flush, so the write is made.
      this.#expected.set(canonical, UNCHECKED);
    }
  }

  /**
   * The node's own value in the inner backend now: MISSING for none, UNREADABLE for a value that cannot be
   * parsed. Reads the children only of an object read, to split the own value from them.
   */
  *#readOwn(canonical: string): Steps<unknown> {
    return (yield* this.#readOwnAndChildren(canonical)).own;
  }

  /** #readOwn, and whether the node has no children now (false when that is not known). */
  *#readOwnAndChildren(canonical: string): Steps<{ own: unknown; childless: boolean }> {
    try {
      const read = yield* readStep(this.inner, canonical);
      if (!isPlainObject(read)) return { own: read, childless: true };
      const names = yield* listStep(this.inner, canonical);
      return { own: splitRead(read, names).own, childless: names.length === 0 };
    } catch (error) {
      if (error instanceof RestateFormatError) return { own: UNREADABLE, childless: false };
      throw error;
    }
  }

  /** What should follow an operation of `kind` (S108): a flush now, a timer, or nothing. */
  afterOperation(kind: TriggerKind): 'flush' | 'arm' | 'none' {
    if (!this.#triggers[kind] || this.queue.length === 0) return 'none';
    if (this.#clock.now() - this.#lastFlush >= this.#intervalMs) return 'flush';
    return kind !== 'read' && this.#timer === undefined ? 'arm' : 'none';
  }

  armTimer(onFire: () => void): void {
    const delay = this.#lastFlush + this.#intervalMs - this.#clock.now();
    if (delay > MAX_TIMER_DELAY_MS) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      onFire();
    }, Math.max(0, delay));
  }

  stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
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
   *
   * Before the first operation on a node is applied, the node's own value in the inner backend is compared
   * with the one this cache last read or wrote (S130). When another writer changed it, its value stays, every
   * pending operation on that node is dropped, and the conflict is reported.
   */
  *flush(): Steps<void> {
    let count = this.queue.length;
    let done = 0;
    let failure: { error: unknown } | undefined;
    const checked = new Set<string>();
    // Nodes the conflict check just read without children: once written, their read is the value written.
    const childless = new Set<string>();
    const conflicts: { path: string; winning: unknown; error: RestateConflictError }[] = [];
    try {
      while (done < count) {
        const op = this.queue[done];
        if (!checked.has(op.path)) {
          checked.add(op.path);
          const expected = this.#expected.has(op.path) ? this.#expected.get(op.path) : UNCHECKED;
          if (expected !== UNCHECKED) {
            const { own: current, childless: noChildren } = yield* this.#readOwnAndChildren(op.path);
            if (noChildren) childless.add(op.path);
            if (!deepEqual(current, expected)) {
              const dropped = this.#dropPending(op.path, done);
              count -= dropped.before(count);
              this.#forget([op.path]);
              if (current !== UNREADABLE) this.#setKnown(op.path, current);
              conflicts.push({ path: op.path, winning: current, error: conflictError(op.path, dropped.value, current) });
              continue;
            }
          }
        }
        if (op.kind === 'write') {
          yield* writeStep(this.inner, op.path, op.value);
          this.#forget([op.path]);
          this.#setKnown(op.path, op.value);
          // The next read of the node (a derivation's next run reads its dest's old value) needs no trip to the
          // inner backend. Plain objects are left out: the caller still holds them and could change them.
          if (childless.has(op.path) && !isPlainObject(op.value)) this.#cacheRead(op.path, op.value);
          // What later operations on the node, queued meanwhile, must find there.
          this.#expected.set(op.path, op.value);
        } else {
          yield* deleteStep(this.inner, op.path);
          this.#forget([op.path]);
          this.#setKnown(op.path, MISSING);
          this.#expected.set(op.path, MISSING);
          for (const path of this.#expected.keys()) if (isAtOrBelow(path, op.path)) this.#expected.set(path, MISSING);
        }
        done++;
      }
    } catch (error) {
      failure = { error };
    }
    const failed = this.queue[done];
    const refused = failure !== undefined && isRefusal(failure.error);
    this.queue.splice(0, refused ? done + 1 : done);
    this.#overlay = newOverlayNode();
    const pending = new Set<string>();
    for (const op of this.queue) {
      applyToOverlay(this.#overlay, op);
      pending.add(op.path);
    }
    for (const path of [...this.#expected.keys()]) if (!pending.has(path)) this.#expected.delete(path);
    this.#lastFlush = this.#clock.now();
    if (this.queue.length === 0) this.stopTimer();
    for (const conflict of conflicts) this.#reportConflict(conflict.path, conflict.winning, conflict.error);
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

  /**
   * Removes every queued operation on `path` from index `from` on. Returns what they would have left at the
   * node (MISSING for a delete), and how many of them stood before a given index.
   */
  #dropPending(path: string, from: number): { value: unknown; before: (index: number) => number } {
    const positions: number[] = [];
    for (let i = from; i < this.queue.length; i++) if (this.queue[i].path === path) positions.push(i);
    const last = this.queue[positions[positions.length - 1]];
    const kept = this.queue.slice(from).filter((op) => op.path !== path);
    this.queue.splice(from, this.queue.length - from, ...kept);
    this.#expected.delete(path);
    return {
      value: last.kind === 'write' ? last.value : MISSING,
      before: (index) => positions.filter((position) => position < index).length,
    };
  }

  #reportConflict(path: string, winning: unknown, error: RestateConflictError): void {
    const change: BackendChange =
      winning === MISSING ? { path, kind: 'delete' } : winning === UNREADABLE ? { path, kind: 'write' } : { path, kind: 'write', value: winning };
    for (const watcher of [...this.#watchers]) {
      try {
        watcher(change);
      } catch {
        // A watcher runs inside a flush, where nobody could catch what it throws.
      }
    }
    if (this.#onConflict === undefined) {
      this.#conflicts.push(error);
      return;
    }
    try {
      this.#onConflict(error);
    } catch {
      // As for onFlushError: nobody up the stack of a flush started by the timer could catch it.
    }
  }

  /** Keeps `value` as the node's read, as a read from the inner backend would have. */
  #cacheRead(path: string, value: unknown): void {
    this.#values.set(path, value);
    if (this.#maxAgeMs !== Infinity) this.#valueTimes.set(path, this.#clock.now());
    this.#indexPath(path);
  }

  #setKnown(path: string, own: unknown): void {
    this.#known.set(path, own);
    this.#indexPath(path);
  }

  /** Drops cached reads at and below `path` and the parent reads that contain them (S110). */
  invalidate(path: PathLike, options: InvalidateOptions): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (options.subtree ?? true) {
      this.#forget([canonical]);
      return;
    }
    this.#epoch++;
    this.#known.delete(canonical);
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
      this.#valueTimes.clear();
      this.#listTimes.clear();
      this.#known.clear();
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
    this.#valueTimes.delete(path);
    this.#listTimes.delete(path);
  }

  #dropSubtree(path: string, node: IndexNode): void {
    this.#dropOne(path);
    this.#known.delete(path);
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

  /**
   * MISSING is never cached (S110), but it is remembered as what the node held, as is any value that cannot
   * have children in it; an object read leaves the own value to be split off when a write needs it.
   */
  *#innerRead(canonical: string, tolerant: boolean): Steps<unknown> {
    if (this.#values.has(canonical) && !this.#expired(this.#valueTimes, canonical)) return copyNodes(this.#values.get(canonical));
    const epoch = this.#epoch;
    let value: unknown;
    try {
      value = yield* readStep(this.inner, canonical);
    } catch (error) {
      // A tolerant read is not cached: a later plain read of the same node must still throw.
      if (!tolerant || !(error instanceof RestateFormatError)) throw error;
      return yield* readTolerantStep(this.inner, canonical);
    }
    if (epoch === this.#epoch) {
      if (value !== MISSING) {
        this.#values.set(canonical, value);
        if (this.#maxAgeMs !== Infinity) this.#valueTimes.set(canonical, this.#clock.now());
      }
      if (isPlainObject(value)) {
        this.#known.delete(canonical);
        this.#reconcileBelow(canonical, value);
      } else {
        this.#known.set(canonical, value);
      }
      this.#indexPath(canonical);
    }
    return copyNodes(value);
  }

  /**
   * A fresh read of a node holds its descendants' reads too (S10). Cached reads and known values below it
   * that disagree with it are older: they are dropped, so a later read or write starts from the fresh one.
   */
  #reconcileBelow(canonical: string, read: unknown): void {
    let node: IndexNode | undefined = this.#index;
    for (const name of splitPath(canonical)) {
      node = node.children?.get(name);
      if (node === undefined) return;
    }
    const visit = (path: string, index: IndexNode, below: unknown): void => {
      for (const [name, child] of index.children ?? []) {
        const childPath = childOf(path, name);
        const part = isPlainObject(below) && Object.prototype.hasOwnProperty.call(below, name) ? below[name] : MISSING;
        if (this.#values.has(childPath) && !deepEqual(this.#values.get(childPath), part)) this.#dropOne(childPath);
        if (this.#known.has(childPath) && !deepEqual(this.#known.get(childPath), part)) this.#known.delete(childPath);
        visit(childPath, child, part);
      }
    };
    visit(canonical, node, read);
  }

  /** Empty lists are not cached either, for the same reason as MISSING: they say nothing is there yet. */
  *#innerList(canonical: string): Steps<string[]> {
    const cached = this.#lists.get(canonical);
    if (cached !== undefined && !this.#expired(this.#listTimes, canonical)) return [...cached];
    const epoch = this.#epoch;
    const names = yield* listStep(this.inner, canonical);
    if (names.length > 0 && epoch === this.#epoch) {
      this.#lists.set(canonical, [...names]);
      if (this.#maxAgeMs !== Infinity) this.#listTimes.set(canonical, this.#clock.now());
      this.#indexPath(canonical);
    }
    return names;
  }

  /** Whether a cached entry is older than maxAge; such an entry is read again. */
  #expired(times: Map<string, number>, canonical: string): boolean {
    if (this.#maxAgeMs === Infinity) return false;
    return this.#clock.now() - (times.get(canonical) ?? -Infinity) > this.#maxAgeMs;
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
    let own: unknown = MISSING;
    let children = new Map<string, unknown>();
    if (!hidden) {
      const names = yield* this.#innerList(canonical);
      const read = known !== undefined ? known.value : yield* this.#innerRead(canonical, tolerant);
      ({ own, children } = splitRead(read, names));
    }
    if (node.value !== MISSING) own = node.value;
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
    if (node.value !== MISSING) return true;
    const innerNames = hidden ? [] : yield* this.#innerList(canonical);
    const listed = new Set(innerNames);
    for (const [name, child] of node.children ?? []) {
      if (yield* this.#existsOverlaid(childOf(canonical, name), child, hidden || child.cleared, listed.has(name))) return true;
    }
    if (hidden) return false;
    if (innerNames.some((name) => node.children?.has(name) !== true)) return true;
    if (innerNames.length === 0 && innerListsIt) return true;
    return splitRead(yield* this.#innerRead(canonical, false), innerNames).own !== MISSING;
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
    node.value = MISSING;
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
 * on the timer, on `flush()`, on `close()`, and at process exit. A flush never overwrites a node another
 * writer changed since the cache last read or wrote it (S130).
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

  /** The backend the cache is in front of. */
  get inner(): Backend {
    return this.#core.inner;
  }

  /** How many operations wait to be flushed. */
  get pendingCount(): number {
    return this.#core.queue.length;
  }

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    this.#core.checkOpen('read');
    const value = runSync(this.#core.read(path, false), REFUSE_ASYNC);
    this.#after('read');
    return value === MISSING ? (arguments.length < 2 ? MISSING : dflt) : value;
  }

  /** A read in which the inner backend's unparsable values are UnreadableValues (S131); never cached. Counts as a read. */
  readTolerant(path: string): unknown {
    this.#core.checkOpen('read');
    const value = runSync(this.#core.read(path, true), REFUSE_ASYNC);
    this.#after('read');
    return value;
  }

  /** Counts as a read for `flushOnRead`. */
  listChildren(path: string): string[] {
    this.#core.checkOpen('list children');
    const names = runSync(this.#core.listChildren(path), REFUSE_ASYNC);
    this.#after('read');
    return names;
  }

  write(path: string, value: unknown): void {
    this.#core.checkOpen('write');
    this.#core.throwDeferred();
    const expectation = this.#core.enqueueWrite(path, value);
    if (expectation !== undefined) runSync(expectation, REFUSE_ASYNC);
    this.#after('write');
    this.#core.throwConflict();
  }

  delete(path: string): void {
    this.#core.checkOpen('delete');
    this.#core.throwDeferred();
    const expectation = this.#core.enqueueDelete(path);
    if (expectation !== undefined) runSync(expectation, REFUSE_ASYNC);
    this.#after('delete');
    this.#core.throwConflict();
  }

  /** Applies every pending operation to the inner backend now; throws a conflict no onConflict took (S130). */
  flush(): void {
    this.#core.checkOpen('flush');
    this.#flushNow();
    this.#core.throwDeferred();
    this.#core.throwConflict();
  }

  /**
   * Runs `step` under the inner backend's lock for `path`, for `update` (S129), so that over a file backend
   * it excludes other `update` calls of the node in any process: pending operations are flushed, the node's
   * cached reads dropped so that `step` reads what the storage holds, and what `step` wrote is flushed
   * before the lock is released. Over a backend without `exclusive`, `step` runs as it is.
   */
  exclusive<T>(path: string, step: () => T): T {
    const inner = this.#core.inner as Partial<{ exclusive(path: string, step: () => T): T }>;
    if (typeof inner.exclusive !== 'function') return step();
    const canonical = resolveConcretePath(path, COMPONENT);
    return inner.exclusive(canonical, () => {
      this.flush();
      this.invalidate(canonical);
      const result = step();
      this.flush();
      return result;
    });
  }

  /** Reports the nodes another writer changed underneath this cache, as a flush finds them (S130). */
  watch(onChange: (change: BackendChange) => void): () => void {
    return this.#core.watch(onChange);
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
    this.#core.throwConflict();
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
      runSync(this.#core.flush(), REFUSE_ASYNC);
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
  readonly #expecting = new Set<Promise<void>>();
  readonly #timerFlush = (): void => {
    this.#flushNow().catch((error: unknown) => this.#core.reportBackgroundError(error));
  };

  constructor(inner: AnyBackend, options: CachingOptions = {}) {
    this.#core = new CachingCore<AnyBackend>(inner, options);
  }

  /** The backend the cache is in front of. */
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
    await this.#expect(this.#core.enqueueWrite(path, value));
    await this.#after('write');
    this.#core.throwConflict();
  }

  async delete(path: string): Promise<void> {
    this.#core.checkOpen('delete');
    this.#core.throwDeferred();
    await this.#expect(this.#core.enqueueDelete(path));
    await this.#after('delete');
    this.#core.throwConflict();
  }

  /**
   * Applies every pending operation to the inner backend now, after any flush already running; throws a
   * conflict no onConflict took (S130).
   */
  async flush(): Promise<void> {
    this.#core.checkOpen('flush');
    await this.#flushNow();
    this.#core.throwDeferred();
    this.#core.throwConflict();
  }

  /** Runs `step` under the inner backend's lock for `path`, as CachingSyncBackend.exclusive does (S129). */
  async exclusive<T>(path: string, step: () => Promise<T>): Promise<T> {
    const inner = this.#core.inner as Partial<{ exclusive(path: string, step: () => Promise<T>): Promise<T> }>;
    if (typeof inner.exclusive !== 'function') return step();
    const canonical = resolveConcretePath(path, COMPONENT);
    return inner.exclusive(canonical, async () => {
      await this.flush();
      this.invalidate(canonical);
      const result = await step();
      await this.flush();
      return result;
    });
  }

  /** Reports the nodes another writer changed underneath this cache, as a flush finds them (S130). */
  watch(onChange: (change: BackendChange) => void): () => void {
    return this.#core.watch(onChange);
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
    this.#core.throwConflict();
  }

  /**
   * Runs the read of what the inner backend holds for a newly written node. The operation is queued
   * already, so concurrent calls keep their order; a flush waits for these reads (see #flushNow).
   */
  async #expect(expectation: Steps<void> | undefined): Promise<void> {
    if (expectation === undefined) return;
    const reading = runAsync(expectation);
    this.#expecting.add(reading);
    try {
      await reading;
    } finally {
      this.#expecting.delete(reading);
    }
  }

  async #after(kind: TriggerKind): Promise<void> {
    const action = this.#core.afterOperation(kind);
    if (action === 'flush') await this.#flushNow();
    else if (action === 'arm') this.#core.armTimer(this.#timerFlush);
  }

  /**
   * Flushes never overlap (S109): wait for the running one, and for the reads that tell what queued nodes
   * must still hold (S130), then flush what is still queued.
   */
  async #flushNow(): Promise<void> {
    while (this.#running !== undefined || this.#expecting.size > 0) {
      await Promise.all([this.#running?.catch(() => undefined), ...[...this.#expecting].map((reading) => reading.catch(() => undefined))]);
    }
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
