import { MISSING, deepEqual, type CachingAsyncBackend, type ControllerAsync } from '../restate';
import { UNSEEN, type ObservedBackend } from './observedBackend';

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
    // Every old value is read before anything is invalidated: invalidating /a drops the cached /a/b too.
    const before = await Promise.all(nodes.map((path) => this.#oldValue(path)));
    const rootChanged = paths.includes('/');
    const rootBefore = rootChanged ? await this.#rootValue : MISSING;
    if (rootChanged) {
      // Invalidating / drops the whole cache (S110); rare, as the root value file is rarely used.
      cache.invalidate('/');
    } else {
      for (const path of nodes) cache.invalidate(path);
    }
    const after = await Promise.all(nodes.map((path) => cache.read(path, MISSING)));
    nodes.forEach((path, index) => observed.learn(path, after[index]));
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
   * The value before the change: what was last seen of the node, else the cache's (possibly old) value.
   * A node that was listed but never read and is gone now has no old value to give; it is reported with
   * `null`, so that its removal is still notified.
   */
  async #oldValue(path: string): Promise<unknown> {
    const { cache, observed } = this.#options;
    const seen = observed.oldValueOf(path);
    if (seen !== UNSEEN) return seen;
    const value = await cache.read(path, MISSING);
    return value === MISSING && observed.knowledgeOf(path) === 'exists' ? null : value;
  }
}

function ownOnly(value: unknown): unknown {
  return value === MISSING ? {} : { '/': value };
}
