import * as vscode from 'vscode';
import { hasFiles, readOwnValue, type StateHost, type StateHosts } from '../sources/stateHost';
import { subfolderNames } from '../workspace/fileAccess';
import { previewValue } from '../explorer/preview';
import { childPath } from '../sources/statePaths';
import type { ExplorerNode, StateTreeProvider } from '../explorer/stateTree';
import type { Command } from './command';
import { revealNode } from './reveal';
import { targetOf } from './targets';
import { findPaths, searchTextOf, type SearchablePath } from './valueMatches';

/** How many matching paths the quick pick is given; typing narrows them down. */
const maxShown = 1000;
/** How many value files Find reads before it lets the extension host do other work. */
const valueReadsPerTurn = 256;
/** Values are searched once typing pauses this long, not on every keystroke. */
const searchDelayMs = 80;

interface PathItem extends vscode.QuickPickItem, SearchablePath {
  readonly host: StateHost;
  readonly path: string;
  /** The node's own value, searched for the typed text; undefined when it has none. */
  readonly value: unknown;
  /** The value's searchTextOf, to skip values that cannot match without walking them. */
  readonly searchText: string;
  /** What the detail shows apart from matches: the state folder, when there are several. */
  readonly folderLabel?: string;
}

/**
 * Finds a node and reveals it in the tree: `restate.find(target?)`. Without a target it shows a quick pick
 * over every path with its value (see findPaths); the typed text is also searched inside the values, and an
 * item shows where its value matched. Returns the path revealed.
 */
export class FindCommand implements Command {
  readonly id = 'restate.find';

  constructor(
    private readonly hosts: StateHosts,
    private readonly tree: StateTreeProvider,
    private readonly view: vscode.TreeView<ExplorerNode>,
    private readonly log?: vscode.LogOutputChannel,
  ) {}

  async execute(target?: unknown): Promise<string | undefined> {
    const resolved = target === undefined ? await this.#pick() : targetOf(this.hosts, target);
    if (resolved === undefined) return undefined;
    return revealNode(this.tree, this.view, resolved);
  }

  async #pick(): Promise<PathItem | undefined> {
    await this.hosts.whenReady();
    const quickPick = vscode.window.createQuickPick<PathItem>();
    quickPick.placeholder = vscode.l10n.t('Find a state path, or text in a value');
    quickPick.busy = true;
    quickPick.show();
    const chosen = new Promise<PathItem | undefined>((resolve) => {
      quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
      quickPick.onDidHide(() => resolve(undefined));
    });
    let all: readonly PathItem[] = [];
    let closed = false;
    // The search runs here, over every path: a quick pick handed 100,000 items took the workbench many
    // seconds to take them. It is shown the first matches, each always shown (the quick pick filters on
    // its own words only) with its detail saying where its value matched.
    const showMatches = (): void => {
      const { shown, count } = findPaths(all, quickPick.value, maxShown);
      const active = new Set(quickPick.activeItems.map(itemKey));
      quickPick.items = shown.map((item) => ({ ...item, alwaysShow: true }));
      if (active.size > 0) quickPick.activeItems = quickPick.items.filter((item) => active.has(itemKey(item)));
      quickPick.title = count > shown.length ? vscode.l10n.t('{0} of {1} paths shown: type to narrow them down', shown.length, count) : undefined;
    };
    let pending: ReturnType<typeof setTimeout> | undefined;
    quickPick.onDidChangeValue(() => {
      clearTimeout(pending);
      pending = setTimeout(showMatches, searchDelayMs);
    });
    // Every path is listed first, its value filled in once all values are read: a large state is searchable
    // by path at once.
    const started = performance.now();
    let listedMs = 0;
    collectPaths(this.hosts.all).then(async (paths) => {
      listedMs = performance.now() - started;
      all = paths;
      showMatches();
      const valued = await withValues(paths);
      if (closed) return;
      all = valued;
      quickPick.keepScrollPosition = true;
      showMatches();
      quickPick.busy = false;
      this.log?.info(`find: ${valued.length} path(s) listed in ${listedMs.toFixed(0)} ms, values read in ${(performance.now() - started - listedMs).toFixed(0)} ms`);
    }).catch((error: unknown) => {
      // Without this the pick would spin forever over an empty list.
      quickPick.busy = false;
      console.error('[restate] [find] cannot list the state paths:', error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot list the state paths: {0}', error instanceof Error ? error.message : String(error)));
    });
    const picked = await chosen;
    closed = true;
    clearTimeout(pending);
    quickPick.dispose();
    return picked;
  }
}

/**
 * Find from the State Explorer's title bar: always the search. VS Code gives a title-bar command the tree's
 * focused node, which `restate.find` would take for the node to reveal.
 */
export class FindInViewCommand implements Command {
  readonly id = 'restate.findInView';

  constructor(private readonly find: FindCommand) {}

  execute(): Promise<string | undefined> {
    return this.find.execute();
  }
}

/** Every state path of the sources with its value, as Find lists them; exported for the tests. */
export async function collect(hosts: readonly StateHost[]): Promise<PathItem[]> {
  return withValues(await collectPaths(hosts));
}

/**
 * Every state path of the sources, breadth first, without values (see withValues). A state folder's node is
 * looked into only when its children folder exists: one listing of the names and one of the sub-folders per
 * node with children, not one listing per node.
 */
export async function collectPaths(hosts: readonly StateHost[]): Promise<PathItem[]> {
  const items: PathItem[] = [];
  for (const host of hosts) {
    const backend = host.controller.backend;
    if (backend.listChildren === undefined) continue;
    const folderLabel = hosts.length > 1 ? host.label : undefined;
    const queue = ['/'];
    // One source that cannot be read (a Redis root whose server is gone) hides only its own paths.
    try {
      for (let next = 0; next < queue.length; next++) {
        const parent = queue[next];
        const [names, folders] = await Promise.all([backend.listChildren(parent), hasFiles(host) ? subfolderNames(host.folderFor(parent)) : undefined]);
        const paths = names.map((name) => childPath(parent, name));
        const withChildren = folders === undefined
          ? await Promise.all(paths.map(async (path) => (await backend.listChildren!(path)).length > 0))
          : names.map((name) => folders.has(name));
        paths.forEach((path, index) => {
          items.push({ label: path, description: '', detail: folderLabel, folderLabel, host, path, value: undefined, searchText: '' });
          if (withChildren[index]) queue.push(path);
        });
      }
    } catch (error) {
      if (hosts.length === 1) throw error;
      console.error(`[restate] [find] cannot list the state paths of ${host.label}:`, error);
      void vscode.window.showWarningMessage(vscode.l10n.t('Cannot list the state paths of {0}: {1}', host.label, error instanceof Error ? error.message : String(error)));
    }
  }
  return items;
}

/**
 * The items with their own values read; a value that cannot be read is described so. A state folder's value
 * files are read synchronously (see readValueFile), so the reads pause every `valueReadsPerTurn` to let the
 * extension host answer in between.
 */
export async function withValues(items: readonly PathItem[]): Promise<PathItem[]> {
  const result: PathItem[] = [];
  for (let start = 0; start < items.length; start += valueReadsPerTurn) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    result.push(...await Promise.all(items.slice(start, start + valueReadsPerTurn).map(async (item): Promise<PathItem> => {
      try {
        const own = await readOwnValue(item.host, item.path);
        return own.hasValue ? { ...item, description: previewValue(own.value), value: own.value, searchText: searchTextOf(own.value) } : item;
      } catch {
        return { ...item, description: vscode.l10n.t('invalid value') };
      }
    })));
  }
  return result;
}

function itemKey(item: PathItem): string {
  return `${item.host.id}:${item.path}`;
}
