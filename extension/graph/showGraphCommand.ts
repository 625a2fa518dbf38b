import type { Command } from '../commands/command';
import { GraphPanel } from './graphPanel';
import type { GraphPanelDeps } from './graphPanel';

/** Show Graph: opens the dependency graph panel, or brings it to the front; optionally on a given state folder. */
export class ShowGraphCommand implements Command {
  readonly id = 'restate.showGraph';
  readonly #deps: GraphPanelDeps;

  constructor(deps: GraphPanelDeps) {
    this.#deps = deps;
  }

  execute(hostId?: unknown): void {
    GraphPanel.createOrShow(this.#deps, typeof hostId === 'string' ? hostId : undefined);
  }
}

/**
 * Not in the command palette: what the open panel shows (host, graph as last sent, last layout), for
 * automation and other extensions.
 */
export class GraphStateCommand implements Command {
  readonly id = 'restate.graph.state';

  execute(): { hostId: string | undefined; view: unknown; lastLayout: unknown } | undefined {
    const panel = GraphPanel.current;
    return panel && { hostId: panel.hostId, view: panel.view, lastLayout: panel.lastLayout };
  }
}
