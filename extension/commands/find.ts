import * as vscode from 'vscode';
import { readOwnValue, type StateHost, type StateHosts } from '../explorer/stateHost';
import { previewValue } from '../explorer/preview';
import { childPath } from '../explorer/statePaths';
import type { ExplorerNode, StateTreeProvider } from '../explorer/stateTree';
import type { Command } from './command';
import { revealNode } from './reveal';
import { targetOf } from './targets';

/** Enough for a quick pick; a larger state is searched by its first paths. */
const maxPaths = 5000;

interface PathItem extends vscode.QuickPickItem {
  readonly host: StateHost;
  readonly path: string;
}

/**
 * Finds a node and reveals it in the tree: `restate.find(target?)`. Without a target it shows a quick pick
 * over every path with its value. Returns the path revealed.
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
    quickPick.placeholder = vscode.l10n.t('Find a state path');
    quickPick.matchOnDescription = true;
    quickPick.busy = true;
    quickPick.show();
    const chosen = new Promise<PathItem | undefined>((resolve) => {
      quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
      quickPick.onDidHide(() => resolve(undefined));
    });
    collect(this.hosts.all).then((items) => {
      quickPick.items = items;
      quickPick.busy = false;
    }, (error: unknown) => {
      // Without this the pick would spin forever over an empty list.
      quickPick.busy = false;
      console.error('[restate] [find] cannot list the state paths:', error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot list the state paths: {0}', error instanceof Error ? error.message : String(error)));
    });
    const picked = await chosen;
    quickPick.dispose();
    return picked;
  }
}

async function collect(hosts: readonly StateHost[]): Promise<PathItem[]> {
  const items: PathItem[] = [];
  for (const host of hosts) {
    const backend = host.controller.backend;
    if (backend.listChildren === undefined) continue;
    const queue = ['/'];
    while (queue.length > 0 && items.length < maxPaths) {
      const parent = queue.shift()!;
      const names = await backend.listChildren(parent);
      const paths = names.map((name) => childPath(parent, name));
      const entries = await Promise.all(paths.map(async (path) => {
        const hasChildren = (await backend.listChildren!(path)).length > 0;
        let description = '';
        try {
          const own = await readOwnValue(host, path);
          if (own.hasValue) description = previewValue(own.value);
        } catch {
          description = vscode.l10n.t('invalid value');
        }
        return { path, hasChildren, description };
      }));
      for (const entry of entries) {
        items.push({ label: entry.path, description: entry.description, detail: hosts.length > 1 ? host.label : undefined, host, path: entry.path });
        if (entry.hasChildren) queue.push(entry.path);
      }
    }
  }
  return items;
}
