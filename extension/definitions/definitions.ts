import * as vscode from 'vscode';
import type { StateHost, StateHosts } from '../sources/stateHost';
import { DEFINITIONS_FILE, EMPTY_DEFINITIONS, parseDefinitions, positionAt } from './config';

/** The folder of DEFINITIONS_FILE, relative to the workspace folder. */
const DEFINITIONS_FOLDER = DEFINITIONS_FILE.slice(0, DEFINITIONS_FILE.lastIndexOf('/'));
import type { Definition, Definitions } from './config';
import { DefinitionRunner } from './runner';
import { Sandbox } from './sandbox';
import type { ApplyFailure } from './runner';
import { RunSummary } from './runSummary';
import { TraceLog } from '../sources/traceLog';

/** Whether workspace code may run; VS Code's workspace trust, replaced in tests. */
export interface TrustGate {
  readonly isTrusted: boolean;
  readonly onDidGrant: vscode.Event<void>;
}

export const workspaceTrust: TrustGate = {
  get isTrusted() {
    return vscode.workspace.isTrusted;
  },
  onDidGrant: vscode.workspace.onDidGrantWorkspaceTrust,
};

/** One state folder's share: the runner that registers the definitions on its controller, and its trace. */
export interface HostDefinitions {
  readonly host: StateHost;
  readonly runner: DefinitionRunner;
  readonly trace: TraceLog;
}

interface FolderState {
  text: string;
  definitions: Definitions;
  readonly watcher: vscode.FileSystemWatcher;
}

const RELOAD_DELAY_MS = 50;

/**
 * Loads `.vscode/restate.jsonc` of every workspace folder, reloads it when it changes, reports its problems
 * (and the errors of its entries' runs) as diagnostics, and applies it to the controller of every state
 * folder of that workspace folder — only while the workspace is trusted.
 */
export class DefinitionsManager implements vscode.Disposable {
  readonly #hosts: StateHosts;
  readonly #trust: TrustGate;
  readonly #diagnostics = vscode.languages.createDiagnosticCollection('restate');
  readonly #sandbox = new Sandbox();
  readonly #folders = new Map<string, FolderState>();
  readonly #perHost = new Map<string, HostDefinitions & { detach: () => void }>();
  readonly #failures = new Map<string, ApplyFailure[]>();
  readonly #disposables: vscode.Disposable[] = [];
  readonly #onDidChange = new vscode.EventEmitter<void>();
  readonly #reloadTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #diagnosticsTimer: ReturnType<typeof setTimeout> | undefined;
  #settled: Promise<unknown> = Promise.resolve();
  readonly #runSummary: RunSummary | undefined;

  /** The definitions, their application or their run errors changed. */
  readonly onDidChange = this.#onDidChange.event;

  /** `log`, if given, gets a line per burst of runs: how many, and how long they took. */
  constructor(hosts: StateHosts, trust: TrustGate = workspaceTrust, log?: vscode.LogOutputChannel) {
    this.#hosts = hosts;
    this.#trust = trust;
    this.#runSummary = log && new RunSummary((line) => log.info(`derivation and tracker ${line}`));
    this.#disposables.push(
      this.#diagnostics,
      this.#onDidChange,
      hosts.onDidChangeHosts(() => this.#track(this.#syncHosts())),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.#track(this.#syncFolders())),
      trust.onDidGrant(() => this.#track(this.#applyAll())),
    );
    this.#track(this.#syncFolders());
  }

  get trusted(): boolean {
    return this.#trust.isTrusted;
  }

  /** Resolves once the loads and applications started so far have finished. */
  settled(): Promise<void> {
    return this.#settled.then(() => undefined);
  }

  fileOf(folder: vscode.WorkspaceFolder): vscode.Uri {
    return vscode.Uri.joinPath(folder.uri, DEFINITIONS_FILE);
  }

  definitionsOf(folder: vscode.WorkspaceFolder): Definitions {
    return this.#folders.get(folder.uri.toString())?.definitions ?? EMPTY_DEFINITIONS;
  }

  /** The definition `id` of `folder` and where its entry is in the file. */
  locate(folder: vscode.WorkspaceFolder, id: string): { uri: vscode.Uri; range: vscode.Range } | undefined {
    const state = this.#folders.get(folder.uri.toString());
    const definition = [...(state?.definitions.derivations ?? []), ...(state?.definitions.trackers ?? [])].find((d) => d.id === id);
    if (!state || !definition) return undefined;
    return { uri: this.fileOf(folder), range: rangeOf(state.text, definition.span.offset, definition.span.length) };
  }

  forHost(hostId: string): HostDefinitions | undefined {
    return this.#perHost.get(hostId);
  }

  /** Reloads a folder's file now instead of waiting for the watcher. */
  reload(folder: vscode.WorkspaceFolder): Promise<void> {
    const done = this.#load(folder);
    this.#track(done);
    return done;
  }

  #track(work: Promise<unknown>): void {
    // The handler goes on `work` itself, now: it is already running and may reject before the earlier work
    // settles, which would leave the rejection unhandled until then.
    const handled = work.catch((error: unknown) => {
      console.error('[restate] [definitions]', error);
    });
    this.#settled = this.#settled.then(() => handled);
  }

  async #syncFolders(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const keys = new Set(folders.map((folder) => folder.uri.toString()));
    for (const [key, state] of this.#folders) {
      if (keys.has(key)) continue;
      state.watcher.dispose();
      this.#folders.delete(key);
      this.#diagnostics.delete(vscode.Uri.joinPath(vscode.Uri.parse(key), DEFINITIONS_FILE));
    }
    for (const folder of folders) {
      const key = folder.uri.toString();
      if (this.#folders.has(key)) continue;
      // The folder of the file too: a file written into a folder created just before may have no event of
      // its own (the folder was not watched yet when it was written), but the folder's creation has one.
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `{${DEFINITIONS_FOLDER},${DEFINITIONS_FILE}}`));
      const schedule = (): void => this.#scheduleReload(folder);
      watcher.onDidChange(schedule);
      watcher.onDidCreate(schedule);
      watcher.onDidDelete(schedule);
      this.#folders.set(key, { text: '', definitions: EMPTY_DEFINITIONS, watcher });
      await this.#load(folder);
    }
    await this.#syncHosts();
  }

  // Editors save by truncate-then-write or delete-then-create: the events of one save are read once.
  #scheduleReload(folder: vscode.WorkspaceFolder): void {
    const key = folder.uri.toString();
    clearTimeout(this.#reloadTimers.get(key));
    this.#reloadTimers.set(key, setTimeout(() => {
      this.#reloadTimers.delete(key);
      this.#track(this.#load(folder));
    }, RELOAD_DELAY_MS));
  }

  async #load(folder: vscode.WorkspaceFolder): Promise<void> {
    const state = this.#folders.get(folder.uri.toString());
    if (!state) return;
    let text = '';
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(this.fileOf(folder)));
    } catch {
      // No file: no definitions.
    }
    state.text = text;
    state.definitions = text.trim() === '' ? EMPTY_DEFINITIONS : parseDefinitions(text);
    await Promise.all(this.#hostsOf(folder).map((entry) => this.#applyTo(entry)));
    this.#updateDiagnostics();
    this.#onDidChange.fire();
  }

  #hostsOf(folder: vscode.WorkspaceFolder): (HostDefinitions & { detach: () => void })[] {
    return [...this.#perHost.values()].filter((entry) => entry.host.workspaceFolder.uri.toString() === folder.uri.toString());
  }

  async #syncHosts(): Promise<void> {
    const live = new Set(this.#hosts.all.map((host) => host.id));
    for (const [id, entry] of this.#perHost) {
      if (live.has(id)) continue;
      this.#disposeHost(entry);
      this.#perHost.delete(id);
      this.#failures.delete(id);
    }
    const added: (HostDefinitions & { detach: () => void })[] = [];
    for (const host of this.#hosts.all) {
      // A source that does not take the workspace's definitions (a Redis root, unless it allows them) gets none.
      if (this.#perHost.has(host.id) || host.runsWorkspaceDefinitions === false) continue;
      const timeoutMs = (): number => vscode.workspace.getConfiguration('restate', host.workspaceFolder).get<number>('definitions.timeoutMs', 1000);
      const runner = new DefinitionRunner(host.controller, { timeoutMs, sandbox: this.#sandbox, onLateError: () => this.#scheduleDiagnostics() });
      const trace = new TraceLog(host.controller, (controllerId) => runner.definitionIdOf(controllerId) ?? controllerId, undefined, (controllerId) => runner.ranAheadMs(controllerId));
      const stopTracing = trace.onRun((_id, run) => {
        this.#runSummary?.add(run.durationMs, run.error !== null);
        // Errors appear and clear with runs; the diagnostics follow, a little later for a burst of runs.
        if (run.error !== null || this.#hasRuntimeDiagnostics) this.#scheduleDiagnostics();
      });
      // A burst of changes on disk runs its derivations' transforms in one batch in the sandbox.
      const stopRunningAhead = host.onWillNotifyFileChanges?.((changes) => runner.runAhead(changes));
      const detach = (): void => {
        stopTracing();
        stopRunningAhead?.dispose();
      };
      const entry = { host, runner, trace, detach };
      this.#perHost.set(host.id, entry);
      added.push(entry);
    }
    await Promise.all(added.map((entry) => this.#applyTo(entry)));
    this.#updateDiagnostics();
    this.#onDidChange.fire();
  }

  async #applyAll(): Promise<void> {
    await Promise.all([...this.#perHost.values()].map((entry) => this.#applyTo(entry)));
    this.#updateDiagnostics();
    this.#onDidChange.fire();
  }

  async #applyTo(entry: HostDefinitions): Promise<void> {
    const definitions = this.definitionsOf(entry.host.workspaceFolder);
    this.#failures.set(entry.host.id, await entry.runner.apply(definitions, this.#trust.isTrusted));
  }

  #hasRuntimeDiagnostics = false;

  #scheduleDiagnostics(): void {
    if (this.#diagnosticsTimer) return;
    this.#diagnosticsTimer = setTimeout(() => {
      this.#diagnosticsTimer = undefined;
      this.#updateDiagnostics();
      this.#onDidChange.fire();
    }, 100);
  }

  /** The last error of each definition's runs, per state folder that runs it. */
  runErrorsOf(folder: vscode.WorkspaceFolder): Map<string, string[]> {
    const errors = new Map<string, string[]>();
    const add = (id: string, message: string, host: StateHost): void => {
      const label = this.#hostsOf(folder).length > 1 ? vscode.l10n.t('{0}: {1}', host.label, message) : message;
      const list = errors.get(id) ?? [];
      if (!list.includes(label)) list.push(label);
      errors.set(id, list);
    };
    for (const entry of this.#hostsOf(folder)) {
      for (const failure of this.#failures.get(entry.host.id) ?? []) add(failure.id, failure.message, entry.host);
      for (const [id, message] of entry.runner.lateErrors()) add(id, message, entry.host);
      for (const node of entry.host.controller.graph().nodes) {
        if (node.kind === 'path' || !node.stats.lastError) continue;
        const id = node.kind === 'tracker' ? entry.runner.definitionIdOf(node.id) ?? node.id : node.id;
        add(id, `${node.stats.lastError.name}: ${node.stats.lastError.message}`, entry.host);
      }
    }
    return errors;
  }

  #updateDiagnostics(): void {
    let runtime = false;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const state = this.#folders.get(folder.uri.toString());
      if (!state) continue;
      const diagnostics = state.definitions.problems.map((problem) => {
        const diagnostic = new vscode.Diagnostic(rangeOf(state.text, problem.offset, problem.length), problem.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'restate';
        return diagnostic;
      });
      const all: Definition[] = [...state.definitions.derivations, ...state.definitions.trackers];
      for (const [id, messages] of this.runErrorsOf(folder)) {
        const definition = all.find((d) => d.id === id);
        if (!definition) continue;
        runtime = true;
        for (const message of messages) {
          const diagnostic = new vscode.Diagnostic(rangeOf(state.text, definition.span.offset, definition.span.length), definition.kind === 'derivation'
            ? vscode.l10n.t('Derivation of {0} failed: {1}', definition.dest, message)
            : vscode.l10n.t('Tracker "{0}" failed: {1}', definition.name, message), vscode.DiagnosticSeverity.Warning);
          diagnostic.source = 'restate';
          diagnostics.push(diagnostic);
        }
      }
      this.#diagnostics.set(this.fileOf(folder), diagnostics);
    }
    this.#hasRuntimeDiagnostics = runtime;
  }

  #disposeHost(entry: HostDefinitions & { detach: () => void }): void {
    entry.detach();
    entry.trace.dispose();
    entry.runner.dispose();
  }

  dispose(): void {
    for (const timer of this.#reloadTimers.values()) clearTimeout(timer);
    clearTimeout(this.#diagnosticsTimer);
    this.#runSummary?.dispose();
    for (const entry of this.#perHost.values()) this.#disposeHost(entry);
    this.#perHost.clear();
    for (const state of this.#folders.values()) state.watcher.dispose();
    this.#folders.clear();
    for (const disposable of this.#disposables) disposable.dispose();
    this.#sandbox.dispose();
  }
}

/** A text span of the file as a VS Code range. */
export function rangeOf(text: string, offset: number, length: number): vscode.Range {
  const position = (at: number): vscode.Position => {
    const { line, character } = positionAt(text, at);
    return new vscode.Position(line, character);
  };
  return new vscode.Range(position(offset), position(offset + length));
}
