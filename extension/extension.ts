import * as vscode from 'vscode';
import { registerChangesView } from './changes/register';
import { AddChildCommand } from './commands/addChild';
import { CollapseAllCommand } from './commands/collapseAll';
import { registerCommands } from './commands/command';
import { CopyPathCommand } from './commands/copyPath';
import { CopyValueCommand } from './commands/copyValue';
import { CreateStateFolderCommand } from './commands/createStateFolder';
import { DeleteCommand } from './commands/deleteNode';
import { EditValueCommand } from './commands/editValue';
import { FindCommand, FindInViewCommand } from './commands/find';
import { OpenFileCommand } from './commands/openFile';
import { PingCommand } from './commands/ping';
import { EnterRedisPasswordCommand, ForgetRedisPasswordCommand } from './commands/redisPassword';
import { RefreshCommand } from './commands/refresh';
import { RevealCommand } from './commands/reveal';
import { SetValueCommand } from './commands/setValue';
import { ViewSelection } from './commands/targets';
import { ShowMoreCommand } from './commands/showMore';
import { StateDecorations } from './explorer/decorations';
import type { StateHosts } from './sources/stateHost';
import { StateTreeProvider, type ExplorerNode } from './explorer/stateTree';
import { UnreadableFilesView } from './explorer/unreadableFiles';
import { registerDefinitionsAndGraph } from './graph/register';
import { WorkspaceStateHosts } from './sources/workspaceStateHosts';
import { InspectedApps } from './sources/inspectedApps';
import { inspectedRootOf } from './sources/inspectedRoots';
import type { LiveApps } from './sources/liveApps';

/** What activate() returns: used by the integration tests and the speed script, and by other extensions. */
export interface RestateExtensionApi {
  readonly hosts: StateHosts;
  readonly tree: StateTreeProvider;
  readonly view: vscode.TreeView<ExplorerNode>;
  readonly decorations: StateDecorations;
  /** The running apps with an inspector open over the workspace's state folders. */
  readonly apps: LiveApps;
}

export function activate(context: vscode.ExtensionContext): RestateExtensionApi {
  const started = performance.now();
  const startedAt = new Date();
  const log = vscode.window.createOutputChannel('Restate State Explorer', { log: true });
  const hosts = new WorkspaceStateHosts(log, context.secrets);
  const decorations = new StateDecorations();
  const apps = new InspectedApps({ log: (line) => log.warn(line) });
  const watchAppsOf = (): void => apps.setRoots(hosts.all.flatMap((host) => inspectedRootOf(host) ?? []));
  const tree = new StateTreeProvider(hosts, decorations, log, apps);
  const view = vscode.window.createTreeView('restate.explorer', { treeDataProvider: tree, showCollapseAll: true });
  const find = new FindCommand(hosts, tree, view, log);
  const selection = new ViewSelection(view, tree);
  context.subscriptions.push(
    hosts,
    log,
    apps,
    hosts.onDidChangeHosts(watchAppsOf),
    decorations,
    tree,
    view,
    selection,
    new UnreadableFilesView(hosts, decorations, view),
    ...registerCommands([
      new SetValueCommand(hosts),
      new EditValueCommand(hosts, selection),
      new AddChildCommand(hosts),
      new DeleteCommand(hosts, selection),
      new PingCommand(hosts),
      new CopyPathCommand(hosts),
      new CopyValueCommand(hosts),
      new OpenFileCommand(hosts),
      new RefreshCommand(hosts, tree),
      find,
      new FindInViewCommand(find),
      new RevealCommand(hosts, tree, view),
      new CollapseAllCommand(),
      new ShowMoreCommand(hosts, tree),
      new CreateStateFolderCommand(hosts),
      new EnterRedisPasswordCommand(hosts),
      new ForgetRedisPasswordCommand(hosts),
    ]),
  );
  watchAppsOf();
  registerDefinitionsAndGraph(context, hosts, log, apps);
  registerChangesView(context, hosts);
  // Start-up cost as a user pays it, in the log: activation itself, then the scan for state folders.
  log.info(`activated in ${(performance.now() - started).toFixed(0)} ms (began at ${startedAt.toISOString()})`);
  void hosts.whenReady().then(() => log.info(`${hosts.all.length} state folder(s) found ${(performance.now() - started).toFixed(0)} ms after activation began`));
  return { hosts, tree, view, decorations, apps };
}

export function deactivate(): void {}
