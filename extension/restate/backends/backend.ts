import { MISSING } from '../values';

/**
 * A synchronous storage backend (S74). Paths are canonical and free of wildcards when they come from a
 * controller; built-in backends also normalise and validate paths given to them directly.
 *
 * `listChildren` is optional for custom backends. Without it the library falls back to the non-`"/"` keys
 * of an object read, which cannot tell an object value from children (S78).
 */
export interface Backend {
  /** The node's read (S10), or `dflt` itself (`MISSING` when omitted) for a missing node or an empty root. */
  read<D = typeof MISSING>(path: string, dflt?: D): unknown;
  /** Sets the node's own value; children are untouched. `undefined` and `MISSING` are rejected. */
  write(path: string, value: unknown): void;
  /** Removes the node and its subtree; a missing path is a no-op; `/` clears everything. */
  delete(path: string): void;
  /** Names of existing children in code-unit order, without reading values; `[]` for leaves and missing nodes. */
  listChildren?(path: string): string[];
  /**
   * Optional: `read(path, MISSING)`, except that a stored value that cannot be parsed comes back as an
   * UnreadableValue in its place (as a node's own value, and inside a parent's read) instead of throwing a
   * RestateFormatError. Controllers use it only for the old value of a write or delete (S131); over a
   * backend without it, a read that throws a RestateFormatError makes the whole old value one UnreadableValue.
   */
  readTolerant?(path: string): unknown;
  /**
   * Optional: a handle on one path, for a caller that reads and writes that path again and again (a
   * derivation's dest). Its `read()` and `write(value)` must behave as `read(path, MISSING)` and
   * `write(path, value)` would at the time of the call.
   */
  handle?(path: string): ValueHandle;
  /** Optional: reports changes made by others (S126); a controller follows them (S127). */
  watch?(onChange: (change: BackendChange) => void): () => void;
}

/**
 * A change someone else made to a backend's storage (S126): a write with the new value (and the old one,
 * when the backend knows it), a delete, or `resync` when changes may have been missed and the subtree at
 * `path` must be read again.
 */
export type BackendChange =
  | {
      /** The node written. */ readonly path: string;
      /** A write of the node's own value. */ readonly kind: 'write';
      /** The value written, where the report carries it. */ readonly value?: unknown;
      /** The node's value before, where the backend knows it. */ readonly prevValue?: unknown;
    }
  | {
      /** The node deleted, with its subtree. */ readonly path: string;
      /** A delete. */ readonly kind: 'delete';
      /** The subtree's value before, where the backend knows it. */ readonly prevValue?: unknown;
    }
  | {
      /** The subtree to read again (`/`: everything). */ readonly path: string;
      /** Changes may have been missed. */ readonly kind: 'resync';
    };

/** What a backend that reports others' changes offers (S126); returns the function that stops watching. */
export interface WatchableBackend {
  /** Calls `onChange` with each change others make, in the order the storage applied them; returns the function that stops it. */
  watch(onChange: (change: BackendChange) => void): () => void;
}

/** One path's value, read and written without looking the path up each time; see Backend.handle. */
export interface ValueHandle {
  /** As `read(path, MISSING)` of the backend. */
  read(): unknown;
  /** As `write(path, value)` of the backend. */
  write(value: unknown): void;
}

/** The asynchronous form of Backend: the same methods, returning promises. */
export interface AsyncBackend {
  /** As {@link Backend.read}. */
  read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown>;
  /** As {@link Backend.write}. */
  write(path: string, value: unknown): Promise<void>;
  /** As {@link Backend.delete}. */
  delete(path: string): Promise<void>;
  /** As {@link Backend.listChildren}. */
  listChildren?(path: string): Promise<string[]>;
  /** As {@link Backend.readTolerant}. */
  readTolerant?(path: string): Promise<unknown>;
  /** Optional: reports changes made by others (S126); a controller follows them (S127). */
  watch?(onChange: (change: BackendChange) => void): () => void;
}

/** Either kind, as accepted by ControllerAsync and the async wrappers. */
export type AnyBackend = Backend | AsyncBackend;
