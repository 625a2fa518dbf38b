import type * as vscode from 'vscode';
import { MISSING, type CachingAsyncBackend, type ControllerAsync, type TraceCause, type TraceRecord } from '../restate';

/**
 * One notified change of a state folder, as the controller traced it: a write, a delete or a ping made
 * through the controller (cause 'api'), by a derivation or tracker, or seen on disk (cause 'file').
 */
export interface StateChange {
  readonly path: string;
  readonly cause: TraceCause;
  /**
   * What happened to the node: its value changed, it appeared, it disappeared, or it was pinged. Consumers
   * that show structure (the tree) refresh the parent for 'created' and 'deleted', the node itself otherwise.
   * 'status' changes only what is shown about the node, not its value: its value file became unreadable or
   * readable again (see StateHost.unreadable), or its derivation started or stopped failing.
   */
  readonly kind: 'changed' | 'created' | 'deleted' | 'pinged' | 'status';
}

/** See StateHost.onWillNotifyFileChanges. */
export type FileChangesListener = (changes: readonly { readonly path: string; readonly newValue: unknown }[]) => () => void;

/** A value file that cannot be read: the file (as a URI string) and why. */
export interface UnreadableFile {
  readonly file: string;
  readonly message: string;
}

/**
 * Where a state source keeps its nodes as files. A state folder has them; a source that is not made of files
 * (a Redis root, say) would not, and the parts that use them are the tree's listing of children, Open File
 * and Edit Value.
 */
export interface StateFiles {
  readonly stateFolder: vscode.Uri;
  /** The value file of a state path: `<folder>/a/b.json`; for the root, `<folder>.json`. */
  fileFor(path: string): vscode.Uri;
  /** The children folder of a state path: `<folder>/a/b`; for the root, the state folder itself. */
  folderFor(path: string): vscode.Uri;
}

/**
 * A source of state in the workspace with the controller that serves it; every view and command reaches state
 * through one. A state folder (FolderStateHost): its controller sits on a write-through cache over the
 * file-system backend (through vscode.workspace.fs, so remote workspaces work), and a watcher reports changes
 * made by other processes to it with notifyChange (cause 'file'). A Redis root (RedisStateHost): its
 * controller sits on a RedisBackend, whose change feed reports other processes' writes (cause 'remote').
 */
export interface StateHost extends vscode.Disposable {
  /** Stable across reloads: `${workspaceFolder.uri}|${state folder relative to it}`, or `redis|<url>|<prefix>`. */
  readonly id: string;
  /** A state folder has value files (see StateFiles); a Redis root has none. */
  readonly kind: 'folder' | 'redis';
  /** No command writes to it; the menus offer none that would. */
  readonly readOnly?: boolean;
  /** Whether the derivations and trackers of `.vscode/restate.jsonc` run over it (and so write to it). */
  readonly runsWorkspaceDefinitions?: boolean;
  /** The state folder as configured, e.g. ".state", prefixed by the workspace folder's name in multi-root. */
  readonly label: string;
  /** The workspace folder whose settings and definitions file (`.vscode/restate.jsonc`) apply to this source. */
  readonly workspaceFolder: vscode.WorkspaceFolder;
  readonly controller: ControllerAsync;
  /**
   * The cache under the controller, if it has one; invalidate() it after changing files behind the
   * controller's back.
   */
  readonly cache?: CachingAsyncBackend;
  /** A coalesced burst of notified changes (any cause), in the order they happened. */
  readonly onDidChangeState: vscode.Event<readonly StateChange[]>;
  /**
   * A node's own value from its value file alone, MISSING when it has none: never the merged read of its
   * subtree (S10). Throws a RestateFormatError for a file that cannot be parsed.
   */
  readOwnValue(path: string): Promise<unknown>;
  /**
   * The value files that cannot be read now, by state path: found by the watcher once a changed file stayed
   * unreadable through its retries (S133), or by a reader that told noteRead. Each change fires a 'status'.
   */
  readonly unreadable: ReadonlyMap<string, UnreadableFile>;
  /**
   * The nodes at or below `path` that had children when the controller last deleted it, parents first, as
   * listed just before; undefined when unknown. A delete's value before is a merged read (S10), which cannot
   * tell an object value from children: this tells them apart, so that a revert restores the same nodes.
   */
  deletedLayout?(path: string): readonly string[] | undefined;
  /** Tells the host how reading a node's value file went: the error, or undefined when it could be read. */
  noteRead(path: string, error?: unknown): void;
  /**
   * Calls `listener` with each burst of changes seen on disk just before they are notified (cause 'file'),
   * and what it returns once they have been: for work that can be done for the whole burst ahead.
   */
  onWillNotifyFileChanges?(listener: FileChangesListener): vscode.Disposable;
  /** Resolves once every file event received so far has been turned into notifications. */
  settled(): Promise<void>;
  /**
   * Takes a node's files as they are now, whether or not the watcher has reported them yet: a change made by
   * another process is notified (cause 'file') and the cache reads the node again. For a write that must
   * start from what is on disk.
   */
  reload(path: string): Promise<void>;
}

/** A state source made of files: a state folder. */
export interface FileStateHost extends StateHost, StateFiles {
  readonly kind: 'folder';
  readonly cache: CachingAsyncBackend;
}

/** Whether the source keeps its nodes as files (Open File, Edit Value in an editor, the folder listing). */
export function hasFiles(host: StateHost): host is FileStateHost {
  return host.kind === 'folder';
}

/** Every state source of the workspace, kept in step with the settings and the workspace folders. */
export interface StateHosts extends vscode.Disposable {
  readonly all: readonly StateHost[];
  readonly onDidChangeHosts: vscode.Event<void>;
  hostFor(id: string): StateHost | undefined;
  /** Resolves once the scan started by the last change of settings or folders has finished. */
  whenReady(): Promise<void>;
}

/** A node's own value (from its value file alone) as the tree and the commands show it. */
export async function readOwnValue(host: StateHost, path: string): Promise<{ hasValue: boolean; value: unknown }> {
  const own = await host.readOwnValue(path);
  return own === MISSING ? { hasValue: false, value: undefined } : { hasValue: true, value: own };
}

/**
 * Splits a node's read (S10) into its own value and whether it has one: a node with children reads as
 * an object of its children plus "/" for its own value.
 */
export function ownValueOf(read: unknown, hasChildren: boolean): { hasValue: boolean; value: unknown } {
  if (!hasChildren) return { hasValue: read !== undefined, value: read };
  if (read !== null && typeof read === 'object' && Object.prototype.hasOwnProperty.call(read, '/')) {
    return { hasValue: true, value: (read as Record<string, unknown>)['/'] };
  }
  return { hasValue: false, value: undefined };
}

/** The change a trace record tells the views of: a set that changed, a delete of what existed, a ping; else none. */
export function stateChangeOf(record: TraceRecord): StateChange | undefined {
  switch (record.kind) {
    case 'set':
      return record.changed ? { path: record.path, cause: record.cause, kind: record.prevValue === undefined ? 'created' : 'changed' } : undefined;
    case 'delete':
      return record.existed ? { path: record.path, cause: record.cause, kind: 'deleted' } : undefined;
    case 'ping':
      return { path: record.path, cause: record.cause, kind: 'pinged' };
    default:
      return undefined;
  }
}
