import * as vscode from 'vscode';
import { registerCommands } from '../commands/command';
import type { StateHosts } from '../explorer/stateHost';
import { ChangeDocuments, changeScheme } from './changeDocuments';
import { ChangesTreeProvider } from './changesTree';
import {
  ClearChangesCommand,
  ClearChangesFilterCommand,
  FilterChangesCommand,
  ListChangesCommand,
  PauseRecordingCommand,
  ResumeRecordingCommand,
  RevertChangeCommand,
  ShowChangeDiffCommand,
  type ChangesContext,
} from './commands';
import { ChangeHistory } from './history';
import { ChangeRecorder } from './recorder';

const maxEntriesSetting = 'restate.changes.maxEntries';
const defaultMaxEntries = 500;

function configuredMaxEntries(): number {
  const value = vscode.workspace.getConfiguration().get<unknown>(maxEntriesSetting);
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? value : defaultMaxEntries;
}

/** The Changes view: a bounded history of every state folder's changes, with diff, revert, pause and filter. */
export function registerChangesView(context: vscode.ExtensionContext, hosts: StateHosts): void {
  const history = new ChangeHistory({ maxEntries: configuredMaxEntries() });
  const recorder = new ChangeRecorder(hosts, history);
  const tree = new ChangesTreeProvider(history, hosts);
  const documents = new ChangeDocuments(history);
  const view = vscode.window.createTreeView('restate.changes', { treeDataProvider: tree });
  const changes: ChangesContext = {
    history,
    hosts,
    tree,
    recorder,
    documents,
    describe: () => {
      const parts = [tree.filter === undefined ? undefined : vscode.l10n.t('under {0}', tree.filter), recorder.paused ? vscode.l10n.t('paused') : undefined];
      view.description = parts.filter((part) => part !== undefined).join(' · ') || undefined;
    },
  };
  context.subscriptions.push(
    recorder,
    tree,
    view,
    vscode.workspace.registerTextDocumentContentProvider(changeScheme, documents),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(maxEntriesSetting)) history.maxEntries = configuredMaxEntries();
    }),
    ...registerCommands([
      new ShowChangeDiffCommand(changes),
      new RevertChangeCommand(changes),
      new ClearChangesCommand(changes),
      new PauseRecordingCommand(changes),
      new ResumeRecordingCommand(changes),
      new FilterChangesCommand(changes),
      new ClearChangesFilterCommand(changes),
      new ListChangesCommand(changes),
    ]),
  );
}
