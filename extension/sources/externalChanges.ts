import { MISSING, RestateFormatError, deepEqual, type CachingAsyncBackend, type ControllerAsync } from '../restate';
import { UNSEEN, type ObservedBackend } from './observedBackend';
import { ownValueOf } from './stateHost';
import { ancestorsOf, isAtOrBelow, nameOf, parentPath } from './statePaths';

/** How a node's own value at the root is read: the root value file (`<folder>.json`) only, never the whole tree. */
export type RootValueReader = () => Promise<unknown>;

export interface ExternalChangesOptions {
  readonly controller: ControllerAsync;
  readonly cache: CachingAsyncBackend;
  readonly observed: ObservedBackend;
  readonly readRootValue: RootValueReader;
  /** How long to collect file events before reporting them; an editor's atomic save is a delete then a create. */
  readonly delayMs: number;
  readonly onError: (error: unknown) => void;
  /**
   * A changed path whose file still cannot be read once it was read again for about a second (S133); called
   * once until the path can be read again. Other paths of its burst were reported without it. The path is
   * that of the broken file, which may lie below the changed one.
   */
  readonly onUnreadable?: (path: string, error: unknown) => void;
  /**
   * A path read successfully after it, or something below it, failed to read (whether or not that was
   * reported as unreadable): the path can be read now, or is gone; with `subtree`, everything below it too.
   */
  readonly onReadable?: (path: string, subtree: boolean) => void;
  /** How long a file that fails to read after a change is read again before it is reported (S133). */
  readonly retryForMs?: number;
  /**
   * Called with each burst's changes just before they are notified, in the order they will be; what it
   * returns is called once they have been.
   */
  readonly beforeNotify?: (changes: readonly { readonly path: string; readonly newValue: unknown }[]) => () => void;
  /**
   * Whether a node exists now, told without listing its parent: true or false when that can be told for
   * sure, undefined when only the parent's listing can tell (S84). For a node whose old value is unknown,
   * whose removal alone can be reported: a burst of a few such nodes in a large folder then costs a few file
   * calls instead of one listing of the whole folder per burst.
   */
  readonly exists?: (path: string) => Promise<boolean | undefined>;
  /** Called once a burst was reported: how many paths it read and how long that took, then the same for its notifications. */
  readonly onReported?: (report: BurstReport) => void;
}

/** What reporting one burst of changed paths cost. */
export interface BurstReport {
  readonly pathsRead: number;
  readonly readMs: number;
  readonly changesNotified: number;
  readonly notifyMs: number;
}

/** A path that failed to read after a change: when it first failed, and the next read again. */
interface Retry {
  readonly since: number;
  attempt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The watcher recipe of S125: file events become state paths; after a short quiet period each path is read
 * (the cached, old value), invalidated, read again (the new value on disk), and both are passed to
 * notifyChange with cause 'file'. The extension's own writes come back equal and are dropped. One burst is
 * reported in one batch, so derivations and trackers run once for it.
 */
export class ExternalChanges {
  readonly #options: ExternalChangesOptions;
  readonly #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the first event of the burst being collected arrived. */
  #burstStart = 0;
  #work: Promise<void> = Promise.resolve();
  /** The root's own value as last seen; reading the root node would read the whole state folder. */
  #rootValue: Promise<unknown>;
  /**
   * Own values of nodes with children as the tree last read them from their value files (readOwnValue),
   * bypassing the cache: the only old value known for such a node when nobody read its whole subtree.
   */
  readonly #ownValues = new PathMap<unknown>();
  /** Paths that failed to read after a change and are read again later, so their burst is not held back. */
  readonly #retries = new Map<string, Retry>();
  /** Paths whose last read failed, whether they are read again or were reported: they must be read next time. */
  readonly #failing = new Set<string>();
  /** Paths of broken files reported as unreadable, until they can be read again. */
  readonly #unreadable = new Set<string>();
  /** Resolved whenever a retry has been reported; settled() waits on it. */
  #retried: { promise: Promise<void>; resolve: () => void } = deferred();
  #disposed = false;

  constructor(options: ExternalChangesOptions) {
    this.#options = options;
    this.#rootValue = options.readRootValue().catch(() => MISSING);
  }

  /** Records a changed node; it is reported with the rest of its burst. */
  record(path: string): void {
    if (this.#disposed) return;
    // A new event for a path being read again starts its retries over: the writer is still at it.
    const retry = this.#retries.get(path);
    if (retry !== undefined) {
      clearTimeout(retry.timer);
      this.#retries.delete(path);
    }
    this.#pending.add(path);
    const now = Date.now();
    if (this.#timer === undefined) this.#burstStart = now;
    else clearTimeout(this.#timer);
    // Restarted by every event, so that a burst is reported once it is over; but a writer that never
    // pauses is still reported every few periods.
    const waited = now - this.#burstStart;
    const delay = waited >= 8 * this.#options.delayMs ? 0 : this.#options.delayMs;
    this.#timer = setTimeout(() => this.#flush(), delay);
  }

  /** Forgets the remembered own values at and below a node: the controller deleted it. */
  forgetOwnValue(path: string): void {
    if (path === '/') this.#rootValue = Promise.resolve(MISSING);
    this.#ownValues.deleteAtOrBelow(path);
  }

  /**
   * Records a node's own value read from its value file alone, as its old value for the next change, when
   * none is known yet. A known one stays: the file may have been changed by another process whose event is
   * still on its way, and that change is reported against the value known before it.
   */
  rememberOwnValue(path: string, value: unknown): void {
    if (this.#disposed || path === '/' || this.#ownValues.has(path) || this.#options.observed.isKnownMissing(path)) return;
    this.#ownValues.set(path, value);
  }

  /** Records the own value the controller wrote: what the node's value file holds now. */
  ownValueWritten(path: string, value: unknown): void {
    if (this.#disposed) return;
    if (path === '/') this.#rootValue = Promise.resolve(value);
    else this.#ownValues.set(path, value);
  }

  /**
   * How a reader outside the watcher (the tree) found a node's value file. A failure is read again like a
   * changed file's before it is reported (S133): the reader may have caught another process mid-write.
   */
  noteRead(path: string, error?: unknown): void {
    if (this.#disposed) return;
    if (error === undefined) {
      if (this.#unreadable.delete(path)) this.#options.onReadable?.(path, false);
    } else if (!this.#failing.has(path) && !this.#pending.has(path) && !this.#unreadable.has(path)) {
      this.#failed(path, error);
    }
  }

  /** Resolves once every recorded path has been reported, as changed or, after its retries, as unreadable. */
  async settled(): Promise<void> {
    while (this.#timer !== undefined || this.#pending.size > 0 || this.#retries.size > 0) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#flush();
      }
      await this.#work;
      // Retries wait for their delay: the writer of a half-written file is given that time.
      if (this.#timer === undefined && this.#pending.size === 0 && this.#retries.size > 0) await this.#retried.promise;
    }
    await this.#work;
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
    for (const retry of this.#retries.values()) clearTimeout(retry.timer);
    this.#retries.clear();
    this.#retried.resolve();
  }

  #flush(): void {
    this.#timer = undefined;
    const paths = [...this.#pending];
    this.#pending.clear();
    this.#work = this.#work.then(() => this.#report(paths)).catch((error: unknown) => this.#options.onError(error));
  }

  async #report(paths: readonly string[]): Promise<void> {
    if (this.#disposed || paths.length === 0) return;
    const started = performance.now();
    const { controller, cache, observed } = this.#options;
    let nodes = paths.filter((path) => path !== '/');
    const ownWritesBefore = observed.ownWriteMark();
    // Every old value is taken before anything is invalidated: invalidating /a drops the cached /a/b too.
    let knowledge = nodes.map((path) => observed.knowledgeOf(path));
    // A node that could not be read was never known to the controller: whatever it reads as now is new.
    let before = nodes.map((path) => {
      const old = this.#oldValue(path);
      return old === UNKNOWN && this.#wasUnreadable(path) ? MISSING : old;
    });
    const rootChanged = paths.includes('/');
    const rootBefore = rootChanged ? await this.#rootValue : MISSING;
    // The root's value file holds only its own value: the cached reads below it stay valid.
    if (rootChanged) cache.invalidate('/', { subtree: false });
    for (const path of nodes) cache.invalidate(path);
    // A node whose old value is unknown cannot be reported as changed, only as gone: its parent's listing
    // (one per parent, however many of its children changed) says that, without reading the node.
    const listings = new Map<string, Promise<Set<string>>>();
    const listed = (path: string): Promise<Set<string>> => {
      const parent = parentPath(path);
      let names = listings.get(parent);
      if (names === undefined) {
        names = cache.listChildren(parent).then((found) => new Set(found));
        listings.set(parent, names);
      }
      return names;
    };
    // A parent is listed when many of its children are unknown, else each is looked for on its own.
    const unknownBelow = new Map<string, number>();
    nodes.forEach((path, index) => {
      if (before[index] === UNKNOWN) unknownBelow.set(parentPath(path), (unknownBelow.get(parentPath(path)) ?? 0) + 1);
    });
    const exists = this.#options.exists;
    const looksForEach = (parent: string): boolean => {
      const siblings = observed.listedCount(parent);
      return exists !== undefined && siblings !== undefined && (unknownBelow.get(parent) ?? 0) * LIST_RATIO < siblings;
    };
    const read = await Promise.all(nodes.map(async (path, index) => {
      try {
        if (before[index] !== UNKNOWN) return await cache.read(path, MISSING);
        const found = looksForEach(parentPath(path)) ? await exists!(path) : undefined;
        if (found !== undefined) return found ? UNKNOWN : MISSING;
        return (await listed(path)).has(nameOf(path)) ? UNKNOWN : MISSING;
      } catch (error) {
        return new ReadFailure(error);
      }
    }));
    // A path that cannot be read is read again later, on its own (S133); the others go on without it.
    const readable = nodes.map((_, index) => !(read[index] instanceof ReadFailure));
    nodes.forEach((path, index) => {
      const result = read[index];
      if (result instanceof ReadFailure) this.#failed(path, result.error);
      else this.#succeeded(path);
    });
    if (readable.includes(false)) {
      nodes = nodes.filter((_, index) => readable[index]);
      knowledge = knowledge.filter((_, index) => readable[index]);
      before = before.filter((_, index) => readable[index]);
    }
    let after = read.filter((_, index) => readable[index]);
    // A node the controller wrote itself while it was read may read as that write, or as what was there just
    // before it: either way it is read again in the next burst, against what the controller knows then, so
    // that its own write is never reported (nor remembered) as a change made by someone else.
    const readAgain = nodes.filter((path) => observed.ownWriteTouched(path, ownWritesBefore));
    if (readAgain.length > 0) {
      const kept = nodes.map((path) => !readAgain.includes(path));
      nodes = nodes.filter((_, index) => kept[index]);
      knowledge = knowledge.filter((_, index) => kept[index]);
      before = before.filter((_, index) => kept[index]);
      after = after.filter((_, index) => kept[index]);
    }
    nodes.forEach((path, index) => {
      const old = before[index];
      if (old === UNKNOWN) {
        // Listed but never read, and gone now: reported with `null`, so that its removal is still notified.
        before[index] = after[index] === MISSING && knowledge[index] === 'exists' ? null : after[index];
        return;
      }
      if (!(old instanceof OwnValue)) {
        // The whole read is known from now on; own values remembered at or below it may be older.
        const now = after[index];
        if (this.#ownValues.size === 0 || now === UNKNOWN) return;
        if (now !== null && typeof now === 'object' && !Array.isArray(now)) this.forgetOwnValue(path);
        else this.#ownValues.delete(path);
        return;
      }
      // Only the own value was known: the children are taken as they are now, as their own files report
      // their own changes. Whether there were any is what the last listing said (none if never listed).
      const hadChildren = observed.hadChildren(path);
      before[index] = withOwnValue(after[index], hadChildren, old.value);
      const now = ownValueOf(after[index], hadChildren);
      this.#ownValues.set(path, now.hasValue ? now.value : MISSING);
    });
    nodes.forEach((path, index) => {
      if (after[index] !== UNKNOWN) observed.learn(path, after[index]);
    });
    nodes.forEach((path, index) => {
      if (after[index] === MISSING && this.#ownValues.size > 0) this.forgetOwnValue(path);
    });
    let rootAfter: unknown = MISSING;
    if (rootChanged) {
      rootAfter = await this.#options.readRootValue().catch(() => MISSING);
      this.#rootValue = Promise.resolve(rootAfter);
    }
    let changes: { path: string; prevValue: unknown; newValue: unknown }[] = [];
    nodes.forEach((path, index) => {
      const prevValue = before[index] === MISSING ? undefined : before[index];
      const newValue = after[index] === MISSING ? undefined : after[index];
      if (!deepEqual(prevValue, newValue)) changes.push({ path, prevValue, newValue });
    });
    // A node that appeared is reported with everything below it: the creations of its files would notify twice.
    const created = changes.filter((change) => change.prevValue === undefined).map((change) => change.path);
    if (created.length > 0) {
      changes = changes.filter((change) => !created.some((node) => node !== change.path && isAtOrBelow(change.path, node)));
    }
    if (rootChanged && !deepEqual(rootBefore, rootAfter)) {
      // The root always exists for the controller (S14): only its own value changed.
      changes.push({ path: '/', prevValue: ownOnly(rootBefore), newValue: ownOnly(rootAfter) });
    }
    for (const path of readAgain) this.record(path);
    const readMs = performance.now() - started;
    if (changes.length === 0) {
      this.#options.onReported?.({ pathsRead: paths.length, readMs, changesNotified: 0, notifyMs: 0 });
      return;
    }
    // Shallow paths first, so a folder that appeared is reported before the files inside it.
    changes.sort((a, b) => a.path.split('/').length - b.path.split('/').length);
    const notified = this.#options.beforeNotify?.(changes);
    try {
      await controller.batch(async () => {
        for (const change of changes) await controller.notifyChange(change.path, { ...change, cause: 'file' });
      });
    } finally {
      notified?.();
    }
    this.#options.onReported?.({ pathsRead: paths.length, readMs, changesNotified: changes.length, notifyMs: performance.now() - started - readMs });
  }

  /** Schedules the next read of a path that failed to read, or reports it once its retries are used up. */
  #failed(path: string, error: unknown): void {
    this.#failing.add(path);
    const now = Date.now();
    const retry = this.#retries.get(path) ?? { since: now, attempt: 0, timer: undefined };
    // At least one coalescing period, doubling, within the budget: a writer finishes a file in far less.
    const delay = Math.max(1, this.#options.delayMs) * 2 ** retry.attempt;
    if (now + delay - retry.since <= (this.#options.retryForMs ?? 1000)) {
      retry.attempt++;
      retry.timer = setTimeout(() => this.#retry(path), delay);
      this.#retries.set(path, retry);
      return;
    }
    this.#retries.delete(path);
    const broken = error instanceof RestateFormatError && isAtOrBelow(error.path, path) ? error.path : path;
    if (this.#unreadable.has(broken)) return;
    this.#unreadable.add(broken);
    this.#options.onUnreadable?.(broken, error);
  }

  #wasUnreadable(path: string): boolean {
    if (this.#failing.has(path)) return true;
    for (const broken of this.#unreadable) if (isAtOrBelow(broken, path)) return true;
    return false;
  }

  #succeeded(path: string): void {
    this.#retries.delete(path);
    const retried = this.#failing.delete(path);
    // A node's read reads its whole subtree: what was unreadable below it can be read now, or is gone.
    let cleared = false;
    for (const broken of [...this.#unreadable]) {
      if (!isAtOrBelow(broken, path)) continue;
      this.#unreadable.delete(broken);
      cleared = true;
    }
    if (cleared || retried) this.#options.onReadable?.(path, true);
  }

  #retry(path: string): void {
    const retry = this.#retries.get(path);
    if (this.#disposed || retry?.timer === undefined) return;
    retry.timer = undefined;
    this.#work = this.#work.then(() => this.#report([path])).catch((error: unknown) => this.#options.onError(error))
      .finally(() => {
        const retried = this.#retried;
        this.#retried = deferred();
        retried.resolve();
      });
  }

  /**
   * The value before the change: what was last seen of the node, or its own value as last read from its
   * value file; UNKNOWN when neither is known. The cache cannot tell more: every read through the controller
   * is seen, and reading the node now would give the new value already.
   */
  #oldValue(path: string): unknown {
    const seen = this.#options.observed.oldValueOf(path);
    if (seen !== UNSEEN) return seen;
    if (this.#ownValues.has(path)) return new OwnValue(this.#ownValues.get(path));
    // Below a folder that was seen not to exist, nothing existed: the files of a new folder are new.
    for (const ancestor of ancestorsOf(path)) {
      if (ancestor !== '/' && this.#options.observed.knowledgeOf(ancestor) === 'missing') return MISSING;
    }
    return UNKNOWN;
  }
}

/**
 * A map keyed by state path that also counts, per path, the keys strictly below it: dropping a leaf's key
 * and what lies below it costs one lookup, not a look at every key (Find remembers every leaf's value).
 */
export class PathMap<V> {
  readonly #values = new Map<string, V>();
  readonly #below = new Map<string, number>();

  get size(): number {
    return this.#values.size;
  }

  has(path: string): boolean {
    return this.#values.has(path);
  }

  get(path: string): V | undefined {
    return this.#values.get(path);
  }

  set(path: string, value: V): void {
    if (!this.#values.has(path)) for (const ancestor of ancestorsOf(path)) this.#below.set(ancestor, (this.#below.get(ancestor) ?? 0) + 1);
    this.#values.set(path, value);
  }

  delete(path: string): boolean {
    if (!this.#values.delete(path)) return false;
    for (const ancestor of ancestorsOf(path)) {
      const left = (this.#below.get(ancestor) ?? 1) - 1;
      if (left === 0) this.#below.delete(ancestor);
      else this.#below.set(ancestor, left);
    }
    return true;
  }

  /** Deletes the key `path` and every key below it. */
  deleteAtOrBelow(path: string): void {
    this.delete(path);
    if (!this.#below.has(path)) return;
    for (const known of [...this.#values.keys()]) if (isAtOrBelow(known, path)) this.delete(known);
  }
}

/** A read that threw, kept apart from the values read. */
class ReadFailure {
  constructor(readonly error: unknown) {}
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => { resolve = done; });
  return { promise, resolve };
}

/**
 * A parent with this many times more children than it has unknown ones in a burst is not listed: each is
 * looked for on its own (a few file calls each, against one entry of a listing).
 */
const LIST_RATIO = 16;

/** No old value is known for the node: nothing was seen of it but, at most, its name in a listing. */
const UNKNOWN: unique symbol = Symbol('unknown');

/** An old value known only as a node's own value, completed with its children once they are read. */
class OwnValue {
  constructor(readonly value: unknown) {}
}

/** A node's read (S10) with its own value replaced; MISSING for no own value. */
function withOwnValue(read: unknown, hasChildren: boolean, own: unknown): unknown {
  if (!hasChildren) return own;
  const children: Record<string, unknown> = {};
  if (read !== null && typeof read === 'object' && !Array.isArray(read)) {
    for (const [name, value] of Object.entries(read)) if (name !== '/') children[name] = value;
  }
  return own === MISSING ? children : { '/': own, ...children };
}

function ownOnly(value: unknown): unknown {
  return value === MISSING ? {} : { '/': value };
}
