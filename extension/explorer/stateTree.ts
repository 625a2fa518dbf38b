import * as vscode from 'vscode';
import { RestateBackendError, RestateFormatError } from '../restate';
import { StateDecorations } from './decorations';
import { childrenPreview, innerEntries, isExpandable, keyPathText, prettyValue, previewValue, valueIcons, valueKind } from './preview';
import { hasFiles, readOwnValue, type StateChange, type StateHost, type StateHosts } from '../sources/stateHost';
import { childPath, nameOf, parentPath, topMost } from '../sources/statePaths';
import { RedisStateHost } from '../sources/redisStateHost';
import { redisHostItem, redisStateItem } from './redisItems';
import type { LiveApp, LiveApps } from '../sources/liveApps';
import { appItem, appsGroupItem } from './appItems';
import { subfolderNames } from '../workspace/fileAccess';

/** A state source, shown as a root when the workspace has more than one, or when it is a Redis root. */
export interface HostNode {
  readonly kind: 'host';
  readonly id: string;
  readonly host: StateHost;
}

/** What was read for a state node when it was last shown. */
export interface StateInfo {
  readonly hasChildren: boolean;
  /** How many children it has, all pages together. */
  readonly childCount: number;
  readonly hasValue: boolean;
  readonly value: unknown;
  /** Set when the node's value file cannot be parsed (or read). */
  readonly error?: { readonly message: string; readonly file?: string };
  readonly derived: boolean;
  /** The last error of the derivation that writes the node, while it fails: the value shown is older. */
  readonly failing?: string;
}

/** A state path of a state folder. */
export interface StateNode {
  readonly kind: 'state';
  readonly id: string;
  readonly host: StateHost;
  readonly path: string;
  info?: StateInfo;
}

/** A read-only part of a node's object or array value. */
export interface InnerNode {
  readonly kind: 'inner';
  readonly id: string;
  readonly host: StateHost;
  /** The state path whose value this is part of. */
  readonly path: string;
  readonly keys: readonly (string | number)[];
  readonly value: unknown;
}

/** "Show more": the next page of a node with many children. */
export interface MoreNode {
  readonly kind: 'more';
  readonly id: string;
  readonly host: StateHost;
  readonly path: string;
  readonly shown: number;
  readonly total: number;
}

/** "Running apps": the processes with an inspector open over a state root, first among its children. */
export interface AppsNode {
  readonly kind: 'apps';
  readonly id: string;
  readonly host: StateHost;
}

/** One running app of a state root. */
export interface AppNode {
  readonly kind: 'app';
  readonly id: string;
  readonly host: StateHost;
  readonly app: LiveApp;
}

export type ExplorerNode = HostNode | StateNode | InnerNode | MoreNode | AppsNode | AppNode;

const settingSection = 'restate.explorer';

/**
 * The State Explorer's tree, read through each host's controller. A node's id is `${host.id}:${path}`, and
 * a state node is one object per id until the whole tree is refreshed, so expansion and selection survive
 * refreshes. Changes notified by the controller (any cause) refresh
 * only the changed subtrees: the node itself for a changed value, its parent when it appeared or went.
 */
export class StateTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  readonly #changed = new vscode.EventEmitter<ExplorerNode | ExplorerNode[] | undefined>();
  readonly onDidChangeTreeData = this.#changed.event;

  /** How many times the tree was told to refresh; read by the tests and the speed script. */
  refreshCount = 0;

  /** The node object handed to the view for each id: the view refreshes and reveals by object. */
  readonly #nodes = new Map<string, ExplorerNode>();
  /** How many pages of children are shown, per state node id. */
  readonly #pages = new Map<string, number>();
  readonly #hostSubscriptions = new Map<string, vscode.Disposable>();
  readonly #subscriptions: vscode.Disposable[];
  /** Counts changes of the set of state folders, so a top-level read can tell it raced with one. */
  #hostsGeneration = 0;
  #topLevelShown = false;

  constructor(
    private readonly hosts: StateHosts,
    private readonly decorations: StateDecorations,
    private readonly log?: vscode.LogOutputChannel,
    private readonly apps?: LiveApps,
  ) {
    this.#subscriptions = [
      this.#changed,
      hosts.onDidChangeHosts(() => {
        this.#subscribeHosts();
        this.#hostsGeneration++;
        // Before the view got its first top level, the read in progress waits for the scan itself.
        if (this.#topLevelShown) this.refresh();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${settingSection}.pageSize`)) this.refresh();
      }),
    ];
    if (apps) this.#subscriptions.push({ dispose: apps.onDidChangeApps((rootId) => this.#appsChanged(rootId)) });
    this.#subscribeHosts();
  }

  /** Re-reads the whole tree. */
  refresh(): void {
    this.#nodes.clear();
    this.#fire(undefined);
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem | Thenable<vscode.TreeItem> {
    switch (node.kind) {
      case 'host': return this.#hostItem(node);
      case 'state': return node.info ? this.#stateItem(node, node.info) : this.#load(node).then((info) => this.#stateItem(node, info));
      case 'inner': return this.#innerItem(node);
      case 'more': return this.#moreItem(node);
      case 'apps': return appsGroupItem(node.id, this.apps?.appsOf(node.host.id).length ?? 0);
      case 'app': return appItem(node.id, node.app);
    }
  }

  async getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> {
    if (node === undefined) {
      const started = performance.now();
      const startedAt = new Date();
      await this.hosts.whenReady();
      const generation = this.#hostsGeneration;
      const all = this.hosts.all;
      const shown = all.length === 1 && !this.#showsHostRows()
        ? [...this.#appsGroup(all[0]), ...await this.#stateChildren(all[0], '/')]
        : all.map((host) => this.#remember({ kind: 'host', id: host.id, host }));
      // What the tree's own work costs, apart from the workbench's: visible in the log next to activation.
      this.log?.info(`top level read: ${shown.length} item(s) in ${(performance.now() - started).toFixed(0)} ms (began at ${startedAt.toISOString()})`);
      this.#topLevelShown = true;
      if (generation !== this.#hostsGeneration) this.refresh();
      return shown;
    }
    switch (node.kind) {
      case 'host': return [...this.#appsGroup(node.host), ...await this.#stateChildren(node.host, '/')];
      case 'apps': return (this.apps?.appsOf(node.host.id) ?? []).map((app) => this.#remember({ kind: 'app', id: app.id, host: node.host, app }));
      case 'app': return [];
      case 'state': {
        const info = node.info ?? await this.#load(node);
        const children: ExplorerNode[] = [];
        if (info.hasValue && isExpandable(info.value)) {
          // A node with children shows its own value's structure under one "value" entry first.
          if (info.hasChildren) children.push(this.#inner(node.host, node.path, [], info.value));
          else children.push(...innerEntries(info.value).map(([key, value]) => this.#inner(node.host, node.path, [key], value)));
        }
        if (info.hasChildren) children.push(...await this.#stateChildren(node.host, node.path));
        return children;
      }
      case 'inner': return innerEntries(node.value).map(([key, value]) => this.#inner(node.host, node.path, [...node.keys, key], value));
      case 'more': return [];
    }
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    switch (node.kind) {
      case 'host': return undefined;
      case 'state': return node.path === '/' ? undefined : this.#stateOrHost(node.host, parentPath(node.path));
      case 'inner': return node.keys.length === 0 || (node.keys.length === 1 && !this.#hasChildren(node.host, node.path))
        ? this.nodeFor(node.host, node.path)
        : this.#inner(node.host, node.path, node.keys.slice(0, -1), undefined);
      case 'more': return this.#stateOrHost(node.host, node.path);
      case 'apps': return this.#stateOrHost(node.host, '/');
      case 'app': return this.#nodes.get(appsId(node.host)) ?? this.#remember({ kind: 'apps', id: appsId(node.host), host: node.host });
    }
  }

  /** The node object for a state path, created if the view has not been given it yet. */
  nodeFor(host: StateHost, path: string): StateNode {
    const id = stateId(host, path);
    const known = this.#nodes.get(id);
    if (known?.kind === 'state') return known;
    return this.#remember({ kind: 'state', id, host, path });
  }

  /** The nodes currently known to the view, for tests: id → description shown. */
  snapshot(): { id: string; kind: ExplorerNode['kind']; path?: string }[] {
    return [...this.#nodes.values()].map((node) => ({ id: node.id, kind: node.kind, ...('path' in node ? { path: node.path } : {}) }));
  }

  /** Shows one more page of a node's children. */
  showMore(host: StateHost, path: string): void {
    const id = stateId(host, path);
    this.#pages.set(id, (this.#pages.get(id) ?? 1) + 1);
    this.#fire(this.#targetFor(host, path));
  }

  /**
   * Makes sure the pages of every ancestor include the path, so that reveal() can reach it. Returns false
   * when the path does not exist.
   */
  async ensureListed(host: StateHost, path: string): Promise<boolean> {
    const pageSize = this.#pageSize();
    const segments = path.split('/').filter((segment) => segment !== '');
    for (let depth = 0; depth < segments.length; depth++) {
      const ancestor = `/${segments.slice(0, depth).join('/')}`;
      const index = (await this.#list(host, ancestor)).indexOf(segments[depth]);
      if (index < 0) return false;
      const id = stateId(host, ancestor);
      const needed = Math.floor(index / pageSize) + 1;
      if ((this.#pages.get(id) ?? 1) < needed) this.#pages.set(id, needed);
    }
    return true;
  }

  dispose(): void {
    for (const disposable of [...this.#subscriptions, ...this.#hostSubscriptions.values()]) disposable.dispose();
    this.#hostSubscriptions.clear();
  }

  /** The "Running apps" row of a state root, while it has any. */
  #appsGroup(host: StateHost): AppsNode[] {
    if ((this.apps?.appsOf(host.id).length ?? 0) === 0) return [];
    return [this.#remember({ kind: 'apps', id: appsId(host), host })];
  }

  /**
   * An app came or went: the root's row is read again (the whole tree, for a lone state folder). Even before
   * the first top level was shown: a read of it may be under way, started before the app was listed.
   */
  #appsChanged(rootId: string): void {
    const host = this.hosts.hostFor(rootId);
    if (host === undefined) return;
    this.#fire(this.#showsHostRows() ? this.#nodes.get(host.id) : undefined);
  }

  #subscribeHosts(): void {
    const current = new Set(this.hosts.all.map((host) => host.id));
    for (const [id, subscription] of this.#hostSubscriptions) {
      if (!current.has(id)) {
        subscription.dispose();
        this.#hostSubscriptions.delete(id);
      }
    }
    for (const host of this.hosts.all) {
      if (!this.#hostSubscriptions.has(host.id)) {
        const subscription = host.onDidChangeState((changes) => {
          this.#onStateChanged(host, changes).catch((error: unknown) => {
            console.error(`[restate] [explorer] cannot refresh the tree after a change in ${host.label}:`, error);
            this.log?.error(`cannot refresh the tree after a change in ${host.label}: ${error instanceof Error ? error.message : String(error)}`);
          });
        });
        this.#hostSubscriptions.set(host.id, host instanceof RedisStateHost
          // A root whose server went or came back is read again, with its state shown on its row.
          ? vscode.Disposable.from(subscription, host.onDidChangeConnection(() => this.#fire(this.#targetFor(host, '/'))))
          : subscription);
      }
    }
  }

  /** One refresh per burst, for the smallest subtrees that changed; the changed nodes are highlighted. */
  async #onStateChanged(host: StateHost, changes: readonly StateChange[]): Promise<void> {
    // A status is no change of value: it is shown by the node's row, not highlighted.
    const valueChanges = changes.filter((change) => change.kind !== 'status');
    this.decorations.highlight(host, valueChanges.filter((change) => change.kind !== 'deleted').map((change) => change.path),
      valueChanges.map((change) => change.path));
    const targets = new Set<string>();
    for (const change of changes) {
      switch (change.kind) {
        case 'pinged':
          continue;
        case 'status':
          // A node the view does not have yet (a new file that cannot be read) appears in its parent.
          if (change.path !== '/') targets.add(this.#nodes.has(stateId(host, change.path)) ? change.path : parentPath(change.path));
          continue;
        case 'changed':
          // A new value changes only the node's own row, if the view has it: the root's own value and nodes
          // never listed (collapsed parents, later pages) are not shown, and their parents stay as they are.
          if (change.path !== '/' && this.#nodes.has(stateId(host, change.path))) targets.add(change.path);
          continue;
        default:
          targets.add(parentPath(change.path));
      }
    }
    if (targets.size === 0) return;
    const nodes: ExplorerNode[] = [];
    for (const path of topMost(targets)) {
      const target = this.#targetFor(host, path);
      if (target === undefined) {
        this.#fire(undefined);
        return;
      }
      if (!nodes.includes(target)) nodes.push(target);
    }
    // The view asks getTreeItem again for these objects: read them again first.
    const derived = derivedPaths(host);
    await Promise.all(nodes.map(async (node) => {
      if (node.kind === 'state') node.info = await this.#load(node, derived);
    }));
    this.#fire(nodes);
  }

  /**
   * The node to refresh for a change at `path`: its node if the view has it, else the nearest ancestor
   * the view has (a new child of a collapsed node changes only that node's expandability). Undefined
   * means the tree's root.
   */
  #targetFor(host: StateHost, path: string): ExplorerNode | undefined {
    for (let current = path; ; current = parentPath(current)) {
      if (current === '/') return this.#showsHostRows() ? this.#nodes.get(host.id) : undefined;
      const node = this.#nodes.get(stateId(host, current));
      if (node !== undefined) return node;
    }
  }

  #fire(nodes: ExplorerNode[] | undefined): void;
  #fire(node: ExplorerNode | undefined): void;
  #fire(target: ExplorerNode | ExplorerNode[] | undefined): void {
    if (Array.isArray(target) && target.length === 0) return;
    this.refreshCount++;
    // One line per burst, not per change: shows what a burst of file events cost the view.
    this.log?.info(`refresh ${this.refreshCount}: ${target === undefined ? 'whole tree' : Array.isArray(target) ? `${target.length} subtree(s)` : '1 subtree'}`);
    this.#changed.fire(target);
  }

  async #stateChildren(host: StateHost, path: string): Promise<ExplorerNode[]> {
    // Both read the same folder: the names through the controller's backend, the kinds for the shown page.
    const [names, folders] = await Promise.all([this.#list(host, path), subfolders(host, path)]);
    const pageSize = this.#pageSize();
    const shown = Math.min(names.length, pageSize * (this.#pages.get(stateId(host, path)) ?? 1));
    const derived = derivedPaths(host);
    // The same object per id every time: the view refreshes, reveals and selects by object, so a second read
    // of the children must not leave it holding an object the tree no longer refreshes.
    const nodes = names.slice(0, shown).map((name) => this.nodeFor(host, childPath(path, name)));
    await Promise.all(nodes.map(async (node) => {
      // Only a child with a folder can have children: the others need no listing of their own.
      node.info = await this.#load(node, derived, folders?.has(nameOf(node.path)) === false);
    }));
    const result: ExplorerNode[] = [...nodes];
    if (shown < names.length) {
      result.push(this.#remember({ kind: 'more', id: `${stateId(host, path)}#more`, host, path, shown, total: names.length }));
    }
    return result;
  }

  async #list(host: StateHost, path: string): Promise<string[]> {
    const backend = host.controller.backend;
    if (backend.listChildren === undefined) return [];
    try {
      return [...await backend.listChildren(path)];
    } catch (error) {
      console.error(`[restate] [explorer] cannot list the children of ${path} in ${host.label}:`, error);
      return [];
    }
  }

  /**
   * What the tree shows of a node: whether it has children, and its own value from its value file alone.
   * The controller's read of a node with children would be the merged read of its whole subtree, and even
   * a leaf's read costs more file operations than its value file.
   */
  async #load(node: StateNode, derived = derivedPaths(node.host), knownLeaf = false): Promise<StateInfo> {
    const childCount = knownLeaf ? 0 : (await this.#list(node.host, node.path)).length;
    const hasChildren = childCount > 0;
    try {
      const own = await readOwnValue(node.host, node.path);
      node.host.noteRead(node.path);
      const failing = derived.get(node.path) ?? undefined;
      return { hasChildren, childCount, ...own, derived: derived.has(node.path), ...(failing === undefined ? {} : { failing }) };
    } catch (error) {
      node.host.noteRead(node.path, error);
      const message = error instanceof RestateFormatError ? error.detail : error instanceof Error ? error.message : String(error);
      const file = hasFiles(node.host) && (error instanceof RestateFormatError || error instanceof RestateBackendError)
        ? node.host.fileFor(node.path).toString()
        : undefined;
      return { hasChildren, childCount, hasValue: false, value: undefined, error: { message, ...(file ? { file } : {}) }, derived: false };
    }
  }

  #hasChildren(host: StateHost, path: string): boolean {
    const node = this.#nodes.get(stateId(host, path));
    return node?.kind === 'state' && node.info?.hasChildren === true;
  }

  #stateOrHost(host: StateHost, path: string): ExplorerNode | undefined {
    if (path !== '/') return this.nodeFor(host, path);
    return this.#showsHostRows() ? this.#remember({ kind: 'host', id: host.id, host }) : undefined;
  }

  #inner(host: StateHost, path: string, keys: readonly (string | number)[], value: unknown): InnerNode {
    const id = `${stateId(host, path)}#${JSON.stringify(keys)}`;
    const known = this.#nodes.get(id);
    if (value === undefined && known?.kind === 'inner') return known;
    return this.#remember({ kind: 'inner', id, host, path, keys, value });
  }

  #remember<N extends ExplorerNode>(node: N): N {
    this.#nodes.set(node.id, node);
    return node;
  }

  /** A lone state folder is the tree itself; several sources, or a Redis root (whose row shows its connection), get rows. */
  #showsHostRows(): boolean {
    const all = this.hosts.all;
    return all.length > 1 || all.some((host) => host.kind === 'redis');
  }

  #pageSize(): number {
    const size = vscode.workspace.getConfiguration(settingSection).get<number>('pageSize', 200);
    return Number.isInteger(size) && size > 0 ? size : 200;
  }

  #hostItem(node: HostNode): vscode.TreeItem {
    if (node.host instanceof RedisStateHost) return redisHostItem(node.host, node.id, this.decorations.uriFor(node.host, '/'));
    const item = new vscode.TreeItem(node.host.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.description = node.host.workspaceFolder.name;
    if (hasFiles(node.host)) item.tooltip = node.host.stateFolder.toString(true);
    item.iconPath = new vscode.ThemeIcon('database');
    item.contextValue = 'restate.host';
    item.resourceUri = this.decorations.uriFor(node.host, '/');
    item.accessibilityInformation = { label: node.host.label, role: 'treeitem' };
    return item;
  }

  #stateItem(node: StateNode, info: StateInfo): vscode.TreeItem {
    const item = this.#folderStateItem(node, info);
    return node.host instanceof RedisStateHost ? redisStateItem(node.host, item) : item;
  }

  #folderStateItem(node: StateNode, info: StateInfo): vscode.TreeItem {
    const name = nameOf(node.path);
    const expandable = info.hasChildren || (info.hasValue && isExpandable(info.value));
    const item = new vscode.TreeItem(name, expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.resourceUri = this.decorations.uriFor(node.host, node.path);
    item.accessibilityInformation = { label: name, role: 'treeitem' };
    if (info.error !== undefined) {
      item.description = vscode.l10n.t('invalid: {0}', info.error.message);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
      item.tooltip = new vscode.MarkdownString()
        .appendMarkdown('**').appendText(node.path).appendMarkdown('**\n\n')
        .appendText(vscode.l10n.t('The value file cannot be read: {0}', info.error.message))
        .appendMarkdown('\n\n')
        .appendText(vscode.l10n.t('Click to open the file and fix it, or replace it with Edit Value, or delete it.'));
      item.contextValue = 'restate.state.error';
      item.command = { command: 'restate.openFile', title: vscode.l10n.t('Open File'), arguments: [node] };
      return item;
    }
    const tooltip = new vscode.MarkdownString().appendMarkdown('**').appendText(node.path).appendMarkdown('**');
    if (info.derived) tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Derived: written by a derivation.'));
    if (info.failing !== undefined) {
      tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Its derivation failed, so this value is from before: {0}', info.failing));
    }
    const parts: string[] = [];
    if (info.hasValue) {
      parts.push(previewValue(info.value));
      tooltip.appendCodeblock(prettyValue(info.value), 'json');
      item.iconPath = new vscode.ThemeIcon(info.derived ? 'symbol-function' : valueIcons[valueKind(info.value)]);
    } else {
      item.iconPath = new vscode.ThemeIcon(info.derived ? 'symbol-function' : 'list-tree');
    }
    if (info.hasChildren) parts.push(childrenPreview(info.childCount));
    if (info.derived) parts.push(vscode.l10n.t('derived'));
    if (info.failing !== undefined) {
      parts.push(vscode.l10n.t('failing'));
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    }
    item.description = parts.join(' · ');
    item.tooltip = tooltip;
    item.contextValue = info.hasValue ? 'restate.state.value' : 'restate.state.node';
    return item;
  }

  #innerItem(node: InnerNode): vscode.TreeItem {
    const ownValue = node.keys.length === 0;
    const key = ownValue ? '' : String(node.keys[node.keys.length - 1]);
    // A node's own value beside its children is labelled by what it is, not by a name a child could have.
    const item = new vscode.TreeItem(
      ownValue ? `= ${previewValue(node.value)}` : typeof node.keys[node.keys.length - 1] === 'number' ? `[${key}]` : key,
      isExpandable(node.value) ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = ownValue
      ? hasFiles(node.host) ? vscode.l10n.t('own value, from {0}', fileName(node.host.fileFor(node.path))) : vscode.l10n.t('own value')
      : previewValue(node.value);
    item.iconPath = new vscode.ThemeIcon(valueIcons[valueKind(node.value)]);
    item.tooltip = new vscode.MarkdownString()
      .appendMarkdown('**').appendText(`${node.path}${keyPathText(node.keys)}`).appendMarkdown('**')
      .appendCodeblock(prettyValue(node.value), 'json');
    item.contextValue = 'restate.inner';
    item.accessibilityInformation = {
      label: ownValue ? vscode.l10n.t('own value of {0}', nameOf(node.path)) : typeof item.label === 'string' ? item.label : key,
      role: 'treeitem',
    };
    return item;
  }

  #moreItem(node: MoreNode): vscode.TreeItem {
    const label = vscode.l10n.t('Show more…');
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = vscode.l10n.t('{0} of {1} shown', node.shown, node.total);
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = 'restate.more';
    item.command = { command: 'restate.showMore', title: label, arguments: [node] };
    item.accessibilityInformation = { label, role: 'treeitem' };
    return item;
  }
}

/** The id of a state root's "Running apps" row: `#` cannot start a state path's segment list. */
function appsId(host: StateHost): string {
  return `${host.id}#apps`;
}

export function stateId(host: StateHost, path: string): string {
  return `${host.id}:${path}`;
}

function fileName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

/** The names of the sub-folders of a node's children folder, or undefined when it cannot be read. */
async function subfolders(host: StateHost, path: string): Promise<Set<string> | undefined> {
  return hasFiles(host) ? subfolderNames(host.folderFor(path)) : undefined;
}

/** The destination paths of the host's derivations (S118), each with its derivation's last error, if any. */
function derivedPaths(host: StateHost): Map<string, string | null> {
  const paths = new Map<string, string | null>();
  for (const node of host.controller.graph().nodes) {
    if (node.kind !== 'derivation') continue;
    // Two derivations with one dest: a failing one is what the user needs to see.
    const error = node.stats.lastError?.message ?? null;
    if (error !== null || !paths.has(node.dest)) paths.set(node.dest, error);
  }
  return paths;
}
