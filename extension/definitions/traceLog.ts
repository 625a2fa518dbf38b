import type { ControllerAsync, TraceCause, TraceRecord } from '../restate';

/** One run of a derivation or tracker, as the Trace command shows it. */
export interface RunRecord {
  /** Wall-clock time the run ended (ms since the epoch). */
  readonly endedAt: number;
  readonly triggerPath: string;
  readonly cause: TraceCause;
  readonly durationMs: number;
  readonly error: string | null;
  /** A tracker's reads in this run. */
  readonly reads?: readonly string[];
}

export type RunListener = (id: string, run: RunRecord) => void;

/**
 * The recent runs of every derivation and tracker of one controller, from its trace stream, at most
 * `capacity` per id: a ring buffer, so a busy derivation costs a fixed amount of memory.
 */
export class TraceLog {
  readonly #capacity: number;
  readonly #runs = new Map<string, { items: RunRecord[]; next: number }>();
  readonly #detach: () => void;
  readonly #listeners = new Set<RunListener>();

  /** `idOf` maps a controller id (`track:3`) to the id the log files it under (`tracker:view`). */
  constructor(controller: ControllerAsync, idOf: (controllerId: string) => string, capacity = 50) {
    this.#capacity = capacity;
    this.#detach = controller.onTrace((record) => this.#record(record, idOf));
  }

  #record(record: TraceRecord, idOf: (controllerId: string) => string): void {
    if (record.kind !== 'derive-run' && record.kind !== 'track-run') return;
    const run: RunRecord = {
      endedAt: Date.now(),
      triggerPath: record.triggerPath,
      cause: record.cause,
      durationMs: record.durationMs,
      error: record.error,
      ...(record.kind === 'track-run' ? { reads: [...record.reads] } : {}),
    };
    const id = idOf(record.id);
    let ring = this.#runs.get(id);
    if (!ring) this.#runs.set(id, ring = { items: [], next: 0 });
    if (ring.items.length < this.#capacity) ring.items.push(run);
    else ring.items[ring.next] = run;
    ring.next = (ring.next + 1) % this.#capacity;
    for (const listener of this.#listeners) listener(id, run);
  }

  /** The runs of `id`, oldest first. */
  runsOf(id: string): RunRecord[] {
    const ring = this.#runs.get(id);
    if (!ring) return [];
    if (ring.items.length < this.#capacity) return [...ring.items];
    return [...ring.items.slice(ring.next), ...ring.items.slice(0, ring.next)];
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
  }
}

export interface TraceSubject {
  readonly id: string;
  readonly title: string;
  /** What it depends on now: a derivation's sources, a tracker's reads of its last run. */
  readonly dependencies: readonly string[];
  readonly dest: string | undefined;
}

/** The Trace command's report: current dependencies, then the recent runs, newest first. */
export function formatTrace(subject: TraceSubject, runs: readonly RunRecord[], now = Date.now()): string {
  const lines = [`# ${subject.title}`, '', `id: \`${subject.id}\``];
  if (subject.dest) lines.push(`writes: \`${subject.dest}\``);
  lines.push('', '## Current dependencies', '');
  if (subject.dependencies.length === 0) lines.push('none (not running, or it read nothing)');
  for (const dependency of subject.dependencies) lines.push(`- \`${dependency}\``);
  lines.push('', `## Recent runs (${runs.length}, newest first)`, '');
  if (runs.length === 0) lines.push('No run since the trace started (it starts with the extension).');
  else {
    lines.push('| ended | trigger | cause | duration | result |', '|---|---|---|---|---|');
    for (const run of [...runs].reverse()) {
      const ago = `${((now - run.endedAt) / 1000).toFixed(1)} s ago`;
      const result = run.error === null ? 'ok' : `error: ${run.error.replace(/\|/g, '\\|').replace(/\n/g, ' ')}`;
      const reads = run.reads ? ` (read ${run.reads.map((r) => `\`${r}\``).join(', ') || 'nothing'})` : '';
      lines.push(`| ${ago} | \`${run.triggerPath}\` | ${run.cause} | ${run.durationMs.toFixed(2)} ms | ${result}${reads} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
