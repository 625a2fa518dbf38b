// Small backends for the tests of the wrappers: an async face for a sync backend, and one that can be made to fail;
// and a clock that the caching tests move by hand.
import { InMemoryBackend, MISSING } from '../../extension/restate/index';
import type { AsyncBackend, Backend, CachingClock } from '../../extension/restate/index';

/** Every call of `inner`, answered through a promise, so wrappers are driven through their async path. */
export function promisedBackend(inner: Backend = new InMemoryBackend()): AsyncBackend {
  return {
    read: async (...args: [path: string, dflt?: unknown]) => (args.length < 2 ? inner.read(args[0]) : inner.read(args[0], args[1])),
    write: async (path, value) => inner.write(path, value),
    delete: async (path) => inner.delete(path),
    listChildren: async (path) => inner.listChildren?.(path) ?? [],
  };
}

export interface RecordedCall {
  readonly op: 'read' | 'write' | 'delete' | 'list';
  readonly path: string;
}

/**
 * An in-memory backend that records its calls and fails writes and deletes while `failing` is set, like a
 * disk that is full for a while.
 */
export class FlakyBackend implements Backend {
  readonly store = new InMemoryBackend();
  readonly calls: RecordedCall[] = [];
  failing = false;

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    this.calls.push({ op: 'read', path });
    return arguments.length < 2 ? this.store.read(path) : this.store.read(path, dflt);
  }

  write(path: string, value: unknown): void {
    this.calls.push({ op: 'write', path });
    if (this.failing) throw new Error(`disk full while writing ${path}`);
    this.store.write(path, value);
  }

  delete(path: string): void {
    this.calls.push({ op: 'delete', path });
    if (this.failing) throw new Error(`disk full while deleting ${path}`);
    this.store.delete(path);
  }

  listChildren(path: string): string[] {
    this.calls.push({ op: 'list', path });
    return this.store.listChildren(path);
  }

  count(op: RecordedCall['op']): number {
    return this.calls.filter((c) => c.op === op).length;
  }
}

/**
 * A CachingClock that stands still until `advance` moves it: flush timers and maxAge follow it instead of
 * the wall clock, so the tests of time need not sleep and cannot be late on a busy machine.
 */
export class ManualClock implements CachingClock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, { readonly at: number; readonly callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + delayMs, callback });
    return id;
  }

  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as number);
  }

  /** How many timers wait to fire. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves the time on by `ms`, firing each timer that falls due at its own moment, earliest first; then
   * lets what they started finish (promises over in-memory backends settle before the next macrotask).
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { readonly at: number; readonly callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = end;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
