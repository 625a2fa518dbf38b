import * as vscode from 'vscode';
import { readOwnValue, type StateHost, type StateHosts } from '../sources/stateHost';
import { previewValue } from '../explorer/preview';
import { childPath } from '../sources/statePaths';
import type { ExplorerNode, StateTreeProvider } from '../explorer/stateTree';
import type { Command } from './command';
import { revealNode } from './reveal';
import { targetOf } from './targets';
import { describeMatches, matchesInValue, mayContain, searchTextOf } from './valueMatches';

/** Enough for a quick pick; a larger state is searched by its first paths. */
const maxPaths = 5000;
/** Values are searched once typing pauses this long, not on every keystroke. */
const searchDelayMs = 80;

interface PathItem extends vscode.QuickPickItem {
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
 * over every path with its value; the typed text is also searched inside the values, and an item shows
 * where its value matched. Returns the path revealed.
 */
export class FindCommand implements Command {
  readonly id = 'restate.find';

  constructor(
    private readonly hosts: StateHosts,
    private readonly tree: StateTreeProvider,
    private readonly view: vscode.TreeView<ExplorerNode>,
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
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.busy = true;
    quickPick.show();
    const chosen = new Promise<PathItem | undefined>((resolve) => {
      quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
      quickPick.onDidHide(() => resolve(undefined));
    });
    let all: readonly PathItem[] = [];
    // The quick pick filters on what it shows: each item's detail shows its value's matches of the typed text.
    const showMatches = (): void => {
      const items = all.map((item) => withMatches(item, quickPick.value));
      if (items.some((item, index) => item.detail !== quickPick.items[index]?.detail)) quickPick.items = items;
    };
    let pending: ReturnType<typeof setTimeout> | undefined;
    quickPick.onDidChangeValue(() => {
      clearTimeout(pending);
      pending = setTimeout(showMatches, searchDelayMs);
    });
    collect(this.hosts.all).then((items) => {
      all = items;
      quickPick.items = items;
      showMatches();
      quickPick.busy = false;
    }, (error: unknown) => {
      // Without this the pick would spin forever over an empty list.
      quickPick.busy = false;
      console.error('[restate] [find] cannot list the state paths:', error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot list the state paths: {0}', error instanceof Error ? error.message : String(error)));
    });
    const picked = await chosen;
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

/** Every state path of the sources, as Find lists them; exported for the tests. */
export async function collect(hosts: readonly StateHost[]): Promise<PathItem[]> {
  const items: PathItem[] = [];
  for (const host of hosts) {
    const backend = host.controller.backend;
    if (backend.listChildren === undefined) continue;
    const queue = ['/'];
    // One source that cannot be read (a Redis root whose server is gone) hides only its own paths.
    try {
      while (queue.length > 0 && items.length < maxPaths) {
        const parent = queue.shift()!;
        const names = await backend.listChildren(parent);
        const paths = names.map((name) => childPath(parent, name));
        const entries = await Promise.all(paths.map(async (path) => {
          const hasChildren = (await backend.listChildren!(path)).length > 0;
          let description = '';
          let value: unknown;
          try {
            const own = await readOwnValue(host, path);
            if (own.hasValue) {
              description = previewValue(own.value);
              value = own.value;
            }
          } catch {
            description = vscode.l10n.t('invalid value');
          }
          return { path, hasChildren, description, value };
        }));
        for (const entry of entries) {
          const folderLabel = hosts.length > 1 ? host.label : undefined;
          items.push({
            label: entry.path, description: entry.description, detail: folderLabel, folderLabel, host, path: entry.path,
            value: entry.value, searchText: entry.value === undefined ? '' : searchTextOf(entry.value),
          });
          if (entry.hasChildren) queue.push(entry.path);
        }
      }
    } catch (error) {
      if (hosts.length === 1) throw error;
      console.error(`[restate] [find] cannot list the state paths of ${host.label}:`, error);
      void vscode.window.showWarningMessage(vscode.l10n.t('Cannot list the state paths of {0}: {1}', host.label, error instanceof Error ? error.message : String(error)));
    }
  }
  return items;
}

function withMatches(item: PathItem, query: string): PathItem {
  const matches = mayContain(item.searchText, query) ? describeMatches(matchesInValue(item.value, query)) : '';
  const detail = [item.folderLabel, matches].filter((part) => part !== undefined && part !== '').join('  ·  ') || undefined;
  return detail === item.detail ? item : { ...item, detail };
}
