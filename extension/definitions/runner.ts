import type { ControllerAsync, DeriveData, StateCallback } from '../restate';
import type { Definitions, DerivationDefinition, TrackerDefinition } from './config';
import { runLazy, runTransform } from './sandbox';
import type { Sandbox, SandboxTimeoutError } from './sandbox';

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
      this.#derivations.set(definition.id, { signature, controllerId: definition.id });
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

  #transform(definition: DerivationDefinition): (data: DeriveData) => unknown {
    return (data) => {
      this.#lateErrors.delete(definition.id);
      const values = definition.sources.map((source) => data.get(source));
      return runTransform(this.#options.sandbox, definition.code, definition.sources, values, this.#options.timeoutMs(), this.#lateWork(definition.id, definition));
    };
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
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
