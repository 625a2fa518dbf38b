/** Who caused a change or a run (S122). */
export type TraceCause =
  | 'api'
  | 'file'
  | 'remote'
  | 'initial'
  | 'ping'
  | 'rollback'
  | `derive:${string}`
  | `track:${string}`
  | `callback:${string}`;

/** The `cause` option of setState, delState and ping. */
export type Cause = 'api' | 'file' | 'remote';

/** What every trace record has, whatever its kind. */
export interface TraceCommon {
  /** The record's number in the controller's stream, from 1, one up per record. */
  seq: number;
  /** When it happened, as `performance.now()`. */
  time: number;
  /** Who caused it: the API, a file watcher, another process, a derivation or tracker (by id), a callback. */
  cause: TraceCause;
  /** How deep in a chain of nested changes it happened: 0 for a change the program made itself. */
  depth: number;
}

/**
 * One record of the trace stream that `onTrace` delivers (S120–S123): a set, a delete or a ping, a run of a
 * derivation or a tracker, a rollback, or a resync; `kind` tells which.
 */
export type TraceRecord = TraceCommon &
  (
    | {
        /** A setState (or a write by a derivation, a tracker or another process). */ kind: 'set';
        /** The path written. */ path: string;
        /** The node's value before (`undefined`: none). */ prevValue: unknown;
        /** The value written. */ value: unknown;
        /** Whether it differed from the old value, so that the write happened (S25). */ changed: boolean;
        /** Whether subscribers were told. */ notified: boolean;
        /** The caller's `payload` option. */ payload: unknown;
        /** Whether it happened inside a batch. */ batched: boolean;
      }
    | {
        /** A delState. */ kind: 'delete';
        /** The path deleted. */ path: string;
        /** The subtree's value before (`undefined`: none). */ prevValue: unknown;
        /** Whether there was anything to delete. */ existed: boolean;
        /** Whether subscribers were told. */ notified: boolean;
        /** The caller's `payload` option. */ payload: unknown;
        /** Whether it happened inside a batch. */ batched: boolean;
      }
    | {
        /** A ping: subscribers told of the path's current value. */ kind: 'ping';
        /** The path pinged. */ path: string;
        /** Its value. */ value: unknown;
        /** The caller's `payload` option. */ payload: unknown;
        /** Whether it happened inside a batch. */ batched: boolean;
      }
    | {
        /** A run of a derivation. */ kind: 'derive-run';
        /** The derivation's id. */ id: string;
        /** The path it writes. */ dest: string;
        /** The change that made it run. */ triggerPath: string;
        /** How long the run took, in milliseconds (0 while runs are not timed). */ durationMs: number;
        /** The message of what the run threw, or `null`. */ error: string | null;
      }
    | {
        /** A run of a tracker. */ kind: 'track-run';
        /** The tracker's id. */ id: string;
        /** The change that made it run. */ triggerPath: string;
        /** The paths it read in this run, which it now follows. */ reads: string[];
        /** How long the run took, in milliseconds (0 while runs are not timed). */ durationMs: number;
        /** The message of what the run threw, or `null`. */ error: string | null;
      }
    | {
        /** A write of a failed batch or refused chain, undone. */ kind: 'rollback';
        /** The path put back. */ path: string;
      }
    | {
        /** A pass that read again what the controller serves after changes by others may have been missed (S128). */ kind: 'resync';
        /** The subtree read again. */ path: string;
        /** The paths whose difference was notified. */ notified: string[];
      }
  );

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type TraceDraft = DistributiveOmit<TraceRecord, 'seq' | 'time'>;

/** A function that `onTrace` calls with each record; what it throws is ignored (S123). */
export type TraceListener = (record: TraceRecord) => void;

/**
 * The trace stream (S120–S123). Callers check `active` before building a draft, so with no listener
 * nothing is built and no clock is read.
 */
export class TraceHub {
  #listeners: TraceListener[] = [];
  #seq = 0;
  active = false;

  attach(listener: TraceListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    this.active = true;
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      this.active = this.#listeners.length > 0;
    };
  }

  /** Completes a freshly built draft in place (copying it would cost more than the rest of the record). */
  emit(draft: TraceDraft): void {
    const record = draft as TraceRecord;
    record.seq = ++this.#seq;
    record.time = performance.now();
    // A copy of the list is iterated, so a listener may detach itself (or others) during the call.
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch {
        // Listener failures must never disturb the state change being traced (S123).
      }
    }
  }
}
