// Small backends for the tests of the wrappers: an async face for a sync backend, and one that can be made to fail.
import { InMemoryBackend, MISSING } from '../../extension/restate/index';
import type { AsyncBackend, Backend } from '../../extension/restate/index';

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
