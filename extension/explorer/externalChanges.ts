import { MISSING, deepEqual, type CachingAsyncBackend, type ControllerAsync } from '../restate';
import { UNSEEN, type ObservedBackend } from './observedBackend';
import { ownValueOf } from './preview';
import { isAtOrBelow, nameOf, parentPath } from './statePaths';

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
  readonly #ownValues = new Map<string, unknown>();
  #disposed = false;

  constructor(options: ExternalChangesOptions) {
    this.#options = options;
    this.#rootValue = options.readRootValue().catch(() => MISSING);
  }

  /** Records a changed node; it is reported with the rest of its burst. */
  record(path: string): void {
    if (this.#disposed) return;
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
    for (const known of [...this.#ownValues.keys()]) if (isAtOrBelow(known, path)) this.#ownValues.delete(known);
  }

  /** Records a node's own value read from its value file alone, as its old value for the next change. */
  rememberOwnValue(path: string, value: unknown): void {
    if (this.#disposed) return;
    if (path === '/') this.#rootValue = Promise.resolve(value);
    else this.#ownValues.set(path, value);
  }

  /** Resolves once every recorded path has been reported. */
  async settled(): Promise<void> {
    while (this.#timer !== undefined || this.#pending.size > 0) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#flush();
      }
      await this.#work;
    }
    await this.#work;
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #flush(): void {
    this.#timer = undefined;
    const paths = [...this.#pending];
    this.#pending.clear();
    this.#work = this.#work.then(() => this.#report(paths)).catch((error: unknown) => this.#options.onError(error));
  }

  async #report(paths: readonly string[]): Promise<void> {
    if (this.#disposed || paths.length === 0) return;
    const { controller, cache, observed } = this.#options;
    const nodes = paths.filter((path) => path !== '/');
    // Every old value is taken before anything is invalidated: invalidating /a drops the cached /a/b too.
    const knowledge = nodes.map((path) => observed.knowledgeOf(path));
    const before = nodes.map((path) => this.#oldValue(path));
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
    const after = await Promise.all(nodes.map(async (path, index) => {
      if (before[index] !== UNKNOWN) return cache.read(path, MISSING);
      return (await listed(path)).has(nameOf(path)) ? UNKNOWN : MISSING;
    }));
    nodes.forEach((path, index) => {
      const old = before[index];
      if (old === UNKNOWN) {
        // Listed but never read, and gone now: reported with `null`, so that its removal is still notified.
        before[index] = after[index] === MISSING && knowledge[index] === 'exists' ? null : after[index];
        return;
      }
      if (!(old instanceof OwnValue)) return;
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
    const changes: { path: string; prevValue: unknown; newValue: unknown }[] = [];
    nodes.forEach((path, index) => {
      const prevValue = before[index] === MISSING ? undefined : before[index];
      const newValue = after[index] === MISSING ? undefined : after[index];
      if (!deepEqual(prevValue, newValue)) changes.push({ path, prevValue, newValue });
    });
    if (rootChanged && !deepEqual(rootBefore, rootAfter)) {
      // The root always exists for the controller (S14): only its own value changed.
      changes.push({ path: '/', prevValue: ownOnly(rootBefore), newValue: ownOnly(rootAfter) });
    }
    if (changes.length === 0) return;
    // Shallow paths first, so a folder that appeared is reported before the files inside it.
    changes.sort((a, b) => a.path.split('/').length - b.path.split('/').length);
    await controller.batch(async () => {
      for (const change of changes) await controller.notifyChange(change.path, { ...change, cause: 'file' });
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
    return UNKNOWN;
  }
}

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
