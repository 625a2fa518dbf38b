import * as vscode from 'vscode';
import type { Command } from '../commands/command';
import type { StateHosts } from '../sources/stateHost';
import { resolvePath } from '../restate';
import type { ChangeDocuments } from './changeDocuments';
import { revertRefusalOf, type ChangeNode, type ChangesTreeProvider } from './changesTree';
import { describeCause, isAtOrBelow, isReverting, revertAction, type ChangeEntry, type ChangeHistory, type HistoryItem, type MuteRules } from './history';
import type { TraceCause } from '../restate';
import type { ChangeRecorder } from './recorder';

/** Context keys that switch the view's title-bar icons. */
export const pausedKey = 'restate.changes.paused';
export const filteredKey = 'restate.changes.filtered';
export const mutedKey = 'restate.changes.muted';

/** Everything the Changes view's commands share. */
export interface ChangesContext {
  readonly history: ChangeHistory;
  readonly hosts: StateHosts;
  readonly tree: ChangesTreeProvider;
  readonly recorder: ChangeRecorder;
  readonly documents: ChangeDocuments;
  /** Updates the view's description after the filter or the pause state changed. */
  describe(): void;
  /** Sets what is not recorded, and remembers it for the workspace. */
  setMuted(rules: MuteRules): Promise<void>;
}

function isNode(value: unknown): value is ChangeNode {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, id } = value as { kind?: unknown; id?: unknown };
  return (kind === 'entry' || kind === 'group') && typeof id === 'string';
}

export class ShowChangeDiffCommand implements Command {
  readonly id = 'restate.changes.showDiff';
  constructor(private readonly changes: ChangesContext) {}

  async execute(node: unknown): Promise<void> {
    const entry = isNode(node) && node.kind === 'entry' ? this.changes.history.entry(node.id) : undefined;
    if (entry === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This change is no longer in the history (it holds the most recent restate.changes.maxEntries changes).'));
      return;
    }
    await this.changes.documents.showDiff(entry);
  }
}

/**
 * Writes the value before a change back through the controller, so the revert is itself a change with its
 * own entry; for a batch, every change in it, newest first, in one batch.
 */
export class RevertChangeCommand implements Command {
  readonly id = 'restate.changes.revert';
  constructor(private readonly changes: ChangesContext) {}

  async execute(node: unknown): Promise<void> {
    const { history, hosts } = this.changes;
    if (!isNode(node)) return;
    const entries: readonly ChangeEntry[] = node.kind === 'entry' ? [history.entry(node.id)].filter((e) => e !== undefined) : [...(history.group(node.id)?.entries ?? [])].reverse();
    const all = entries.map(revertAction);
    const actions = all.filter(isReverting);
    if (entries.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This change is no longer in the history, so it cannot be reverted.'));
      return;
    }
    const refusal = revertRefusalOf(entries, hosts);
    if (refusal !== undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Cannot revert: {0}.', refusal));
      return;
    }
    if (actions.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Nothing to revert: a ping or a rolled-back change wrote nothing.'));
      return;
    }
    const host = hosts.hostFor(entries[0].sourceId);
    if (host === undefined) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Cannot revert: the state folder of this change is no longer open.'));
      return;
    }
    const apply = async (): Promise<void> => {
      for (const action of actions) {
        if (action.kind === 'write') await host.controller.setState(action.path, action.value);
        else if (action.kind === 'restore') for (const node of action.nodes) await host.controller.setState(node.path, node.value);
        else await host.controller.delState(action.path);
      }
    };
    try {
      if (actions.length === 1 && actions[0].kind !== 'restore') await apply();
      else await host.controller.batch(apply);
    } catch (error) {
      const what = actions.length === 1 ? actions[0].path : vscode.l10n.t('{0} changes', actions.length);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not revert {0} in {1}: {2}', what, host.label, error instanceof Error ? error.message : String(error)));
    }
  }
}

export class ClearChangesCommand implements Command {
  readonly id = 'restate.changes.clear';
  constructor(private readonly changes: ChangesContext) {}

  execute(): void {
    this.changes.history.clear();
  }
}

export class PauseRecordingCommand implements Command {
  readonly id = 'restate.changes.pause';
  constructor(private readonly changes: ChangesContext) {}

  async execute(): Promise<void> {
    this.changes.recorder.paused = true;
    this.changes.describe();
    await vscode.commands.executeCommand('setContext', pausedKey, true);
  }
}

export class ResumeRecordingCommand implements Command {
  readonly id = 'restate.changes.resume';
  constructor(private readonly changes: ChangesContext) {}

  async execute(): Promise<void> {
    this.changes.recorder.paused = false;
    this.changes.describe();
    await vscode.commands.executeCommand('setContext', pausedKey, false);
  }
}

/** Shows only changes at or below a path. Takes the path as an argument, or asks for it. */
export class FilterChangesCommand implements Command {
  readonly id = 'restate.changes.filter';
  constructor(private readonly changes: ChangesContext) {}

  async execute(prefix?: unknown): Promise<void> {
    const input = typeof prefix === 'string' ? prefix : await vscode.window.showInputBox({
      title: vscode.l10n.t('Filter Changes by Path'),
      prompt: vscode.l10n.t('Show only changes at or below this state path, e.g. /settings. Leave empty to show all.'),
      value: this.changes.tree.filter ?? '',
      validateInput: (value) => validatePrefix(value),
    });
    if (input === undefined) return;
    // An argument (not typed into the box) has not been validated yet: report it rather than throw.
    const problem = validatePrefix(input);
    if (problem !== undefined) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot filter the changes by {0}: {1}', JSON.stringify(input), problem));
      return;
    }
    const canonical = input.trim() === '' ? undefined : resolvePath(input.trim());
    await setFilter(this.changes, canonical === '/' ? undefined : canonical);
  }
}

export class ClearChangesFilterCommand implements Command {
  readonly id = 'restate.changes.clearFilter';
  constructor(private readonly changes: ChangesContext) {}

  async execute(): Promise<void> {
    await setFilter(this.changes, undefined);
  }
}

/** A recorded change as plain data. */
export interface ListedChange {
  readonly id: string;
  readonly groupId: string | undefined;
  readonly hostId: string;
  readonly kind: ChangeEntry['kind'];
  readonly path: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
  readonly cause: string;
  readonly undone: boolean;
  readonly time: number;
  /** How many changes the entry stands for (repeats collapse into one entry). */
  readonly count: number;
  /** Why Revert is disabled for it: its source is read-only, or its value before cannot be written back (S131). */
  readonly revertRefusal: string | undefined;
}

/**
 * The changes the view shows (filter applied), newest first, as plain data; for the integration tests and
 * for other extensions. Not contributed: it is of no use from the command palette.
 */
export class ListChangesCommand implements Command {
  readonly id = 'restate.changes.list';
  constructor(private readonly changes: ChangesContext) {}

  execute(): ListedChange[] {
    const listed = (entry: ChangeEntry): ListedChange => ({
      id: entry.id, groupId: entry.groupId, hostId: entry.sourceId, kind: entry.kind, path: entry.path,
      before: entry.before, after: entry.after, cause: entry.cause, undone: entry.undone, time: entry.time, count: entry.count,
      revertRefusal: revertRefusalOf([entry], this.changes.hosts),
    });
    return this.changes.history.items(this.changes.tree.filter).flatMap((item: HistoryItem) =>
      item.type === 'entry' ? [listed(item.entry)] : [...item.group.entries].reverse().map(listed));
  }
}

/** What the Changes view shows around its list; for the integration tests. Not contributed. */
export class ChangesViewStateCommand implements Command {
  readonly id = 'restate.changes.viewState';
  constructor(private readonly changes: ChangesContext) {}

  execute(): { message: string | undefined; muted: MuteRules } {
    return { message: this.changes.tree.message(), muted: this.changes.history.muted };
  }
}

/** Stops recording changes at or below a path: an entry's path, a path given as an argument, or one asked for. */
export class MutePathCommand implements Command {
  readonly id = 'restate.changes.mutePath';
  constructor(private readonly changes: ChangesContext) {}

  async execute(target?: unknown): Promise<void> {
    const entry = isNode(target) && target.kind === 'entry' ? this.changes.history.entry(target.id) : undefined;
    const input = entry?.path ?? (typeof target === 'string' ? target : await vscode.window.showInputBox({
      title: vscode.l10n.t('Mute a Path in Changes'),
      prompt: vscode.l10n.t('Stop recording changes at or below this state path, e.g. /clock.'),
      validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('Enter a state path.') : validatePrefix(value)),
    }));
    if (input === undefined) return;
    const problem = input.trim() === '' ? vscode.l10n.t('the path is empty') : validatePrefix(input);
    if (problem !== undefined) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot mute {0}: {1}', JSON.stringify(input), problem));
      return;
    }
    const path = resolvePath(input.trim());
    const { paths, causes } = this.changes.history.muted;
    // A path already covered by a muted ancestor adds nothing; a muted descendant is covered by the new one.
    if (paths.some((muted) => isAtOrBelow(path, muted))) return;
    await this.changes.setMuted({ paths: [...paths.filter((muted) => !isAtOrBelow(muted, path)), path], causes });
  }
}

/** Stops recording changes by a cause: an entry's cause, or a cause given as an argument. */
export class MuteCauseCommand implements Command {
  readonly id = 'restate.changes.muteCause';
  constructor(private readonly changes: ChangesContext) {}

  async execute(target?: unknown): Promise<void> {
    const entry = isNode(target) && target.kind === 'entry' ? this.changes.history.entry(target.id) : undefined;
    const cause = entry?.cause ?? (typeof target === 'string' ? target as TraceCause : undefined);
    if (cause === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose Mute This Cause on a change in the Changes view.'));
      return;
    }
    const { paths, causes } = this.changes.history.muted;
    if (!causes.includes(cause)) await this.changes.setMuted({ paths, causes: [...causes, cause] });
  }
}

/** Records muted paths and causes again: all of them with the argument 'all', else those picked from a list. */
export class UnmuteCommand implements Command {
  readonly id = 'restate.changes.unmute';
  constructor(private readonly changes: ChangesContext) {}

  async execute(which?: unknown): Promise<void> {
    const { paths, causes } = this.changes.history.muted;
    if (which === 'all') {
      await this.changes.setMuted({ paths: [], causes: [] });
      return;
    }
    type Pick = vscode.QuickPickItem & { readonly rule: { path: string } | { cause: TraceCause } };
    const items: Pick[] = [
      ...paths.map((path): Pick => ({ label: path, description: vscode.l10n.t('path and below'), rule: { path } })),
      ...causes.map((cause): Pick => ({ label: describeCause(cause), description: vscode.l10n.t('cause'), rule: { cause } })),
    ];
    if (items.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Nothing is muted: every change is recorded.'));
      return;
    }
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title: vscode.l10n.t('Record Again'), placeHolder: vscode.l10n.t('Pick what to record again') });
    if (picked === undefined || picked.length === 0) return;
    const unmutedPaths = new Set(picked.flatMap((item) => ('path' in item.rule ? [item.rule.path] : [])));
    const unmutedCauses = new Set(picked.flatMap((item) => ('cause' in item.rule ? [item.rule.cause] : [])));
    await this.changes.setMuted({ paths: paths.filter((path) => !unmutedPaths.has(path)), causes: causes.filter((cause) => !unmutedCauses.has(cause)) });
  }
}

async function setFilter(changes: ChangesContext, prefix: string | undefined): Promise<void> {
  changes.tree.filter = prefix;
  changes.describe();
  await vscode.commands.executeCommand('setContext', filteredKey, prefix !== undefined);
}

function validatePrefix(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  try {
    resolvePath(value.trim());
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
