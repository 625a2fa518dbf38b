import type { TraceCause, TraceListener, TraceRecord } from '../restate';

/** Where a log's trace records come from: a controller here, or a running app seen through its inspector. */
export interface TraceSource {
  onTrace(listener: TraceListener): () => void;
}

/** A write made by a run, with its trace record's `seq`. */
export interface RunWrite {
  readonly path: string;
  readonly seq: number;
}

/** One run of a derivation or tracker, as the log keeps it. */
export interface RunRecord {
  /** The run record's `seq` (S121): unique per controller, rising. */
  readonly seq: number;
  /** The id the log files the run under: `derive:<dest>`, or the tracker's definition id. */
  readonly id: string;
  /** Wall-clock time the run ended (ms since the epoch). */
  readonly endedAt: number;
  readonly triggerPath: string;
  readonly cause: TraceCause;
  readonly durationMs: number;
  readonly error: string | null;
  /** A tracker's reads in this run. */
  readonly reads?: readonly string[];
  /** What the run set, deleted or pinged, in order. */
  readonly writes: readonly RunWrite[];
  /** For a run set off by another run's write (cause `derive:…` or `track:…`): that write's `seq`. */
  readonly causeWriteSeq: number | undefined;
}

/** A run's way back to what started it: the runs upstream of it, the first one first, itself last. */
export interface RunAncestry {
  readonly runs: readonly RunRecord[];
  /** The first run's cause when it is not a run's write; undefined when an upstream run is no longer logged. */
  readonly origin: TraceCause | undefined;
}

export type RunListener = (id: string, run: RunRecord) => void;

// A chain of derivations is finite (cycles are refused), but the log is only searched this deep.
const MAX_ANCESTRY = 64;

function isRunCause(cause: TraceCause): cause is `derive:${string}` | `track:${string}` {
  return cause.startsWith('derive:') || cause.startsWith('track:');
}

/**
 * The recent runs of every derivation and tracker of one controller, from its trace stream, at most
 * `capacity` per id: a ring buffer, so a busy derivation costs a fixed amount of memory. It also notes which
 * run wrote what, so a run can be followed back through the runs whose writes set it off.
 */
export class TraceLog {
  readonly #capacity: number;
  readonly #idOf: (controllerId: string) => string;
  readonly #ranAheadMs: (controllerId: string) => number | undefined;
  readonly #runs = new Map<string, { items: RunRecord[]; next: number }>();
  readonly #detach: () => void;
  readonly #listeners = new Set<RunListener>();
  // Writes by a run are traced before the run's own record (S121): they wait here, by controller id.
  readonly #pendingWrites = new Map<string, RunWrite[]>();
  // The last write by a run to each path, so that a run it sets off knows which write that was.
  readonly #lastRunWrite = new Map<string, { cause: TraceCause; seq: number }>();

  /**
   * `idOf` maps a controller id (`track:3`) to the id the log files it under (`tracker:view`). `ranAheadMs`
   * tells how long a derivation's transform ran ahead of its run (DefinitionRunner.runAhead): a run's
   * duration is its transform's time plus its own, which the controller's timing of the run does not include.
   */
  constructor(source: TraceSource, idOf: (controllerId: string) => string, capacity = 50, ranAheadMs: (controllerId: string) => number | undefined = () => undefined) {
    this.#capacity = capacity;
    this.#idOf = idOf;
    this.#ranAheadMs = ranAheadMs;
    this.#detach = source.onTrace((record) => this.#record(record));
  }

  #record(record: TraceRecord): void {
    if (record.kind === 'set' || record.kind === 'delete' || record.kind === 'ping') {
      if (!isRunCause(record.cause)) return;
      const write = { path: record.path, seq: record.seq };
      const pending = this.#pendingWrites.get(record.cause);
      if (pending) pending.push(write);
      else this.#pendingWrites.set(record.cause, [write]);
      this.#lastRunWrite.set(record.path, { cause: record.cause, seq: record.seq });
      return;
    }
    if (record.kind !== 'derive-run' && record.kind !== 'track-run') return;
    const writes = this.#pendingWrites.get(record.id) ?? [];
    this.#pendingWrites.delete(record.id);
    const causeWrite = isRunCause(record.cause) ? this.#lastRunWrite.get(record.triggerPath) : undefined;
    const run: RunRecord = {
      seq: record.seq,
      id: this.#idOf(record.id),
      endedAt: Date.now(),
      triggerPath: record.triggerPath,
      cause: record.cause,
      durationMs: record.kind === 'derive-run' ? record.durationMs + (this.#ranAheadMs(record.id) ?? 0) : record.durationMs,
      error: record.error,
      ...(record.kind === 'track-run' ? { reads: [...record.reads] } : {}),
      writes,
      causeWriteSeq: causeWrite?.cause === record.cause ? causeWrite.seq : undefined,
    };
    let ring = this.#runs.get(run.id);
    if (!ring) this.#runs.set(run.id, ring = { items: [], next: 0 });
    if (ring.items.length < this.#capacity) ring.items.push(run);
    else ring.items[ring.next] = run;
    ring.next = (ring.next + 1) % this.#capacity;
    for (const listener of this.#listeners) listener(run.id, run);
  }

  /** The id the log files a controller id under (`track:3` → `tracker:view`). */
  idOf(controllerId: string): string {
    return this.#idOf(controllerId);
  }

  /** The runs of `id`, oldest first. */
  runsOf(id: string): RunRecord[] {
    const ring = this.#runs.get(id);
    if (!ring) return [];
    if (ring.items.length < this.#capacity) return [...ring.items];
    return [...ring.items.slice(ring.next), ...ring.items.slice(0, ring.next)];
  }

  /** The logged runs that `path` set off or that wrote it, oldest first. */
  runsAt(path: string): RunRecord[] {
    const found: RunRecord[] = [];
    for (const ring of this.#runs.values()) {
      for (const run of ring.items) {
        if (run.triggerPath === path || run.writes.some((write) => write.path === path)) found.push(run);
      }
    }
    return found.sort((a, b) => a.seq - b.seq);
  }

  /**
   * The runs that led to `run`: the run whose write set it off, the run whose write set that one off, and so
   * on back to a change from outside (a file, the API, a ping) or a first run.
   */
  ancestryOf(run: RunRecord): RunAncestry {
    const runs = [run];
    let current = run;
    while (isRunCause(current.cause)) {
      const upstream = current.causeWriteSeq === undefined || runs.length >= MAX_ANCESTRY
        ? undefined
        : this.#runThatWrote(this.#idOf(current.cause), current.causeWriteSeq);
      if (!upstream) return { runs, origin: undefined };
      runs.unshift(upstream);
      current = upstream;
    }
    return { runs, origin: current.cause };
  }

  #runThatWrote(id: string, writeSeq: number): RunRecord | undefined {
    return this.#runs.get(id)?.items.find((candidate) => candidate.writes.some((write) => write.seq === writeSeq));
  }

  /** Called after each run is logged; returns a function that stops the calls. */
  onRun(listener: RunListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  dispose(): void {
    this.#detach();
    this.#listeners.clear();
    this.#runs.clear();
    this.#pendingWrites.clear();
    this.#lastRunWrite.clear();
  }
}
