import * as vscode from 'vscode';
import type { Command } from '../commands/command';
import { showAppGraphCommand } from '../explorer/appItems';
import { GraphPanel, type GraphPanelDeps } from './graphPanel';

/**
 * Show App Graph: the graph of a running app (a click on its row in the State Explorer), in the same panel as
 * the workspace's graphs. Takes the app's id, or its row.
 */
export class ShowAppGraphCommand implements Command {
  readonly id = showAppGraphCommand;
  readonly #deps: GraphPanelDeps;

  constructor(deps: GraphPanelDeps) {
    this.#deps = deps;
  }

  execute(target?: unknown): boolean {
    const id = typeof target === 'string' ? target
      : typeof target === 'object' && target !== null && 'id' in target && typeof target.id === 'string' ? target.id : undefined;
    if (id === undefined || this.#deps.apps?.appFor(id) === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('That app is no longer running.'));
      return false;
    }
    GraphPanel.createOrShow(this.#deps, id);
    return true;
  }
}
