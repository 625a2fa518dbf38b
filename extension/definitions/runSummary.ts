/**
 * Collects the durations of the runs of workspace derivations and trackers and reports each burst of them in
 * one line, once no run came for `quietMs` (or the burst is `maxAgeMs` old): the extension's log shows how long
 * runs take without a line per run. Nothing here depends on VS Code.
 */
export class RunSummary {
  readonly #report: (line: string) => void;
  readonly #quietMs: number;
  readonly #maxAgeMs: number;
  #durations: number[] = [];
  #failed = 0;
  #firstAt = 0;
  #lastAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(report: (line: string) => void, options: { quietMs?: number; maxAgeMs?: number } = {}) {
    this.#report = report;
    this.#quietMs = options.quietMs ?? 200;
    this.#maxAgeMs = options.maxAgeMs ?? 2000;
  }

  add(durationMs: number, failed: boolean): void {
    const now = performance.now();
    if (this.#durations.length === 0) this.#firstAt = now;
    this.#lastAt = now;
    this.#durations.push(durationMs);
    if (failed) this.#failed++;
    this.#timer ??= setTimeout(() => this.#check(), this.#quietMs);
  }

  #check(): void {
    this.#timer = undefined;
    const now = performance.now();
    if (now - this.#lastAt < this.#quietMs && now - this.#firstAt < this.#maxAgeMs) {
      this.#timer = setTimeout(() => this.#check(), this.#quietMs - (now - this.#lastAt));
      return;
    }
    this.flush();
  }

  /** Reports the runs collected so far, if any. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#durations.length === 0) return;
    const line = describeRuns(this.#durations, this.#failed, this.#lastAt - this.#firstAt);
    this.#durations = [];
    this.#failed = 0;
    this.#report(line);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#durations = [];
  }
}

/** `runs: 100 within 412 ms, median 0.84 ms, slowest 3.10 ms, 0 failed`: the line RunSummary reports. */
export function describeRuns(durations: readonly number[], failed: number, spanMs: number): string {
  const sorted = [...durations].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const slowest = sorted[sorted.length - 1];
  return `runs: ${durations.length} within ${spanMs.toFixed(0)} ms, median ${median.toFixed(2)} ms, slowest ${slowest.toFixed(2)} ms, ${failed} failed`;
}
