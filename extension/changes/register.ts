import * as vscode from 'vscode';
import { registerCommands } from '../commands/command';
import type { StateHosts } from '../sources/stateHost';
import { ChangeDocuments, changeScheme } from './changeDocuments';
import { ChangesTreeProvider } from './changesTree';
import {
  ClearChangesCommand,
  ClearChangesFilterCommand,
  FilterChangesCommand,
  ChangesViewStateCommand,
  ListChangesCommand,
  MuteCauseCommand,
  MutePathCommand,
  UnmuteCommand,
  mutedKey,
  PauseRecordingCommand,
  ResumeRecordingCommand,
  RevertChangeCommand,
  ShowChangeDiffCommand,
  type ChangesContext,
} from './commands';
import { ChangeHistory, type MuteRules } from './history';
import { ChangeRecorder } from './recorder';

const maxEntriesSetting = 'restate.changes.maxEntries';
const maxAgeSetting = 'restate.changes.maxAgeMinutes';
const collapseSetting = 'restate.changes.collapseRepeats';
const defaultMaxEntries = 500;
/** Where the muted paths and causes are kept, per workspace. */
const mutedStateKey = 'restate.changes.muted';
/** How often entries that grew too old are dropped while nothing new comes in. */
const expiryIntervalMs = 10_000;

function configuredMaxEntries(): number {
  const value = vscode.workspace.getConfiguration().get<unknown>(maxEntriesSetting);
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? value : defaultMaxEntries;
}

/** The age limit in ms; `undefined` (no limit) for 0 or anything that is not a positive number. */
function configuredMaxAgeMs(): number | undefined {
  const value = vscode.workspace.getConfiguration().get<unknown>(maxAgeSetting);
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value * 60_000 : undefined;
}

function storedMuteRules(state: vscode.Memento): MuteRules {
  const stored = state.get<unknown>(mutedStateKey);
  if (typeof stored !== 'object' || stored === null) return { paths: [], causes: [] };
  const { paths, causes } = stored as { paths?: unknown; causes?: unknown };
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  return { paths: strings(paths), causes: strings(causes) as MuteRules['causes'] };
}

/** The Changes view: a bounded history of every state folder's changes, with diff, revert, pause and filter. */
export function registerChangesView(context: vscode.ExtensionContext, hosts: StateHosts): void {
  const history = new ChangeHistory({
    maxEntries: configuredMaxEntries(),
    maxAgeMs: configuredMaxAgeMs(),
    // Read once: collapsing changes how entries are kept, so a change of the setting applies after a reload.
    collapseRepeats: vscode.workspace.getConfiguration().get<boolean>(collapseSetting) !== false,
  });
  history.muted = storedMuteRules(context.workspaceState);
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
    setMuted: async (rules) => {
      history.muted = rules;
      await context.workspaceState.update(mutedStateKey, history.muted);
      await vscode.commands.executeCommand('setContext', mutedKey, history.muted.paths.length + history.muted.causes.length > 0);
    },
  };
  const showMessage = (): void => {
    view.message = tree.message();
  };
  showMessage();
  void vscode.commands.executeCommand('setContext', mutedKey, history.muted.paths.length + history.muted.causes.length > 0);
  const expiry = setInterval(() => history.expire(), expiryIntervalMs);
  context.subscriptions.push(
    recorder,
    tree,
    view,
    vscode.workspace.registerTextDocumentContentProvider(changeScheme, documents),
    tree.onDidChangeTreeData(showMessage),
    { dispose: () => clearInterval(expiry) },
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(maxEntriesSetting)) history.maxEntries = configuredMaxEntries();
      if (event.affectsConfiguration(maxAgeSetting)) history.maxAgeMs = configuredMaxAgeMs();
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
      new ChangesViewStateCommand(changes),
      new MutePathCommand(changes),
      new MuteCauseCommand(changes),
      new UnmuteCommand(changes),
    ]),
  );
}
