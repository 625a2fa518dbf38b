import * as vscode from 'vscode';
import { FolderStateHost } from './folderStateHost';
import { parseRedisRoots, passwordKey, redisRootsSetting, type RedisRootSetting } from './redisRoots';
import { RedisStateHost } from './redisStateHost';
import type { StateHost, StateHosts } from './stateHost';
import { fileTypeOf } from '../workspace/fileAccess';
import { isInsideWorkspaceFolder } from '../workspace/stateFolderPath';

const settingSection = 'restate';
const settingName = 'stateFolders';
const defaultFolders = ['.state'];
/** Context key read by the welcome view: true once any workspace folder has a state folder. */
const hasStateFolderKey = 'restate.hasStateFolder';

/**
 * The configured state folders of one workspace folder, relative to it. Entries that are absolute or climb
 * out of the workspace folder are refused: the setting may come from the (untrusted) workspace itself.
 */
export function configuredStateFolders(workspaceFolder: vscode.WorkspaceFolder): string[] {
  const value = vscode.workspace.getConfiguration(settingSection, workspaceFolder).get<unknown>(settingName);
  if (!Array.isArray(value)) return defaultFolders;
  return value.filter((entry): entry is string => {
    if (typeof entry !== 'string' || entry.trim() === '') return false;
    if (isInsideWorkspaceFolder(entry)) return true;
    console.warn(`[restate] [explorer] ignoring ${settingSection}.${settingName} entry ${JSON.stringify(entry)}: it is outside the workspace folder ${workspaceFolder.name}`);
    return false;
  });
}

/**
 * One StateHost per configured state folder that exists in the workspace. It re-scans when the setting or
 * the workspace folders change, and when a configured folder is created or deleted by anyone; hosts whose
 * folder is still there are kept, with their controllers and subscriptions.
 */
export class WorkspaceStateHosts implements StateHosts {
  readonly #changed = new vscode.EventEmitter<void>();
  readonly onDidChangeHosts = this.#changed.event;

  #hosts: readonly StateHost[] = [];
  #existenceWatchers: vscode.Disposable[] = [];
  readonly #subscriptions: vscode.Disposable[];
  #scan: Promise<void> = Promise.resolve();
  /** The problems of `restate.redisRoots` already shown, so that each is told once. */
  readonly #toldProblems = new Set<string>();

  /**
   * `log`: the Output channel that each state folder's read failures are written to. `secrets`: where the
   * passwords of Redis roots are kept (asked for when a server wants one).
   */
  constructor(private readonly log?: vscode.LogOutputChannel, private readonly secrets?: vscode.SecretStorage) {
    this.#subscriptions = [
      this.#changed,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${settingSection}.${settingName}`) || event.affectsConfiguration(redisRootsSetting)) void this.refresh();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
    ];
    void this.refresh();
  }

  get all(): readonly StateHost[] {
    return this.#hosts;
  }

  hostFor(id: string): StateHost | undefined {
    return this.#hosts.find((host) => host.id === id);
  }

  whenReady(): Promise<void> {
    return this.#scan;
  }

  /** Looks for the configured state folders again. */
  refresh(): Promise<void> {
    this.#scan = this.#scan.then(() => this.#rescan()).catch((error: unknown) => {
      console.error('[restate] [explorer] cannot scan the workspace for state folders:', error);
    });
    return this.#scan;
  }

  async #rescan(): Promise<void> {
    this.#watchFolderExistence();
    const workspaceFolders = vscode.workspace.workspaceFolders ?? [];
    const found: { workspaceFolder: vscode.WorkspaceFolder; relativePath: string; id: string }[] = [];
    for (const workspaceFolder of workspaceFolders) {
      for (const relativePath of configuredStateFolders(workspaceFolder)) {
        if (await isDirectory(vscode.Uri.joinPath(workspaceFolder.uri, relativePath))) {
          found.push({ workspaceFolder, relativePath, id: `${workspaceFolder.uri.toString()}|${relativePath}` });
        }
      }
    }
    const previous = this.#hosts;
    const next = found.map(({ workspaceFolder, relativePath, id }) => previous.find((host) => host.id === id)
      ?? new FolderStateHost({
        workspaceFolder,
        relativePath,
        label: workspaceFolders.length > 1 ? `${workspaceFolder.name}/${relativePath}` : relativePath,
        log: this.log,
      }));
    next.push(...await this.#redisHosts(previous));
    for (const host of previous) if (!next.includes(host)) host.dispose();
    const same = next.length === previous.length && next.every((host, index) => host === previous[index]);
    this.#hosts = next;
    if (!same) this.#changed.fire();
    // Only the welcome view and menus read the context key: the tree need not wait for the round trip.
    void vscode.commands.executeCommand('setContext', hasStateFolderKey, next.length > 0);
  }

  /**
   * One host per entry of `restate.redisRoots`, after the state folders; an entry whose settings did not
   * change keeps its host and connection. Refused entries are told once each, naming the entry.
   */
  async #redisHosts(previous: readonly StateHost[]): Promise<StateHost[]> {
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    if (workspaceFolder === undefined) return [];
    const { roots, problems } = parseRedisRoots(vscode.workspace.getConfiguration().get<unknown>(redisRootsSetting));
    for (const problem of problems) {
      if (this.#toldProblems.has(problem)) continue;
      this.#toldProblems.add(problem);
      this.log?.error(problem);
      void vscode.window.showErrorMessage(problem);
    }
    if (roots.length === 0) return [];
    const { RedisBackend } = await import('../restate/redis');
    return Promise.all(roots.map(async (root) => {
      const password = await this.#passwordOf(root);
      // The id holds everything that decides what the host may do: a host with the same id is the same root,
      // unless its password changed.
      const known = previous.find((host): host is RedisStateHost => host instanceof RedisStateHost && host.id === root.id);
      if (known !== undefined && known.password === password) return known;
      const host = new RedisStateHost({ root, RedisBackend, workspaceFolder, log: this.log, password });
      host.onDidChangeConnection((connection) => {
        if (connection.state === 'error' && connection.needsPassword === true) void this.#offerPassword(host, connection.message);
      });
      return host;
    }));
  }

  async #passwordOf(root: RedisRootSetting): Promise<string | undefined> {
    try {
      return await this.secrets?.get(passwordKey(root));
    } catch (error) {
      this.log?.error(`cannot read the password of ${root.label} from the secret storage: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** A notification, not a prompt that takes the focus: the user enters the password when they choose to. */
  async #offerPassword(host: RedisStateHost, message: string): Promise<void> {
    const enter = vscode.l10n.t('Enter Password');
    const text = host.password === undefined
      ? vscode.l10n.t('{0} ({1}) needs a password: {2}', host.label, host.address, message)
      : vscode.l10n.t('{0} ({1}) refused the saved password: {2}', host.label, host.address, message);
    if (await vscode.window.showErrorMessage(text, enter) === enter) {
      await vscode.commands.executeCommand('restate.redis.enterPassword', { host: host.id });
    }
  }

  /** Keeps (or, with undefined, forgets) a root's password in the secret storage and connects again with it. */
  async setPassword(host: RedisStateHost, password: string | undefined): Promise<void> {
    if (this.secrets === undefined) throw new Error('no secret storage to keep the password in');
    if (password === undefined) await this.secrets.delete(passwordKey(host.root));
    else await this.secrets.store(passwordKey(host.root), password);
    await this.refresh();
  }

  #watchFolderExistence(): void {
    for (const watcher of this.#existenceWatchers) watcher.dispose();
    this.#existenceWatchers = [];
    for (const workspaceFolder of vscode.workspace.workspaceFolders ?? []) {
      for (const relativePath of configuredStateFolders(workspaceFolder)) {
        const watcher = vscode.workspace.createFileSystemWatcher(
          new vscode.RelativePattern(workspaceFolder, relativePath), false, true, false);
        watcher.onDidCreate(() => void this.refresh());
        watcher.onDidDelete(() => void this.refresh());
        this.#existenceWatchers.push(watcher);
      }
    }
  }

  dispose(): void {
    for (const disposable of [...this.#existenceWatchers, ...this.#subscriptions, ...this.#hosts]) disposable.dispose();
    this.#existenceWatchers = [];
    this.#hosts = [];
  }
}

async function isDirectory(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await fileTypeOf(uri)) & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}
