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
   * Optional: a handle on one path, for a caller that reads and writes that path again and again (a
   * derivation's dest). Its `read()` and `write(value)` must behave as `read(path, MISSING)` and
   * `write(path, value)` would at the time of the call.
   */
  handle?(path: string): ValueHandle;
  /** Optional: reports other writers' changes to the storage (S126); returns a function that stops it. */
  watch?(onChange: (change: BackendChange) => void): () => void;
}

/**
 * A change another writer made underneath a backend (S126), on a canonical path. `value` is present when
 * the backend knows the new value; `resync` asks for the subtree to be read again.
 */
export type BackendChange =
  | { readonly path: string; readonly kind: 'write'; readonly value?: unknown }
  | { readonly path: string; readonly kind: 'delete' }
  | { readonly path: string; readonly kind: 'resync' };

/** One path's value, read and written without looking the path up each time; see Backend.handle. */
export interface ValueHandle {
  read(): unknown;
  write(value: unknown): void;
}

/** The asynchronous form of Backend: the same four methods, returning promises. */
export interface AsyncBackend {
  read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown>;
  write(path: string, value: unknown): Promise<void>;
  delete(path: string): Promise<void>;
  listChildren?(path: string): Promise<string[]>;
  watch?(onChange: (change: BackendChange) => void): () => void;
}

/** Either kind, as accepted by ControllerAsync and the async wrappers. */
export type AnyBackend = Backend | AsyncBackend;
