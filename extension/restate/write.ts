import type { AnyBackend, ValueHandle } from './backends/backend';
import type { BatchState, BatchStore } from './batch';
import type { Chain } from './chain';
import { AsyncValueInSyncModeError, ignoreRejection, isThenable, runAsync, runSync } from './drive';
import { RestateFormatError, RestateValueError } from './errors';
import type { DestWriter } from './notification';
import type { SetStateOptions } from './options';
import type { PathLevels } from './subscriptions';
import type { SharedReading } from './system';
import type { TraceCause } from './trace';
import { MISSING, deepEqual } from './values';

const COMPONENT = 'controller';

/**
 * What a set's steps need of the engine: the backend and the trace, the batch's undo log, the run clock,
 * and the refusal of a change too deep or repeated (S38, S132). Declared here, not taken from engine.ts,
 * so that the set's steps stay below the engine and ControllerSync's plain-call path, which both run them.
 */
export interface WriteHost extends BatchStore {
  readonly backend: AnyBackend;
  readonly isAsync: boolean;
  readonly clock: SharedReading;
  checkChange(outer: Chain | undefined, path: string, cause: TraceCause, target?: DestWriter): void;
}

/**
 * What a derivation keeps for writing its dest again and again: its level lists, the backend's handle on
 * it if there is one, and how many of its writes there are being delivered (S132).
 */
export interface WriteTarget extends PathLevels, DestWriter {
  readonly handle: ValueHandle | undefined;
}

/**
 * setState's refusal of a value that is no value (S13). The error is made elsewhere: kept this small, the
 * check is inlined into a derivation's run along with the rest of its write.
 */
export function refuseUnset(canonical: string, value: unknown): void {
  if (value === undefined || value === MISSING) throw unsetValueError(canonical, value);
}

function unsetValueError(canonical: string, value: unknown): RestateValueError {
  return new RestateValueError(COMPONENT, canonical, `cannot set ${canonical} to ${value === undefined ? 'undefined' : 'MISSING'}: use delState to remove a value`);
}

/** writeValue's answer for a value equal to the stored one: nothing was written. */
export const UNCHANGED: unique symbol = Symbol('unchanged');
/** writeValue's answer for a write that notifies nobody: skipNotify, or joined to a batch that notifies it later. */
export const NOT_NOTIFIED: unique symbol = Symbol('not notified');

/** writeValue's answer once a step returned a promise (ControllerAsync): what it settles to. */
export interface SettledWrite {
  readonly outcome: unknown;
}

export class PendingWrite {
  constructor(readonly settled: Promise<SettledWrite>) {}
}

/** Where writeValue takes its steps up again once a promise settled (ControllerAsync): after the read, the log, the write. */
export const WRITE_START = 0;
const WRITE_READ = 1;
const WRITE_LOGGED = 2;
const WRITE_STORED = 3;

/**
 * The steps of a set (S13, S18, S113, S131, S132), the one statement of them that both paths run: the
 * generator setState and ControllerSync's plain-call path (SyncPath.writeCanonical, and a derivation's
 * run), which deliver what it reports each in their own way. Plain calls while every step answers at once;
 * when a backend call returns a promise, ControllerSync refuses it, and for ControllerAsync the steps go on
 * from there when it settles (`from`, with the `stored` value read), the answer being a PendingWrite. The
 * answer: UNCHANGED, NOT_NOTIFIED, or the old value of a change to notify.
 *
 * Plain calls rather than a generator, and one function rather than one per step, because a derivation's
 * run on the plain-call path writes its dest through it once per link of a chain: a generator's frame and
 * object, or a call per step, would be a large part of the write's cost (bench/README.md, "restate's call
 * stack"). For the same reason what only a batch, a trace listener or a promise needs is in functions of
 * its own, and no closure is made here. A `target` (a derivation writing its dest) reads and writes
 * through the backend's handle on the path, which never returns a promise, and counts its own writes (S132).
 */
export function writeValue(
  engine: WriteHost,
  canonical: string,
  value: unknown,
  opts: SetStateOptions | undefined,
  chain: Chain | undefined,
  cause: TraceCause,
  batch: BatchState | undefined,
  target: WriteTarget | undefined,
  from: number,
  resumedStored: unknown,
): unknown {
  let stored = resumedStored;
  if (from === WRITE_START) {
    // The runs this change sets off must not take their start from a reading made before it.
    engine.clock.stale();
    refuseUnset(canonical, value);
    const handle = target?.handle;
    try {
      if (handle !== undefined) stored = handle.read();
      else {
        stored = engine.backend.read(canonical, MISSING);
        if (isThenable(stored)) return writeLater(readLater(engine, canonical, stored), engine, canonical, value, opts, chain, cause, batch, target, WRITE_READ, undefined);
      }
    } catch (error) {
      stored = readUnparsable(engine, canonical, error);
      if (isThenable(stored)) return writeLater(readLater(engine, canonical, stored), engine, canonical, value, opts, chain, cause, batch, target, WRITE_READ, undefined);
    }
  }
  const prevValue = previousOf(canonical, stored, opts);
  if (from <= WRITE_READ) {
    if (isUnchanged(value, prevValue, opts)) {
      if (engine.trace.active) traceSet(engine, canonical, prevValue, value, opts, chain, cause, false, false);
      return UNCHANGED;
    }
    engine.checkChange(chain, canonical, cause, target);
    // A write in a batch, or in a batch's flush, is logged there, to be undone if the batch fails (S116, S132).
    const log = batch ?? chain?.log;
    if (log !== undefined && logWrite(engine, log, canonical, stored)) {
      return writeLater(runAsync(log.beforeWrite(engine, canonical, stored)), engine, canonical, value, opts, chain, cause, batch, target, WRITE_LOGGED, stored);
    }
  }
  if (from <= WRITE_LOGGED) {
    const handle = target?.handle;
    if (handle !== undefined) handle.write(value);
    else {
      const written = engine.backend.write(canonical, value);
      if (isThenable(written)) return writeLater(later(engine, written), engine, canonical, value, opts, chain, cause, batch, target, WRITE_STORED, stored);
    }
  }
  // Written: a batch records the change for its flush (S115); the trace is told.
  const notify = opts?.skipNotify !== true;
  if (batch !== undefined) {
    if (notify) batch.recordChange(canonical, stored === MISSING ? undefined : stored, opts?.payload, 'change', cause);
    if (engine.trace.active) traceSet(engine, canonical, prevValue, value, opts, chain, cause, true, true);
    return NOT_NOTIFIED;
  }
  if (engine.trace.active) traceSet(engine, canonical, prevValue, value, opts, chain, cause, true, false);
  return notify ? prevValue : NOT_NOTIFIED;
}

/**
 * Logs a write before it is made, for the batch or flush that may undo it: at once on ControllerSync
 * (false), or true for ControllerAsync, whose log is written by the caller and waited for.
 */
function logWrite(engine: WriteHost, log: BatchState | NonNullable<Chain['log']>, canonical: string, stored: unknown): boolean {
  if (engine.isAsync) return true;
  runSync(log.beforeWrite(engine, canonical, stored));
  return false;
}

/** The trace record of a set (S121). */
function traceSet(
  engine: WriteHost,
  canonical: string,
  prevValue: unknown,
  value: unknown,
  opts: SetStateOptions | undefined,
  chain: Chain | undefined,
  cause: TraceCause,
  changed: boolean,
  batched: boolean,
): void {
  const notified = changed && !batched && opts?.skipNotify !== true;
  engine.trace.emit({ kind: 'set', path: canonical, prevValue, value, changed, notified, payload: opts?.payload, batched, cause, depth: (chain?.length ?? 0) + 1 });
}

/**
 * writeValue's steps from `from` on, once `step` settles: the stored value it read (WRITE_READ), or `stored`.
 * A function of its own so that writeValue holds no closure over its arguments, which would make V8 allocate
 * them a context on every call, on the plain-call path too.
 */
function writeLater(
  step: Promise<unknown>,
  engine: WriteHost,
  canonical: string,
  value: unknown,
  opts: SetStateOptions | undefined,
  chain: Chain | undefined,
  cause: TraceCause,
  batch: BatchState | undefined,
  target: WriteTarget | undefined,
  from: number,
  stored: unknown,
): PendingWrite {
  return pending(step.then((settled) => writeValue(engine, canonical, value, opts, chain, cause, batch, target, from, from === WRITE_READ ? settled : stored)));
}

/** A backend read's promise (ControllerAsync), with S131's tolerant read of a value that cannot be parsed. */
function readLater(engine: WriteHost, canonical: string, stored: PromiseLike<unknown>): Promise<unknown> {
  return later(engine, stored).then(undefined, (error: unknown) => readUnparsable(engine, canonical, error));
}

/** S131: a stored value that cannot be parsed is overwritten all the same; its old value is read tolerantly. */
function readUnparsable(engine: WriteHost, canonical: string, error: unknown): unknown {
  if (!(error instanceof RestateFormatError)) throw error;
  return engine.isAsync ? runAsync(engine.readOld(canonical)) : runSync(engine.readOld(canonical));
}

/** A backend call's promise, which ControllerSync refuses (S39) and ControllerAsync waits for. */
function later(engine: WriteHost, thenable: PromiseLike<unknown>): Promise<unknown> {
  if (!engine.isAsync) {
    ignoreRejection(thenable);
    throw new AsyncValueInSyncModeError('the backend');
  }
  return Promise.resolve(thenable);
}

/** The rest of writeValue's steps, once `rest` settles; boxed, so that an old value is never taken for a promise to adopt. */
function pending(rest: Promise<unknown>): PendingWrite {
  return new PendingWrite(rest.then((outcome) => (outcome instanceof PendingWrite ? outcome.settled : { outcome })));
}

/** What a set compares with and reports as the old value: the stored value, else the default; the root at least {} (S18). */
export function previousOf(canonical: string, stored: unknown, opts: SetStateOptions | undefined): unknown {
  return stored !== MISSING ? stored : canonical === '/' ? {} : opts?.default;
}

/** Whether a set changes nothing (S18): eqFunc's verdict, or deepEqual's. */
export function isUnchanged(value: unknown, prevValue: unknown, opts: SetStateOptions | undefined): boolean {
  return opts?.eqFunc === undefined ? deepEqual(value, prevValue) : Boolean(opts.eqFunc(value, prevValue));
}
