import type { Command } from '../commands/command';
import { GraphPanel } from './graphPanel';
import type { GraphPanelDeps } from './graphPanel';

/**
 * Show Graph: opens the dependency graph panel, or brings it to the front; optionally on a given state folder,
 * and with a given node selected (Trace…).
 */
export class ShowGraphCommand implements Command {
  readonly id = 'restate.showGraph';
  readonly #deps: GraphPanelDeps;

  constructor(deps: GraphPanelDeps) {
    this.#deps = deps;
  }

  execute(hostId?: unknown, selected?: unknown): void {
    const host = typeof hostId === 'string' ? hostId : undefined;
    if (host !== undefined && typeof selected === 'string') GraphPanel.showSelected(this.#deps, host, selected);
    else GraphPanel.createOrShow(this.#deps, host);
  }
}

/**
 * Not in the command palette: what the open panel shows (host, graph as last sent, last layout, the selection
 * the webview reports, the runs last sent for it and the nodes last flashed), for
 * automation and other extensions.
 */
export class GraphStateCommand implements Command {
  readonly id = 'restate.graph.state';

  execute(): { hostId: string | undefined; view: unknown; lastLayout: unknown; selected: string | undefined; runs: unknown; lastFlash: readonly string[] } | undefined {
    const panel = GraphPanel.current;
    return panel && { hostId: panel.hostId, view: panel.view, lastLayout: panel.lastLayout, selected: panel.selected, runs: panel.runs, lastFlash: panel.lastFlash };
  }
}
