import type { ControllerAsync, DeriveData, StateCallback } from '../restate';
import type { Definitions, DerivationDefinition, TrackerDefinition } from './config';
import { runLazy, runTransform, runTransforms } from './sandbox';
import type { CompiledCode, Sandbox, SandboxTimeoutError, TransformOutcome } from './sandbox';

/**
 * Keeps one controller's derivations and trackers in step with the definitions file: new and changed entries
 * are (re-)registered, removed ones are underived or untracked, and when the workspace is not trusted nothing
 * is registered at all. Calls to apply() run one after another, so a quick series of file saves cannot
 * interleave registrations. Nothing here depends on VS Code.
 */
export interface RunnerOptions {
  /** The time limit of one run of a transform or tracked expression, read at every run. */
  readonly timeoutMs: () => number;
  readonly sandbox: Sandbox;
  /** Told when a definition's last run left work behind that kept the sandbox busy (see lateErrorOf). */
  readonly onLateError?: (definitionId: string) => void;
}

/** A first-run error, which the controller rethrows from deriveMany/track (later ones are in its stats). */
export interface ApplyFailure {
  readonly id: string;
  readonly message: string;
}

interface Applied {
  /** What the registration was made from; a different signature means the entry changed. */
  readonly signature: string;
  /** The controller's id: `derive:<dest>` or `track:<n>`. */
  readonly controllerId: string;
  /** A derivation's definition, as registered. */
  readonly derivation?: DerivationDefinition;
}

/** A change about to be notified: the path and the value its exact sources will get (S61). */
export interface UpcomingChange {
  readonly path: string;
  readonly newValue: unknown;
}

/** A transform run ahead for a derivation's next run: the code and input it was run with, and its outcome. */
interface RanAhead {
  readonly code: CompiledCode;
  readonly key: string;
  /** `pending` until the batch answers; undefined when the batch could not tell. */
  outcome: TransformOutcome | undefined | 'pending';
  readonly done: Promise<TransformOutcome | undefined>;
}

/** The input of a transform as a string: equal strings, equal inputs (undefined and null told apart). */
function inputKey(values: readonly unknown[]): string {
  return JSON.stringify(values.map((value) => (value === undefined ? [] : [value])));
}

function derivationSignature(definition: DerivationDefinition): string {
  return JSON.stringify([definition.sources, definition.transform]);
}

function trackerSignature(definition: TrackerDefinition): string {
  return JSON.stringify([definition.expression, definition.dest ?? null]);
}

export class DefinitionRunner {
  readonly #controller: ControllerAsync;
  readonly #options: RunnerOptions;
  readonly #derivations = new Map<string, Applied>();
  readonly #trackers = new Map<string, Applied>();
  readonly #lateErrors = new Map<string, string>();
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;
  /** Transforms run ahead, by derivation id, until their run takes them or the burst is over. */
  #ranAhead = new Map<string, RanAhead>();
  /** For each derivation whose last run took a transform run ahead: how long that transform ran in the sandbox. */
  readonly #aheadMs = new Map<string, number>();

  constructor(controller: ControllerAsync, options: RunnerOptions) {
    this.#controller = controller;
    this.#options = options;
  }

  /** The definition id (`tracker:<name>`) of a controller tracker id (`track:<n>`), if it is one of ours. */
  definitionIdOf(controllerId: string): string | undefined {
    for (const [id, applied] of this.#trackers) if (applied.controllerId === controllerId) return id;
    return undefined;
  }

  /** The controller's id of a definition, while it is registered. */
  controllerIdOf(definitionId: string): string | undefined {
    return (this.#derivations.get(definitionId) ?? this.#trackers.get(definitionId))?.controllerId;
  }

  /**
   * The error of work a definition's last run scheduled after its result (a finalization callback, say) that
   * kept the sandbox busy: the run itself had succeeded, so the controller does not know of it.
   */
  lateErrorOf(definitionId: string): string | undefined {
    return this.#lateErrors.get(definitionId);
  }

  /** Every definition's late error (see lateErrorOf). */
  lateErrors(): ReadonlyMap<string, string> {
    return this.#lateErrors;
  }

  get registeredCount(): number {
    return this.#derivations.size + this.#trackers.size;
  }

  apply(definitions: Definitions, trusted: boolean): Promise<ApplyFailure[]> {
    const next = this.#queue.then(() => this.#apply(trusted ? definitions : { derivations: [], trackers: [], problems: [] }));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #apply(definitions: Definitions): Promise<ApplyFailure[]> {
    if (this.#disposed) return [];
    const failures: ApplyFailure[] = [];
    const wantedDerivations = new Map(definitions.derivations.map((d) => [d.id, d]));
    const wantedTrackers = new Map(definitions.trackers.map((t) => [t.id, t]));
    for (const [id, applied] of [...this.#trackers]) {
      const wanted = wantedTrackers.get(id);
      if (!wanted || trackerSignature(wanted) !== applied.signature) {
        this.#untrack(applied);
        this.#trackers.delete(id);
        this.#lateErrors.delete(id);
      }
    }
    for (const [id] of [...this.#derivations]) {
      if (!wantedDerivations.has(id)) {
        this.#controller.underive(id);
        this.#derivations.delete(id);
        this.#lateErrors.delete(id);
      }
    }
    for (const definition of definitions.derivations) {
      const signature = derivationSignature(definition);
      if (this.#derivations.get(definition.id)?.signature === signature) continue;
      // Registered before the first run, so a failing first run still leaves it known (it stays registered).
      this.#derivations.set(definition.id, { signature, controllerId: definition.id, derivation: definition });
      this.#lateErrors.delete(definition.id);
      try {
        await this.#controller.deriveMany(definition.dest, [...definition.sources], this.#transform(definition));
      } catch (error) {
        failures.push({ id: definition.id, message: describe(error) });
      }
    }
    for (const definition of definitions.trackers) {
      if (this.#trackers.has(definition.id)) continue;
      const signature = trackerSignature(definition);
      const before = new Set(this.#trackerIds());
      try {
        const controllerId = await this.#controller.track(this.#tracked(definition));
        this.#trackers.set(definition.id, { signature, controllerId });
      } catch (error) {
        // A failed first run leaves the tracker registered (S66) without handing out its id: it is the one
        // tracker that was not there before.
        failures.push({ id: definition.id, message: describe(error) });
        const controllerId = this.#trackerIds().find((id) => !before.has(id)) ?? '';
        this.#trackers.set(definition.id, { signature, controllerId });
      }
    }
    return failures;
  }

  /**
   * Runs ahead, in one batch in the sandbox, the transforms of the derivations that a burst of changes seen on
   * disk will run: those whose sources are all among the changed paths, as each run then gets the changed
   * values (S61). The runs take these outcomes instead of a round trip to the sandbox each, when their input
   * is the one run ahead (S61 gives other values to sources that are not the emitting path, for one). Returns
   * what to call once the burst has been notified: outcomes not taken by then are dropped, so that none is
   * taken by a later run.
   */
  runAhead(changes: readonly UpcomingChange[]): () => void {
    if (this.#disposed || this.#derivations.size === 0) return () => undefined;
    const values = new Map(changes.map((change) => [change.path, change.newValue]));
    const ahead: { id: string; code: CompiledCode; sources: readonly string[]; values: unknown[]; key: string; onLateWork: (error: SandboxTimeoutError) => void }[] = [];
    for (const [id, applied] of this.#derivations) {
      const definition = applied.derivation;
      if (!definition || definition.sources.length === 0 || !definition.sources.every((source) => values.has(source))) continue;
      const inputs = definition.sources.map((source) => values.get(source));
      let key: string;
      try {
        key = inputKey(inputs);
      } catch {
        continue;
      }
      ahead.push({ id, code: definition.code, sources: definition.sources, values: inputs, key, onLateWork: this.#lateWork(id, definition) });
    }
    if (ahead.length === 0) return () => undefined;
    const outcomes = runTransforms(this.#options.sandbox, ahead, this.#options.timeoutMs());
    const ranAhead = new Map<string, RanAhead>();
    ahead.forEach((run, index) => {
      const entry: RanAhead = {
        code: run.code,
        key: run.key,
        outcome: 'pending',
        done: outcomes[index]!.then((outcome) => (entry.outcome = outcome), () => (entry.outcome = undefined)),
      };
      ranAhead.set(run.id, entry);
    });
    this.#ranAhead = ranAhead;
    return () => {
      if (this.#ranAhead === ranAhead) this.#ranAhead = new Map();
    };
  }

  /** How long the transform of a derivation's last run ran, if it was run ahead (its run did not wait for it). */
  ranAheadMs(controllerId: string): number | undefined {
    return this.#aheadMs.get(controllerId);
  }

  #transform(definition: DerivationDefinition): (data: DeriveData) => unknown {
    return (data) => {
      this.#lateErrors.delete(definition.id);
      const values = definition.sources.map((source) => data.get(source));
      const ahead = this.#takeRanAhead(definition, values);
      this.#aheadMs.delete(definition.id);
      if (ahead === undefined) return this.#runAlone(definition, values);
      // Settled: the outcome is handed over at once, without a turn of the event loop, and the run's duration
      // gets the transform's time added. Otherwise the run waits for the batch, which its duration then holds.
      if (ahead.outcome !== 'pending') {
        if (ahead.outcome !== undefined) this.#aheadMs.set(definition.id, ahead.outcome.ranMs);
        return this.#useOutcome(definition, values, ahead.outcome);
      }
      return ahead.done.then((outcome) => this.#useOutcome(definition, values, outcome));
    };
  }

  #takeRanAhead(definition: DerivationDefinition, values: readonly unknown[]): RanAhead | undefined {
    const ahead = this.#ranAhead.get(definition.id);
    if (ahead === undefined) return undefined;
    this.#ranAhead.delete(definition.id);
    if (ahead.code !== definition.code) return undefined;
    try {
      return inputKey(values) === ahead.key ? ahead : undefined;
    } catch {
      return undefined;
    }
  }

  #useOutcome(definition: DerivationDefinition, values: readonly unknown[], outcome: TransformOutcome | undefined): unknown {
    if (outcome === undefined) return this.#runAlone(definition, values);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  #runAlone(definition: DerivationDefinition, values: readonly unknown[]): Promise<unknown> {
    return runTransform(this.#options.sandbox, definition.code, definition.sources, values, this.#options.timeoutMs(), this.#lateWork(definition.id, definition));
  }

  #tracked(definition: TrackerDefinition): StateCallback<ControllerAsync> {
    return async (event) => {
      this.#lateErrors.delete(definition.id);
      const late = this.#lateWork(definition.id, definition);
      const { value } = await runLazy(this.#options.sandbox, definition.code, (path) => event.getState(path), this.#options.timeoutMs(), late);
      if (definition.dest === undefined) return;
      if (value === undefined) await event.delState(definition.dest);
      else await event.setState(definition.dest, value);
    };
  }

  /** Records the late error of a run of `definition`, unless it has been removed or changed since. */
  #lateWork(id: string, definition: DerivationDefinition | TrackerDefinition): (error: SandboxTimeoutError) => void {
    const signature = definition.kind === 'derivation' ? derivationSignature(definition) : trackerSignature(definition);
    return (error) => {
      const applied = definition.kind === 'derivation' ? this.#derivations.get(id) : this.#trackers.get(id);
      if (this.#disposed || applied?.signature !== signature) return;
      this.#lateErrors.set(id, `${error.name}: ${error.message}`);
      this.#options.onLateError?.(id);
    };
  }

  #untrack(applied: Applied): void {
    if (applied.controllerId) this.#controller.untrack(applied.controllerId);
  }

  #trackerIds(): string[] {
    return this.#controller.graph().nodes.filter((node) => node.kind === 'tracker').map((node) => node.id);
  }

  /** Removes everything this runner registered; values already written stay. */
  dispose(): void {
    this.#disposed = true;
    for (const applied of this.#trackers.values()) this.#untrack(applied);
    for (const id of this.#derivations.keys()) this.#controller.underive(id);
    this.#trackers.clear();
    this.#derivations.clear();
    this.#lateErrors.clear();
    this.#ranAhead.clear();
    this.#aheadMs.clear();
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
