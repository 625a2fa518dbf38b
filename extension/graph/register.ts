import * as vscode from 'vscode';
import { registerCommands } from '../commands/command';
import { DefinitionsManager } from '../definitions/definitions';
import { DeriveCommand } from '../commands/derive';
import { RemoveDerivationCommand, UntrackCommand } from '../commands/removeDefinition';
import { TraceCommand } from '../commands/trace';
import { TrackCommand } from '../commands/track';
import type { LiveApps } from '../sources/liveApps';
import type { StateHosts } from '../sources/stateHost';
import { GraphPanel } from './graphPanel';
import type { GraphPanelDeps } from './graphPanel';
import { ShowAppGraphCommand } from './showAppGraphCommand';
import { GraphStateCommand, ShowGraphCommand } from './showGraphCommand';
import { isWebviewState } from './webviewMessages';

/**
 * Wires the definitions file (derive/track from `.vscode/restate.jsonc`) and the graph panel: the manager
 * that applies the file to every state folder's controller, their commands, and the panel's serializer so
 * the graph comes back after a window reload. Everything registered is disposed with the extension.
 */
export function registerDefinitionsAndGraph(context: vscode.ExtensionContext, hosts: StateHosts, log?: vscode.LogOutputChannel, apps?: LiveApps): DefinitionsManager {
  const definitions = new DefinitionsManager(hosts, undefined, log);
  const deps: GraphPanelDeps = { extensionUri: context.extensionUri, hosts, definitions, ...(apps ? { apps } : {}) };
  context.subscriptions.push(
    definitions,
    vscode.window.registerWebviewPanelSerializer(GraphPanel.viewType, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        GraphPanel.revive(panel, deps, isWebviewState(state) ? state : undefined);
      },
    }),
    ...registerCommands([
      new DeriveCommand(definitions),
      new TrackCommand(definitions),
      new RemoveDerivationCommand(definitions),
      new UntrackCommand(definitions),
      new ShowGraphCommand(deps),
      new ShowAppGraphCommand(deps),
      new GraphStateCommand(),
      new TraceCommand(hosts, definitions),
    ]),
    { dispose: () => GraphPanel.current?.dispose() },
  );
  return definitions;
}
