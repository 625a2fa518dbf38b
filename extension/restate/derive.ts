import type { ControllerAsync, ControllerSync } from './controller';
import { RestateUsageError, type CallbackFailure } from './errors';
import type { Operation } from './drive';
import type { ChangeContext, Engine } from './engine';
import { isPattern, patternMatches, resolveConcretePath, resolvePattern, type PathLike } from './path';
import { describeRunError, guardedRun, newRunStats, runCause, type RunStats, type SystemCallback, type Trigger } from './system';

/** What a derivation's transform receives (S61). */
export class DeriveData {
  readonly controller: ControllerSync | ControllerAsync;
  readonly sources: readonly string[];
  /** `/` on the first run. */
  readonly emittingPath: string;
  readonly #values: ReadonlyMap<string, unknown>;
  readonly #matched: ReadonlyMap<string, string>;

  constructor(
    controller: ControllerSync | ControllerAsync,
    sources: readonly string[],
    emittingPath: string,
    values: ReadonlyMap<string, unknown>,
    matched: ReadonlyMap<string, string>,
  ) {
    this.controller = controller;
    this.sources = sources;
    this.emittingPath = emittingPath;
    this.#values = values;
    this.#matched = matched;
  }

  /** A source's value in this run; `undefined` for non-sources and unmatched patterns. */
  get(path: PathLike): unknown {
    return this.#values.get(resolvePattern(path, 'derive'));
  }

  /** The concrete path a pattern source matched in this run, if any. */
  matchedPath(pattern: PathLike): string | undefined {
    return this.#matched.get(resolvePattern(pattern, 'derive'));
  }
}

export type DeriveTransform = (data: DeriveData) => unknown;

/** A derivation: `dest` kept computed from `sources` (S57–S65). */
export class Derivation implements SystemCallback {
  readonly kind = 'derivation';
  readonly id: string;
  readonly stats: RunStats = newRunStats();
  readonly #engine: Engine;

  constructor(
    engine: Engine,
    readonly dest: string,
    readonly sources: readonly string[],
    readonly transform: DeriveTransform,
    readonly payload: unknown,
  ) {
    this.#engine = engine;
    this.id = `derive:${dest}`;
  }

  run(trigger: Trigger, failures: CallbackFailure[] | undefined): Operation<void> {
    const engine = this.#engine;
    return guardedRun(this.id, this.stats, trigger, failures, this.#compute(trigger), (durationMs, failure) => {
      if (!engine.trace.active) return;
      engine.trace.emit({
        kind: 'derive-run',
        id: this.id,
        dest: this.dest,
        triggerPath: trigger.emittingPath,
        durationMs,
        error: describeRunError(failure),
        cause: runCause(trigger),
        depth: (trigger.chain?.length ?? 0) + 1,
      });
    });
  }

  /** Computes the dest from the sources and writes it, as a nested change (S60). */
  *#compute(trigger: Trigger): Operation<void> {
    const engine = this.#engine;
    const data = yield* this.#data(trigger);
    const context = { chain: trigger.chain, cause: `derive:${this.dest}` as const, batch: trigger.batch };
    const result = yield* engine.callUser(context, `the transform of ${this.id}`, () => this.transform(data));
    if (result === undefined) yield* engine.delState(this.dest, { payload: this.payload }, context);
    else yield* engine.setState(this.dest, result, { payload: this.payload }, context);
  }

  *#data(trigger: Trigger): Operation<DeriveData> {
    const engine = this.#engine;
    const values = new Map<string, unknown>();
    const matched = new Map<string, string>();
    const initial = trigger.kind === 'initial';
    for (const source of this.sources) {
      if (isPattern(source)) {
        if (initial || !patternMatches(source, trigger.levelPath)) {
          values.set(source, undefined);
          continue;
        }
        matched.set(source, trigger.levelPath);
        values.set(
          source,
          trigger.levelPath === trigger.emittingPath ? trigger.newValue : yield* engine.readWithDefault(trigger.levelPath, undefined),
        );
      } else if (!initial && source === trigger.emittingPath) {
        values.set(source, trigger.newValue);
      } else {
        values.set(source, yield* engine.readWithDefault(source, undefined));
      }
    }
    return new DeriveData(engine.facade, this.sources, trigger.emittingPath, values, matched);
  }
}

/** Registers (or replaces) a derivation and runs it once (S58). */
export function* registerDerivation(
  engine: Engine,
  dest: PathLike,
  sources: readonly PathLike[],
  transform: DeriveTransform,
  payload: unknown,
  context: ChangeContext | undefined,
): Operation<string> {
  const destPath = resolveConcretePath(dest, 'derive');
  if (typeof transform !== 'function') {
    throw new RestateUsageError('derive', `derive(${destPath}) needs a transform function`);
  }
  const sourcePaths = [...new Set(sources.map((source) => resolvePattern(source, 'derive')))];
  const derivation = new Derivation(engine, destPath, sourcePaths, transform, payload);
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
