import type { Backend, ValueHandle } from './backends/backend';
import type { RegisteredSystem } from './callbacks';
import { RestateUsageError } from './errors';
import { isThenable, runSync, type Operation } from './drive';
import type { ChangeContext } from './context';
import type { Engine } from './engine';
import { NO_MARK, type Delivery, type SyncSet } from './notification';
import { isPattern, patternMatches, resolveConcretePath, resolvePattern, type PathLike } from './path';
import { RunRecord, describeRunError, endReading, guardedRun, keepRunFailure, recordRunEnd, runCause, startRun, type Trigger } from './system';
import type { LevelLists, Subscription } from './subscriptions';
import { NOT_NOTIFIED, UNCHANGED, WRITE_START, writeValue, type WriteTarget } from './write';
import { MISSING } from './values';

/** Past this many sources, `get` looks a source up in a map instead of scanning the list. */
const SCAN_LIMIT = 8;

/**
 * What a derivation's transform receives (S61). `C` is the type of the controller running it, which the
 * controllers' deriveMany and the atoms' deriveFrom give, as StateEvent's `C` is for callbacks.
 */
export class DeriveData<C = unknown> {
  /** The controller running the derivation. */
  readonly controller: C;
  /** The derivation's sources, canonical, in the order given. */
  readonly sources: readonly string[];
  /** `/` on the first run. */
  readonly emittingPath: string;
  /** Each source's value in this run, by the source's index. */
  readonly #values: readonly unknown[];
  /** The concrete path each pattern source matched, by the source's index; `undefined` without patterns. */
  readonly #matched: readonly (string | undefined)[] | undefined;
  #indexOf: Map<string, number> | undefined;

  constructor(
    controller: C,
    sources: readonly string[],
    emittingPath: string,
    values: readonly unknown[],
    matched: readonly (string | undefined)[] | undefined,
  ) {
    this.controller = controller;
    this.sources = sources;
    this.emittingPath = emittingPath;
    this.#values = values;
    this.#matched = matched;
  }

  /** A source's value in this run; `undefined` for non-sources and unmatched patterns. */
  get(path: PathLike): unknown {
    const index = this.#find(resolvePattern(path, 'derive'));
    return index === -1 ? undefined : this.#values[index];
  }

  /** The concrete path a pattern source matched in this run, if any. */
  matchedPath(pattern: PathLike): string | undefined {
    const index = this.#find(resolvePattern(pattern, 'derive'));
    return index === -1 ? undefined : this.#matched?.[index];
  }

  #find(source: string): number {
    if (this.sources.length <= SCAN_LIMIT) return this.sources.indexOf(source);
    this.#indexOf ??= new Map(this.sources.map((path, index) => [path, index]));
    return this.#indexOf.get(source) ?? -1;
  }
}

/** A transform given to deriveMany, whichever controller's DeriveData it takes. */
export type DeriveTransform = (data: DeriveData<never>) => unknown;

/** A derivation: `dest` kept computed from `sources` (S57–S65). */
export class Derivation extends RunRecord implements RegisteredSystem, WriteTarget {
  readonly kind = 'derivation';
  readonly id: string;
  ranIn = NO_MARK;
  ranDepth = 0;
  registered = false;
  openLinks = 0;
  openDestLinks = 0;
  readonly keptSubscriptions: readonly Subscription[] = [];
  readonly #engine: Engine;
  readonly #cause: `derive:${string}`;
  readonly #what: string;
  readonly #hasPatterns: boolean;
  readonly #writeOptions: { readonly payload: unknown };
  readonly #onlySource: string;
  readonly #ofValue: ((value: unknown) => unknown) | undefined;
  /** What ControllerSync keeps for writing the dest (a WriteTarget): its level lists, and the backend's handle on it. */
  levelsVersion = -1;
  levels: LevelLists | undefined = undefined;
  readonly handle: ValueHandle | undefined;

  constructor(
    engine: Engine,
    readonly dest: string,
    readonly sources: readonly string[],
    readonly transform: DeriveTransform,
    readonly payload: unknown,
    ofValue?: (value: unknown) => unknown,
  ) {
    super();
    this.#engine = engine;
    this.id = `derive:${dest}`;
    this.#cause = `derive:${dest}`;
    this.#what = `the transform of ${this.id}`;
    this.#hasPatterns = sources.some(isPattern);
    this.#writeOptions = { payload };
    // `derive` with one concrete source hands the transform that source's value: no DeriveData to build.
    this.#ofValue = sources.length === 1 && !this.#hasPatterns ? ofValue : undefined;
    this.#onlySource = sources[0] ?? '/';
    this.handle = engine.isAsync ? undefined : (engine.backend as Backend).handle?.(dest);
  }

  run(trigger: Trigger, delivery: Delivery | undefined): Operation<void> {
    const started = startRun(this.#engine, this, trigger.chain, false);
    return guardedRun(this.#engine, started, this.#compute(trigger), (ended, failed, failure) => this.#finishRun(trigger, delivery, started, ended, failed, failure));
  }

  runNow(trigger: Trigger, delivery: Delivery): SyncSet | undefined {
    const started = startRun(this.#engine, this, trigger.chain, true);
    let nested: SyncSet | undefined;
    try {
      nested = this.#computeNow(trigger);
    } catch (error) {
      this.endRun(trigger, delivery, started, true, error);
      return undefined;
    }
    if (nested === undefined) {
      this.endRun(trigger, delivery, started, false, undefined);
      return undefined;
    }
    // The dest write's change is delivered by SyncPath, which ends this run when that delivery ends.
    nested.runStarted = started;
    return nested;
  }

  endRun(trigger: Trigger, delivery: Delivery, started: number, failed: boolean, failure: unknown): void {
    this.#finishRun(trigger, delivery, started, endReading(this.#engine, started, true), failed, failure);
  }

  /** The end of a run, on either path: its statistics (S119), its trace record, and its failure kept or rethrown (S45). */
  #finishRun(trigger: Trigger, delivery: Delivery | undefined, started: number, ended: number, failed: boolean, failure: unknown): void {
    const recorded = failed ? failure : undefined;
    const durationMs = recordRunEnd(this, started, ended, recorded);
    if (this.#engine.trace.active) this.#traceRun(trigger, durationMs, recorded);
    if (failed) keepRunFailure(failure, this.id, trigger, delivery);
  }

  #traceRun(trigger: Trigger, durationMs: number, failure: unknown): void {
    this.#engine.trace.emit({
      kind: 'derive-run',
      id: this.id,
      dest: this.dest,
      triggerPath: trigger.emittingPath,
      durationMs,
      error: describeRunError(failure),
      cause: runCause(trigger),
      depth: (trigger.chain?.length ?? 0) + 1,
    });
  }


  /** Computes the dest from the sources and writes it, as a nested change (S60). */
  *#compute(trigger: Trigger): Operation<void> {
    const engine = this.#engine;
    const matched = this.#hasPatterns ? [] : undefined;
    const values = this.#sourceValues(trigger, matched, false);
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (isThenable(value)) values[index] = readResult(matched?.[index] ?? this.sources[index], yield value);
    }
    const context = this.#runContext(trigger);
    const result = yield* engine.callUser(context, this.#what, this.#transformOf(), this.#transformInput(trigger, values, matched));
    yield* this.#write(result, context);
  }

  /** #compute as plain calls (see syncPath.ts); returns the dest write's change if it is still to be delivered. */
  #computeNow(trigger: Trigger): SyncSet | undefined {
    const engine = this.#engine;
    const plain = engine.plain!;
    const context = this.#runContext(trigger);
    let result: unknown;
    if (this.#ofValue !== undefined) {
      // One concrete source, kept in a field of its own: a chain reads it once per link.
      const source = this.#onlySource;
      const value = trigger.kind !== 'initial' && source === trigger.emittingPath ? trigger.newValue : readResult(source, plain.read(source));
      result = plain.callUser(context, this.#ofValue, value, this.#what);
    } else {
      const matched = this.#hasPatterns ? [] : undefined;
      const values = this.#sourceValues(trigger, matched, true);
      result = plain.callUser(context, this.#transformOf(), this.#transformInput(trigger, values, matched), this.#what);
    }
    if (result !== undefined && trigger.batch === undefined && !engine.trace.active) {
      // Without a payload the write needs no options, and a chain reads one object fewer per link.
      const opts = this.payload === undefined ? undefined : this.#writeOptions;
      const prevValue = writeValue(engine, this.dest, result, opts, trigger.chain, this.#cause, undefined, this, WRITE_START, undefined);
      if (prevValue === UNCHANGED || prevValue === NOT_NOTIFIED) return undefined;
      return plain.openChange(this.dest, prevValue, result, opts, trigger.chain, this.#cause, this, undefined);
    }
    runSync(this.#write(result, context));
    return undefined;
  }

  #runContext(trigger: Trigger): ChangeContext {
    return { chain: trigger.chain, cause: this.#cause, batch: trigger.batch, runner: this };
  }

  /**
   * The sources' values in a run (S61): carried by the trigger, or read. A read that returns a promise is
   * left in its place for #compute to wait for, unless `refuse`, which refuses it as ControllerSync does.
   */
  #sourceValues(trigger: Trigger, matched: (string | undefined)[] | undefined, refuse: boolean): unknown[] {
    const values: unknown[] = [];
    for (let index = 0; index < this.sources.length; index++) {
      const value = this.#sourceValue(index, trigger, matched);
      if (value !== MISSING) {
        values[index] = value;
        continue;
      }
      const path = matched?.[index] ?? this.sources[index];
      const read = refuse ? this.#engine.plain!.read(path) : this.#engine.backend.read(path, MISSING);
      values[index] = isThenable(read) ? read : readResult(path, read);
    }
    return values;
  }

  /** The function a run calls: `derive`'s own, on the one source's value, else the transform, on a DeriveData. */
  #transformOf(): (input: unknown) => unknown {
    return (this.#ofValue ?? this.transform) as (input: unknown) => unknown;
  }

  /** What the transform gets: the one source's value for `derive`, else a DeriveData (S61). */
  #transformInput(trigger: Trigger, values: readonly unknown[], matched: readonly (string | undefined)[] | undefined): unknown {
    return this.#ofValue !== undefined ? values[0] : new DeriveData(this.#engine.facade, this.sources, trigger.emittingPath, values, matched);
  }

  /** The dest write of a run (S60): a transform's undefined deletes the dest. */
  *#write(result: unknown, context: ChangeContext): Operation<void> {
    if (result === undefined) yield* this.#engine.delState(this.dest, this.#writeOptions, context);
    else yield* this.#engine.setState(this.dest, result, this.#writeOptions, context);
  }

  /**
   * Source `index`'s value when the trigger carries it (undefined for a pattern it did not match), or MISSING
   * when it has to be read: from the source, or for a pattern from the path it matched, kept in `matched`.
   */
  #sourceValue(index: number, trigger: Trigger, matched: (string | undefined)[] | undefined): unknown {
    const source = this.sources[index];
    const initial = trigger.kind === 'initial';
    if (matched !== undefined && isPattern(source)) {
      if (initial || !patternMatches(source, trigger.levelPath)) return undefined;
      matched[index] = trigger.levelPath;
      return trigger.levelPath === trigger.emittingPath ? trigger.newValue : MISSING;
    }
    return !initial && source === trigger.emittingPath ? trigger.newValue : MISSING;
  }
}

/** A source's value as getState gives it: a missing source is undefined, the root at least {}. */
function readResult(path: string, value: unknown): unknown {
  if (value !== MISSING) return value;
  return path === '/' ? {} : undefined;
}

/** Registers (or replaces) a derivation and runs it once (S58). */
export function* registerDerivation(
  engine: Engine,
  dest: PathLike,
  sources: readonly PathLike[],
  transform: DeriveTransform,
  payload: unknown,
  context: ChangeContext | undefined,
  ofValue?: (value: unknown) => unknown,
): Operation<string> {
  const destPath = resolveConcretePath(dest, 'derive');
  if (typeof transform !== 'function' || (ofValue !== undefined && typeof ofValue !== 'function')) {
    throw new RestateUsageError('derive', `derive(${destPath}) needs a transform function`);
  }
  const sourcePaths = [...new Set(sources.map((source) => resolvePattern(source, 'derive')))];
  const derivation = new Derivation(engine, destPath, sourcePaths, transform, payload, ofValue);
  engine.removeSystem(derivation.id);
  engine.callbacks.registerSystem(derivation.id, derivation);
  for (const source of sourcePaths) engine.subscriptions.add(source, derivation.id);
  const trigger: Trigger = { kind: 'initial', emittingPath: '/', levelPath: '/', prevValue: undefined, newValue: undefined, payload, cause: 'initial', chain: context?.chain, batch: context?.batch };
  yield* derivation.run(trigger, undefined);
  return derivation.id;
}

/** `underive(destOrId)` (S65): a string starting with `derive:` is an id, anything else a dest. */
export function removeDerivation(engine: Engine, destOrId: PathLike): boolean {
  const id = typeof destOrId === 'string' && destOrId.startsWith('derive:') ? destOrId : `derive:${resolveConcretePath(destOrId, 'derive')}`;
  return engine.removeSystem(id) !== undefined;
}
