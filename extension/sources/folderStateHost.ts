import { lstatSync } from 'node:fs';
import * as vscode from 'vscode';
import { CachingAsyncBackend, ControllerAsync, FileSystemAsyncBackend, MISSING, RestateFormatError, type RestateConflictError, type TraceRecord } from '../restate';
import { readValueFile } from '../workspace/valueFile';
import { vscodeFileAdapter } from '../workspace/vscodeFileAdapter';
import { ExternalChanges } from './externalChanges';
import { ObservedBackend } from './observedBackend';
import { stateChangeOf, type FileChangesListener, type FileStateHost, type StateChange, type UnreadableFile } from './stateHost';
import { isAtOrBelow, statePathOfRelative, valueFileSegments } from './statePaths';

export interface FolderStateHostOptions {
  readonly workspaceFolder: vscode.WorkspaceFolder;
  /** The state folder relative to the workspace folder, as configured. */
  readonly relativePath: string;
  readonly label: string;
  /** How long file events are collected before they are reported. */
  readonly fileEventDelayMs?: number;
  /** How long notified changes are collected before onDidChangeState fires. */
  readonly changeDelayMs?: number;
  /** Where failures reach the user: one line each time a file becomes unreadable or readable again. */
  readonly log?: vscode.LogOutputChannel;
}

/**
 * A state folder served by a ControllerAsync over a write-through cache over the file-system backend,
 * with a watcher that reports other processes' changes through notifyChange (S124–S125).
 */
export class FolderStateHost implements FileStateHost {
  readonly kind = 'folder';
  readonly id: string;
  readonly label: string;
  readonly stateFolder: vscode.Uri;
  readonly workspaceFolder: vscode.WorkspaceFolder;
  readonly controller: ControllerAsync;
  readonly cache: CachingAsyncBackend;
  readonly runsWorkspaceDefinitions = true;
  readonly observed: ObservedBackend;

  readonly #changed = new vscode.EventEmitter<readonly StateChange[]>();
  readonly onDidChangeState = this.#changed.event;

  readonly #external: ExternalChanges;
  readonly #disposables: vscode.Disposable[] = [];
  readonly #changeDelayMs: number;
  readonly #log: vscode.LogOutputChannel | undefined;
  readonly #unreadable = new Map<string, UnreadableFile>();
  /** The last error of each failing derivation, by its dest: a change of it changes what the tree shows. */
  readonly #failingDests = new Map<string, string>();
  readonly #fileChangesListeners = new Set<FileChangesListener>();
  #collected: StateChange[] = [];
  #changeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: FolderStateHostOptions) {
    this.workspaceFolder = options.workspaceFolder;
    this.label = options.label;
    this.stateFolder = vscode.Uri.joinPath(options.workspaceFolder.uri, options.relativePath);
    this.id = `${options.workspaceFolder.uri.toString()}|${options.relativePath}`;
    this.#changeDelayMs = options.changeDelayMs ?? 15;
    this.#log = options.log;

    const adapter = vscodeFileAdapter(this.stateFolder.scheme);
    const files = new FileSystemAsyncBackend(this.stateFolder.toString(), { adapter });
    // flushInterval 0: every write and delete reaches the disk before it returns (S108), so other
    // processes see the extension's edits at once; the cache only keeps reads (and old values). A write
    // based on a read that another process's change made stale loses to that change (S130).
    this.cache = new CachingAsyncBackend(files, { flushInterval: 0, onConflict: (error) => this.#onConflict(error) });
    this.observed = new ObservedBackend(this.cache);
    // The graph view shows how long each run took, including runs made before the view was opened. Other
    // processes' changes reach the controller through the explorer's own watcher (cause 'file'), not
    // through the backend's reports, which would tell of them a second time.
    this.controller = new ControllerAsync(this.observed, { timeRuns: 'always', followBackend: false });

    this.#external = new ExternalChanges({
      controller: this.controller,
      cache: this.cache,
      observed: this.observed,
      readRootValue: () => readValueFile(this.fileFor('/'), '/').catch(() => MISSING),
      delayMs: options.fileEventDelayMs ?? 60,
      exists: async (path) => this.#exists(path),
      onError: (error) => {
        console.error(`[restate] [explorer] cannot report changes in ${this.stateFolder.toString(true)}:`, error);
        this.#log?.error(`cannot report changes in ${this.stateFolder.toString(true)}: ${messageOf(error)}`);
      },
      onUnreadable: (path, error) => this.#markUnreadable(path, error),
      // What a burst of other processes' changes cost, apart from the views' work on it.
      onReported: (report) => this.#log?.info(`file changes: ${report.pathsRead} path(s) read in ${report.readMs.toFixed(0)} ms, ${report.changesNotified} notified in ${report.notifyMs.toFixed(0)} ms`),
      onReadable: (path, subtree) => this.#markReadable(path, subtree),
      beforeNotify: (changes) => {
        // Work done ahead only saves time: a listener that fails must not keep the changes from being notified.
        const after = [...this.#fileChangesListeners].map((listener) => {
          try {
            return listener(changes);
          } catch (error) {
            console.error('[restate] [explorer] a listener of the changes about to be notified failed:', error);
            return () => undefined;
          }
        });
        return () => after.forEach((done) => done());
      },
    });

    const detachTrace = this.controller.onTrace((record) => this.#onTrace(record));
    // The value that won a conflict is reported like any other change on disk, with the watcher's events.
    const stopWatchingCache = this.cache.watch((change) => this.#external.record(change.path));
    this.#disposables.push(
      { dispose: detachTrace },
      { dispose: stopWatchingCache },
      this.#changed,
      this.#watch(new vscode.RelativePattern(this.stateFolder, '**'), (uri) => this.#pathOf(uri)),
      this.#watch(
        new vscode.RelativePattern(vscode.Uri.joinPath(this.stateFolder, '..'), `${basename(this.stateFolder)}.json`),
        () => '/',
      ),
    );
  }

  fileFor(path: string): vscode.Uri {
    const segments = valueFileSegments(path);
    if (segments === undefined) {
      return vscode.Uri.joinPath(this.stateFolder, '..', `${basename(this.stateFolder)}.json`);
    }
    return vscode.Uri.joinPath(this.stateFolder, ...segments);
  }

  folderFor(path: string): vscode.Uri {
    return vscode.Uri.joinPath(this.stateFolder, ...path.split('/').filter((segment) => segment !== ''));
  }

  async readOwnValue(path: string): Promise<unknown> {
    const value = await readValueFile(this.fileFor(path), path);
    // The watcher needs the old value when this file changes; the cache never held it, as it was read here.
    this.#external.rememberOwnValue(path, value);
    return value;
  }

  get unreadable(): ReadonlyMap<string, UnreadableFile> {
    return this.#unreadable;
  }

  deletedLayout(path: string): readonly string[] | undefined {
    return this.observed.deletedLayout(path);
  }

  noteRead(path: string, error?: unknown): void {
    this.#external.noteRead(path, error);
  }

  async settled(): Promise<void> {
    await this.#external.settled();
    if (this.#changeTimer !== undefined) {
      clearTimeout(this.#changeTimer);
      this.#fireChanges();
    }
  }

  onWillNotifyFileChanges(listener: FileChangesListener): vscode.Disposable {
    this.#fileChangesListeners.add(listener);
    return new vscode.Disposable(() => this.#fileChangesListeners.delete(listener));
  }

  /** Reports a file event as if the watcher had seen it; for paths changed behind the watcher's back. */
  recordExternalChange(path: string): void {
    this.#external.record(path);
  }

  async reload(path: string): Promise<void> {
    this.#external.record(path);
    await this.settled();
  }

  dispose(): void {
    this.#external.dispose();
    if (this.#changeTimer !== undefined) clearTimeout(this.#changeTimer);
    for (const disposable of this.#disposables) disposable.dispose();
    // Nothing is pending with flushInterval 0; close() only stops the cache.
    this.cache.close().catch(() => {});
  }

  /**
   * Whether a node exists, from its value file alone: a plain file says yes; nothing there, nor a children
   * folder, says no. A folder without a value file, a symlink, or a workspace not on this machine is left
   * to the parent's listing, which tells whether such a node counts (S84).
   */
  #exists(path: string): boolean | undefined {
    if (this.stateFolder.scheme !== 'file' || path === '/') return undefined;
    try {
      const file = lstatSync(this.fileFor(path).fsPath, { throwIfNoEntry: false });
      if (file !== undefined) return file.isFile() ? true : undefined;
      return lstatSync(this.folderFor(path).fsPath, { throwIfNoEntry: false }) === undefined ? false : undefined;
    } catch {
      return undefined;
    }
  }

  #onConflict(error: RestateConflictError): void {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('{0} was changed by another program while it was being written: its value was kept, and yours was not written.', error.path),
    );
  }

  #watch(pattern: vscode.RelativePattern, toPath: (uri: vscode.Uri) => string | undefined): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const onEvent = (uri: vscode.Uri): void => {
      const path = toPath(uri);
      if (path !== undefined) this.#external.record(path);
    };
    watcher.onDidCreate(onEvent);
    watcher.onDidChange(onEvent);
    watcher.onDidDelete(onEvent);
    return watcher;
  }

  #pathOf(uri: vscode.Uri): string | undefined {
    const base = this.stateFolder.path.endsWith('/') ? this.stateFolder.path : `${this.stateFolder.path}/`;
    if (uri.scheme !== this.stateFolder.scheme || !uri.path.startsWith(base)) return undefined;
    return statePathOfRelative(uri.path.slice(base.length).split('/').filter((segment) => segment !== ''));
  }

  #markUnreadable(path: string, error: unknown): void {
    const message = error instanceof RestateFormatError ? error.detail : messageOf(error);
    const file = this.fileFor(path);
    this.#unreadable.set(path, { file: file.toString(), message });
    this.#log?.error(`${displayPath(file)} cannot be read (state path ${path}): ${message}`);
    this.#collectChange({ path, cause: 'file', kind: 'status' });
  }

  /** The node (with `subtree`, and everything below it) can be read again, or is gone. */
  #markReadable(path: string, subtree: boolean): void {
    for (const [known, { file }] of [...this.#unreadable]) {
      if (known !== path && !(subtree && isAtOrBelow(known, path))) continue;
      this.#unreadable.delete(known);
      this.#log?.info(`${displayPath(vscode.Uri.parse(file))} can be read again (state path ${known})`);
    }
    // Also when it was never reported: the tree may have shown a half-written file as broken meanwhile.
    this.#collectChange({ path, cause: 'file', kind: 'status' });
  }

  #onDeriveRun(dest: string, id: string, error: string | null): void {
    if ((this.#failingDests.get(dest) ?? null) === error) return;
    if (error === null) this.#failingDests.delete(dest);
    else this.#failingDests.set(dest, error);
    this.#collectChange({ path: dest, cause: `derive:${id}`, kind: 'status' });
  }

  #collectChange(change: StateChange): void {
    this.#collected.push(change);
    this.#changeTimer ??= setTimeout(() => this.#fireChanges(), this.#changeDelayMs);
  }

  #onTrace(record: TraceRecord): void {
    // The watcher needs the old value of a file when another process changes it next. A write through the
    // controller sets the node's own value, so that is what the file holds now.
    if (record.cause !== 'file') {
      if (record.kind === 'set') this.#external.ownValueWritten(record.path, record.value);
      else if (record.kind === 'delete') this.#external.forgetOwnValue(record.path);
    }
    if (record.kind === 'derive-run') {
      this.#onDeriveRun(record.dest, record.id, record.error);
      return;
    }
    const change = stateChangeOf(record);
    if (change !== undefined) this.#collectChange(change);
  }

  #fireChanges(): void {
    this.#changeTimer = undefined;
    const changes = this.#collected;
    this.#collected = [];
    if (changes.length > 0) this.#changed.fire(changes);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A file as the user knows it: relative to the workspace when it is inside it. */
function displayPath(file: vscode.Uri): string {
  return vscode.workspace.asRelativePath(file, true);
}

function basename(uri: vscode.Uri): string {
  const path = uri.path.endsWith('/') ? uri.path.slice(0, -1) : uri.path;
  return path.slice(path.lastIndexOf('/') + 1);
}
