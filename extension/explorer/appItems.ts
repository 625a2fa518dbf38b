import * as vscode from 'vscode';
import type { LiveApp } from '../sources/liveApps';

/** The command a click on an app's row runs: its graph in the graph panel. */
export const showAppGraphCommand = 'restate.showAppGraph';

/** The "Running apps" row of a state root: the processes that opened an inspector over it. */
export function appsGroupItem(id: string, count: number): vscode.TreeItem {
  const label = vscode.l10n.t('Running apps');
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = id;
  item.description = String(count);
  item.iconPath = new vscode.ThemeIcon('server-process');
  item.tooltip = vscode.l10n.t('Processes that opened an inspector over this state: click one to see its graph.');
  item.contextValue = 'restate.apps';
  item.accessibilityInformation = { label: vscode.l10n.t('{0}: {1}', label, count), role: 'treeitem' };
  return item;
}

/** One running app: its name, where it runs, and a click that shows its graph. */
export function appItem(id: string, app: LiveApp): vscode.TreeItem {
  const item = new vscode.TreeItem(app.name, vscode.TreeItemCollapsibleState.None);
  item.id = id;
  const where = [app.hostname, app.pid === undefined ? undefined : vscode.l10n.t('pid {0}', app.pid)].filter((part): part is string => part !== undefined);
  item.description = where.join(' · ');
  item.iconPath = new vscode.ThemeIcon('vm-running');
  item.tooltip = new vscode.MarkdownString().appendMarkdown('**').appendText(app.label).appendMarkdown('**\n\n')
    .appendText(vscode.l10n.t('A running app with an inspector open over this state. Click to see its derivations, trackers and recent runs in the State Graph.'));
  item.contextValue = 'restate.app';
  item.command = { command: showAppGraphCommand, title: vscode.l10n.t('Show Graph'), arguments: [app.id] };
  item.accessibilityInformation = { label: vscode.l10n.t('running app {0}', app.label), role: 'treeitem' };
  return item;
}
