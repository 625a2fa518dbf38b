import { RestateCycleError, collectFailure, type CallbackFailure } from './errors';
import type { Operation } from './drive';
import type { TraceCause } from './trace';
import type { BatchState } from './batch';
import { CYCLE_LIMIT, runCycleError, type Chain } from './chain';

/** What set off a run of a derivation or tracker: the change, seen at the level where it matched. */
export interface Trigger {
  readonly kind: 'set' | 'delete' | 'ping' | 'initial';
  readonly emittingPath: string;
  readonly levelPath: string;
  readonly prevValue: unknown;
  readonly newValue: unknown;
  readonly payload: unknown;
  /** Who made the triggering change; a run's own cause is derived from it (S122). */
  readonly cause: TraceCause;
  /** The triggering change's chain of causes (S38); `undefined` for a first run at the top level. */
  readonly chain: Chain | undefined;
  /** The batch a first run's writes join, when derive or track is called inside one. */
  readonly batch?: BatchState;
}

/**
 * The clock run durations are measured with (S119). Readings are numbers, kept where storing one allocates
 * nothing: a bigint clock makes a new object per reading, which a long-lived derivation or tracker would
 * then hold (see bench/README.md).
 */
const clock: { now(): number } = performance;

export function runClock(): number {
  return clock.now();
}

/**
 * One controller's clock readings for ControllerSync's runs, which share them: a run that starts right
 * after another one ended starts at that reading, and a run whose nested runs have just ended ends at the
 * last one's reading. Sharing is right only while nothing that takes time happened since the reading, so
 * the plain-call path calls `stale` whenever it starts or ends work that may take time: a run's own body,
 * user code, a top-level write. Each controller has its own: another controller's work is user code to
 * this one, and a reading must not outlive it.
 */
export class SharedReading {
  /** A typed array, where storing a number allocates nothing. */
  readonly #last = new Float64Array(1);
  #current = false;

  /** runClock(), or the last reading while it is still current. */
  read(): number {
    if (!this.#current) {
      this.#last[0] = runClock();
      this.#current = true;
    }
    return this.#last[0];
  }

  stale(): void {
    this.#current = false;
  }
}

/** Run statistics kept for the graph (S119). */
export interface RunStats {
  /** How many times it ran. */
  runCount: number;
  /** How long its last run took, in milliseconds; `null` before a timed run (runs are timed once observed). */
  lastRunMs: number | null;
  /** What its last run threw, or `null` when it succeeded. */
  lastError: {
    /** The error's name, such as `TypeError`. */
    name: string;
    /** The error's message. */
    message: string;
  } | null;
}

/**
 * What a system callback keeps about its runs, as the base of Derivation and Tracker: kept in the
 * callback itself because a fan of runs touches each callback once, and a separate object would be one
 * more cache miss per run. The last run's duration is kept as two small integers, whole milliseconds and
 * the nanoseconds beyond them: V8 keeps a number field that is not a small integer in an object of its own,
 * one more object to reach on every run.
 */
export abstract class RunRecord implements RunStats {
  runCount = 0;
  lastError: { name: string; message: string } | null = null;
  /** -1 while the last run was not timed, or before the first run. */
  #lastRunWholeMs = -1;
  #lastRunExtraNs = 0;

  get lastRunMs(): number | null {
    return this.#lastRunWholeMs < 0 ? null : this.#lastRunWholeMs + this.#lastRunExtraNs / 1e6;
  }

  /** Counts a run that was timed from `started` to `ended` (runClock readings). */
  recordRun(started: number, ended: number, error: unknown): void {
    this.runCount++;
    const durationMs = ended - started;
    const wholeMs = Math.floor(durationMs);
    this.#lastRunWholeMs = wholeMs;
    this.#lastRunExtraNs = Math.round((durationMs - wholeMs) * 1e6);
    this.lastError = error === undefined ? null : describeError(error);
  }

  /** Counts a run made while the controller did not time runs: its duration is unknown. */
  recordUntimedRun(error: unknown): void {
    this.runCount++;
    this.#lastRunWholeMs = -1;
    this.lastError = error === undefined ? null : describeError(error);
  }

  /** The statistics as plain data. */
  runStats(): RunStats {
    return { runCount: this.runCount, lastRunMs: this.lastRunMs, lastError: this.lastError && { ...this.lastError } };
  }
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

/**
 * What one notification collects while it delivers: the failures thrown together at its end (S45), and
 * the system callbacks that already ran, since each runs at most once per notification (S34). `close`
 * must be called when the notification ends, however it ends.
 */
export interface Delivery {
  /** Made on first use: most notifications have no failure. */
  readonly failures: CallbackFailure[];
  readonly failed: boolean;
  /** Marks a system callback as run; false if it already ran in this notification. */
  claimSystem(system: SystemCallback): boolean;
  close(): void;
}

/**
 * A change a run made on ControllerSync's plain-call path that is still to be delivered, before the run
 * ends (notification.ts's SyncSet, which SyncPath delivers): the run's start is kept in it.
 */
export interface NestedChange extends Delivery {
  runStarted: number;
}

/**
 * A derivation or a tracker: a callback the controller owns, which runs at most once per state change
 * and ignores stopBubbling (S34, S59, S70).
 */
export interface SystemCallback extends RunRecord {
  readonly kind: 'derivation' | 'tracker';
  readonly id: string;
  /** The mark of the notification that ran it last, for ControllerSync's notifications (S34, notification.ts). */
  ranIn: number;
  /** The depth that notification was opened at, to tell whether it is still open. */
  ranDepth: number;
  /** Whether the callback store holds it: a run that ends after its removal must not subscribe it again. */
  registered: boolean;
  /**
   * How many changes it made are being delivered, in ControllerSync, whose changes nest strictly: the
   * changes it made in the current chain of causes, so its runs in that chain less one (S132). A
   * derivation's dest writes on the plain-call path are counted apart, in openDestLinks.
   */
  openLinks: number;
  /** A derivation's dest writes on the plain-call path being delivered (see SyncPath); 0 for a tracker. */
  readonly openDestLinks: number;
  /** Runs once. With a delivery the run is part of a notification and collects its error there; without, it rethrows. */
  run(trigger: Trigger, delivery: Delivery | undefined): Operation<void>;
  /**
   * `run` as plain calls, for ControllerSync outside a batch (see syncPath.ts). A derivation returns the
   * change its dest write made, still to be delivered: the run ends when that delivery ends.
   */
  runNow(trigger: Trigger, delivery: Delivery): NestedChange | undefined;
}

/** What the start and end of a run need of the controller (the Engine). */
export interface RunHost {
  readonly timesRuns: boolean;
  readonly clock: SharedReading;
  checkRun(system: SystemCallback, chain: Chain | undefined): void;
}

/**
 * The start of a derivation's or tracker's run, for both paths: refused if it would be its CYCLE_LIMIT + 1st
 * in the chain that set it off (S132), then its clock reading if runs are timed, else -1 (a reading is never
 * negative). The plain-call path (`plainCall`) shares readings between runs (SharedReading) and marks the
 * reading stale for the run's own work; a generator may wait between its steps, so it reads the clock.
 */
export function startRun(host: RunHost, system: SystemCallback, chain: Chain | undefined, plainCall: boolean): number {
  if (!plainCall) {
    host.checkRun(system, chain);
    return host.timesRuns ? runClock() : -1;
  }
  // What host.checkRun does on ControllerSync, the only controller with a plain-call path, without its two calls.
  refuseRepeatedRun(system, chain);
  const started = host.timesRuns ? host.clock.read() : -1;
  host.clock.stale();
  return started;
}

/**
 * ControllerSync's refusal of a run that would be the system callback's CYCLE_LIMIT + 1st in the chain that
 * set it off (S132): its changes nest strictly, so it counts the callback's changes being delivered.
 */
export function refuseRepeatedRun(system: SystemCallback, chain: Chain | undefined): void {
  if (system.openLinks + system.openDestLinks >= CYCLE_LIMIT) throw runCycleError(chain, system.id);
}

/** The clock reading at the end of a run that startRun started at `started` (0 when it is not timed). */
export function endReading(host: RunHost, started: number, plainCall: boolean): number {
  if (started < 0) return 0;
  return plainCall ? host.clock.read() : runClock();
}

/**
 * Runs a derivation's or tracker's body as a generator, started by startRun at `started`, and hands its end
 * to `finish`, which records it as the plain-call path does (recordRunEnd, keepRunFailure).
 */
export function* guardedRun(
  host: RunHost,
  started: number,
  body: Operation<void>,
  finish: (ended: number, failed: boolean, failure: unknown) => void,
): Operation<void> {
  let failed = false;
  let failure: unknown;
  try {
    yield* body;
  } catch (error) {
    failed = true;
    failure = error;
  }
  finish(endReading(host, started, false), failed, failure);
}

/** Records a run's statistics (S119): timed from `started` to `ended`, unless `started` is -1. Returns its duration in ms, 0 if untimed. */
export function recordRunEnd(stats: RunRecord, started: number, ended: number, failure: unknown): number {
  if (started < 0) {
    stats.recordUntimedRun(failure);
    return 0;
  }
  stats.recordRun(started, ended, failure);
  return ended - started;
}

/** What a failed run does with its error: rethrow it on a first run or for a cycle, else collect it (S38, S45). */
export function keepRunFailure(error: unknown, id: string, trigger: Trigger, delivery: Delivery | undefined): void {
  if (error instanceof RestateCycleError || delivery === undefined) throw error;
  collectFailure(delivery.failures, id, trigger.levelPath, trigger.emittingPath, error);
}

export function describeRunError(failure: unknown): string | null {
  if (failure === undefined) return null;
  return failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
}

export function runCause(trigger: Trigger): TraceCause {
  if (trigger.kind === 'initial') return 'initial';
  if (trigger.kind === 'ping') return 'ping';
  return trigger.cause;
}
