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

interface TraceCommon {
  seq: number;
  time: number;
  cause: TraceCause;
  depth: number;
}

export type TraceRecord = TraceCommon &
  (
    | { kind: 'set'; path: string; prevValue: unknown; value: unknown; changed: boolean; notified: boolean; payload: unknown; batched: boolean }
    | { kind: 'delete'; path: string; prevValue: unknown; existed: boolean; notified: boolean; payload: unknown; batched: boolean }
    | { kind: 'ping'; path: string; value: unknown; payload: unknown; batched: boolean }
    | { kind: 'derive-run'; id: string; dest: string; triggerPath: string; durationMs: number; error: string | null }
    | { kind: 'track-run'; id: string; triggerPath: string; reads: string[]; durationMs: number; error: string | null }
    | { kind: 'rollback'; path: string }
    /** A pass that read again what the controller serves after changes by others may have been missed (S128). */
    | { kind: 'resync'; path: string; notified: string[] }
  );

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type TraceDraft = DistributiveOmit<TraceRecord, 'seq' | 'time'>;

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
