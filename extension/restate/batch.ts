import { RestateBackendError } from './errors';
import type { Operation } from './drive';
import type { TraceCause, TraceHub } from './trace';
import { childOf } from './path';
import { UnreadableValue } from './unreadable';
import { MISSING, OWN_VALUE_KEY, isPlainObject } from './values';

/**
 * A node's own value (MISSING if it has none), as needed to restore it. An UnreadableValue cannot be
 * restored (S131): the rollback leaves such a node without an own value, so nothing the failed call
 * wrote stays, and its children come back as any others.
 */
interface NodeSnapshot {
  readonly path: string;
  readonly ownValue: unknown;
}

/**
 * What a batch needs of the engine to snapshot and restore what it overwrites: raw reads and writes, and
 * the trace. Declared here, not taken from engine.ts, so that the batch stays below the engine.
 */
export interface BatchStore {
  readonly trace: TraceHub;
  read(path: string): Operation<unknown>;
  readOld(path: string): Operation<unknown>;
  listChildren(path: string): Operation<string[]>;
  rawWrite(path: string, value: unknown): Operation<void>;
  rawDelete(path: string): Operation<void>;
}

/** How to undo one write or delete made inside a batch (S116). */
type UndoStep =
  | { readonly kind: 'restore-own'; readonly path: string; readonly ownValue: unknown }
  | { readonly kind: 'restore-subtree'; readonly path: string; readonly nodes: readonly NodeSnapshot[] };

/** A path changed inside a batch, waiting for the flush (S115). */
export interface PendingChange {
  readonly path: string;
  /** The value before the path's first change in the batch (a getState read: MISSING as undefined). */
  readonly prevValue: unknown;
  payload: unknown;
  /** Pings made in the batch, by change number, so a failed nested batch can take its own back. */
  pings: number[];
  /** The change number of the path's first change. */
  readonly firstChange: number;
  /** Only an S28 descendant of a deleted path so far: delivered at its own level only. */
  descendantOnly: boolean;
  /** Who made the last change, for the runs it sets off (S122). */
  cause: TraceCause;
  /** The value of the last operation when it was a ping (with its default), else MISSING. */
  pingValue: unknown;
  /** payload, cause and pingValue after each operation, by change number, for a failed nested batch to go back to. */
  history: { number: number; payload: unknown; cause: TraceCause; pingValue: unknown }[];
}

/** Where a nested batch starts: the undo-log length, and the number of changes recorded so far. */
export interface BatchMark {
  readonly undo: number;
  readonly changes: number;
}

/**
 * One outermost batch and the nested batches that joined it (S113–S117). Writes reach the backend at once;
 * notifications wait in `changes` until the outermost batch ends; `undo` lets a failing call put back
 * every write and delete it made.
 */
export class BatchState {
  readonly changes = new Map<string, PendingChange>();
  readonly #undo: UndoStep[] = [];
  /**
   * Changes are numbered as they are recorded. A nested batch compares these numbers, not undo-log
   * positions, with its mark: the undo step of a write is logged before its change is recorded, and a ping
   * logs no undo step at all, so undo positions cannot tell whose change came first.
   */
  #changeCount = 0;

  /** Where a nested batch starts from. */
  get mark(): BatchMark {
    return { undo: this.#undo.length, changes: this.#changeCount };
  }

  recordChange(path: string, prevValue: unknown, payload: unknown, kind: 'change' | 'ping' | 'descendant', cause: TraceCause): void {
    const number = ++this.#changeCount;
    let change = this.changes.get(path);
    if (change === undefined) {
      change = { path, prevValue, payload, pings: [], firstChange: number, descendantOnly: kind === 'descendant', cause, pingValue: MISSING, history: [] };
      this.changes.set(path, change);
    } else if (kind !== 'descendant') {
      // A descendant of a deleted path that is then written itself is an ordinary change: it bubbles.
      change.descendantOnly = false;
    }
    change.payload = payload;
    change.cause = cause;
    change.pingValue = kind === 'ping' ? prevValue : MISSING;
    if (kind === 'ping') change.pings.push(number);
    change.history.push({ number, payload, cause, pingValue: change.pingValue });
  }

  /** Remembers what a write to `path` is about to overwrite. `prevRead` is the backend read before it. */
  *beforeWrite(store: BatchStore, path: string, prevRead: unknown): Operation<void> {
    if (prevRead === MISSING) {
      this.#undo.push({ kind: 'restore-own', path, ownValue: MISSING });
      return;
    }
    // Only a plain object can hold children (S10): any other read is the node's own value, with nothing to list.
    const ownValue = !isPlainObject(prevRead) || (yield* store.listChildren(path)).length === 0 ? prevRead : ownValueOfMerged(prevRead);
    this.#undo.push({ kind: 'restore-own', path, ownValue });
  }

  /** Remembers the subtree a delete of `path` is about to remove. `prevRead` is its merged read. */
  *beforeDelete(store: BatchStore, path: string, prevRead: unknown): Operation<void> {
    const nodes: NodeSnapshot[] = [];
    yield* snapshotSubtree(store, path, prevRead, nodes);
    this.#undo.push({ kind: 'restore-subtree', path, nodes });
  }

  /** Undoes, newest first, every step logged since `mark`, and forgets what those steps would have notified. */
  *rollback(store: BatchStore, mark: BatchMark, reason: unknown): Operation<void> {
    try {
      while (this.#undo.length > mark.undo) {
        const step = this.#undo.pop()!;
        if (store.trace.active) store.trace.emit({ kind: 'rollback', path: step.path, cause: 'rollback', depth: 1 });
        if (step.kind === 'restore-subtree') {
          for (const node of step.nodes) {
            if (isRestorable(node.ownValue)) yield* store.rawWrite(node.path, node.ownValue);
          }
        } else if (isRestorable(step.ownValue)) {
          yield* store.rawWrite(step.path, step.ownValue);
        } else {
          // The node had no own value: the backend cannot drop just the value, so the node goes and its
          // children come back one by one.
          const current = yield* store.read(step.path);
          const nodes: NodeSnapshot[] = [];
          if (current !== MISSING) yield* snapshotSubtree(store, step.path, current, nodes);
          yield* store.rawDelete(step.path);
          for (const node of nodes) {
            if (node.path !== step.path && isRestorable(node.ownValue)) yield* store.rawWrite(node.path, node.ownValue);
          }
        }
      }
    } catch (error) {
      throw new RestateBackendError('batch', `rollback incomplete: could not undo the batch's writes (${describe(error)}); the batch failed with: ${describe(reason)}`, { cause: reason });
    }
    for (const [path, change] of this.changes) {
      if (change.firstChange > mark.changes) {
        this.changes.delete(path);
        continue;
      }
      // Nothing from the failed call is notified (S116): the payload, cause and ping are its outer batch's again.
      change.pings = change.pings.filter((number) => number <= mark.changes);
      change.history = change.history.filter((entry) => entry.number <= mark.changes);
      const last = change.history[change.history.length - 1];
      if (last !== undefined) {
        change.payload = last.payload;
        change.cause = last.cause;
        change.pingValue = last.pingValue;
      }
    }
  }
}

function isRestorable(ownValue: unknown): boolean {
  return ownValue !== MISSING && !(ownValue instanceof UnreadableValue);
}

function ownValueOfMerged(merged: unknown): unknown {
  return isPlainObject(merged) && Object.prototype.hasOwnProperty.call(merged, OWN_VALUE_KEY) ? merged[OWN_VALUE_KEY] : MISSING;
}

/** Collects (path, own value) for a subtree, parents first, telling values from children with listChildren. */
function* snapshotSubtree(store: BatchStore, path: string, read: unknown, into: NodeSnapshot[]): Operation<void> {
  const names = yield* store.listChildren(path);
  if (names.length === 0) {
    into.push({ path, ownValue: read });
    return;
  }
  into.push({ path, ownValue: ownValueOfMerged(read) });
  for (const name of names) {
    const childRead = isPlainObject(read) && Object.prototype.hasOwnProperty.call(read, name) ? read[name] : yield* store.readOld(childOf(path, name));
    yield* snapshotSubtree(store, childOf(path, name), childRead, into);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
