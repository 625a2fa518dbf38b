import * as vscode from 'vscode';
import type { RedisStateHost } from '../sources/redisStateHost';

/**
 * The contextValue prefix of a Redis root's rows: `restate.redis.` (or `restate.redis.readonly.` for a
 * read-only root) before what a state folder's row would have. The menus' `when` clauses offer file
 * commands only to `restate.state.…` rows, and editing commands to no `restate.redis.readonly.…` row.
 */
export function redisContextPrefix(host: RedisStateHost): string {
  return host.readOnly ? 'restate.redis.readonly.' : 'restate.redis.';
}

/** A Redis root's row: its label, where it is, and how its connection is. */
export function redisHostItem(host: RedisStateHost, id: string, resourceUri: vscode.Uri): vscode.TreeItem {
  const item = new vscode.TreeItem(host.label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = id;
  item.resourceUri = resourceUri;
  const connection = host.connection;
  const parts: string[] = [];
  switch (connection.state) {
    case 'connected':
      item.iconPath = new vscode.ThemeIcon('database');
      break;
    case 'connecting':
      parts.push(vscode.l10n.t('connecting…'));
      item.iconPath = new vscode.ThemeIcon('loading~spin');
      break;
    case 'reconnecting':
      parts.push(vscode.l10n.t('reconnecting: {0}', connection.message));
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      break;
    case 'error':
      parts.push(vscode.l10n.t('error: {0}', connection.message));
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
      break;
  }
  if (host.readOnly) parts.push(vscode.l10n.t('read-only'));
  parts.push(vscode.l10n.t('Redis'));
  item.description = parts.join(' · ');
  const tooltip = new vscode.MarkdownString().appendMarkdown('**').appendText(host.label).appendMarkdown('**\n\n')
    .appendText(vscode.l10n.t('Redis: {0}', host.address));
  const state = connection.state === 'connected' ? vscode.l10n.t('connected')
    : connection.state === 'connecting' ? vscode.l10n.t('connecting…')
      : connection.state === 'reconnecting' ? vscode.l10n.t('reconnecting, the server was lost: {0}', connection.message)
        : vscode.l10n.t('cannot reach the server: {0}', connection.message);
  tooltip.appendMarkdown('\n\n').appendText(state);
  if (host.readOnly) tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Read-only: no command writes to it.'));
  item.tooltip = tooltip;
  item.contextValue = `${redisContextPrefix(host)}host`;
  item.accessibilityInformation = { label: `${host.label}, ${state}`, role: 'treeitem' };
  return item;
}

/** A state folder's row for a node made into a Redis root's: its menus, and no file to open on a click. */
export function redisStateItem(host: RedisStateHost, item: vscode.TreeItem): vscode.TreeItem {
  const context = item.contextValue ?? '';
  if (context.startsWith('restate.state.')) item.contextValue = `${redisContextPrefix(host)}${context.slice('restate.'.length)}`;
  if (item.command?.command === 'restate.openFile') item.command = undefined;
  return item;
}
