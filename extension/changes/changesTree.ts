import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import { describeCause, isReverting, revertAction, shortCause, shortValue, summary, type ChangeEntry, type ChangeGroup, type ChangeHistory, type RevertAction } from './history';

/** An element of the Changes view: one change, or the group of one batch. The id is the history's. */
export type ChangeNode = { readonly kind: 'entry'; readonly id: string } | { readonly kind: 'group'; readonly id: string };

/** How long history updates are collected before the view refreshes: changes come in bursts. */
const refreshDelayMs = 50;
/** Groups up to this size open expanded. */
const expandedGroupSize = 5;
/** How much of a value the list shows before and after a change; the tooltip shows the rest. */
const compactValueWidth = 14;
/** How much of a value the tooltip shows. */
const tooltipValueWidth = 4000;

/**
 * The Changes view: the history newest first, batches as groups. Selecting a change opens its diff.
 * The whole list refreshes on a change, because a new entry moves every other one down.
 */
export class ChangesTreeProvider implements vscode.TreeDataProvider<ChangeNode>, vscode.Disposable {
  readonly #changed = new vscode.EventEmitter<ChangeNode | undefined>();
  readonly onDidChangeTreeData = this.#changed.event;

  readonly #history: ChangeHistory;
  readonly #hosts: StateHosts;
  readonly #stopListening: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #filter: string | undefined;

  constructor(history: ChangeHistory, hosts: StateHosts) {
    this.#history = history;
    this.#hosts = hosts;
    this.#stopListening = history.onDidChange(() => this.#scheduleRefresh());
  }

  /** The path prefix shown, if any. */
  get filter(): string | undefined {
    return this.#filter;
  }

  set filter(prefix: string | undefined) {
    this.#filter = prefix;
    this.#refreshNow();
  }

  /**
   * What the view says above its list: why it is empty when a filter or mutes hide everything, and what is
   * muted; `undefined` when the list speaks for itself.
   */
  message(): string | undefined {
    const history = this.#history;
    const parts: string[] = [];
    if (this.#filter !== undefined && history.items(this.#filter).length === 0) {
      parts.push(history.size === 0
        ? vscode.l10n.t('No changes at or below {0} yet.', this.#filter)
        : vscode.l10n.t('No changes at or below {0}: Show All Changes lists the {1} recorded.', this.#filter, history.size));
    }
    const muted = [...history.muted.paths, ...history.muted.causes.map(shortCause)];
    if (muted.length > 0) parts.push(vscode.l10n.t('Not recording: {0}.', muted.join(', ')));
    return parts.length === 0 ? undefined : parts.join(' ');
  }

  getChildren(node?: ChangeNode): ChangeNode[] {
    if (node === undefined) {
      // The watcher reports every burst from disk as a batch; a batch of one change is shown as that change.
      return this.#history.items(this.#filter).map((item) => {
        if (item.type === 'entry') return { kind: 'entry', id: item.entry.id };
        return item.group.entries.length === 1 ? { kind: 'entry', id: item.group.entries[0].id } : { kind: 'group', id: item.group.id };
      });
    }
    if (node.kind === 'entry') return [];
    const group = this.#visibleGroup(node.id);
    return group === undefined ? [] : [...group.entries].reverse().map((entry) => ({ kind: 'entry', id: entry.id }));
  }

  getTreeItem(node: ChangeNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const group = this.#visibleGroup(node.id);
      return group === undefined ? new vscode.TreeItem(vscode.l10n.t('(no longer recorded)')) : this.#groupItem(group);
    }
    const entry = this.#history.entry(node.id);
    return entry === undefined ? new vscode.TreeItem(vscode.l10n.t('(no longer recorded)')) : this.#entryItem(entry);
  }

  dispose(): void {
    this.#stopListening();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#changed.dispose();
  }

  /** A group with only the entries the filter shows. */
  #visibleGroup(id: string): ChangeGroup | undefined {
    const group = this.#history.group(id);
    if (group === undefined || this.#filter === undefined) return group;
    return this.#history.items(this.#filter).flatMap((item) => (item.type === 'group' && item.group.id === id ? [item.group] : []))[0];
  }

  #entryItem(entry: ChangeEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(entry.path, vscode.TreeItemCollapsibleState.None);
    item.id = entry.id;
    // The sidebar is narrow: the description holds what tells entries apart, the tooltip everything.
    const parts = [summary(entry, compactValueWidth), causeText(entry), formatTime(entry.time, false)];
    if (entry.count > 1) parts.unshift(`×${entry.count}`);
    const host = this.#hostLabel(entry.sourceId);
    if (host !== undefined) parts.unshift(host);
    if (entry.undone) parts.push(vscode.l10n.t('undone'));
    item.description = parts.join(' · ');
    const label = entry.undone
      ? vscode.l10n.t('{0}, {1}, by {2}, undone', entry.path, summary(entry), describeCause(entry.cause))
      : vscode.l10n.t('{0}, {1}, by {2}', entry.path, summary(entry), describeCause(entry.cause));
    item.accessibilityInformation = { label, role: 'treeitem' };
    const refusal = revertRefusalOf([entry], this.#hosts);
    item.tooltip = entryTooltip(entry, host, refusal);
    item.iconPath = entryIcon(entry);
    item.contextValue = refusal === undefined && isReverting(revertAction(entry)) ? 'change.revertible' : 'change';
    item.command = { command: 'restate.changes.showDiff', title: vscode.l10n.t('Show Change'), arguments: [{ kind: 'entry', id: entry.id } satisfies ChangeNode] };
    return item;
  }

  #groupItem(group: ChangeGroup): vscode.TreeItem {
    const count = group.entries.length;
    const undone = group.entries.every((entry) => entry.undone || entry.kind === 'ping');
    const state = count <= expandedGroupSize ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const label = undone
      ? vscode.l10n.t('batch · {0} changes, rolled back', count)
      : group.count > 1 ? vscode.l10n.t('batch · {0} changes ×{1}', count, group.count) : vscode.l10n.t('batch · {0} changes', count);
    const item = new vscode.TreeItem(label, state);
    item.id = group.id;
    const causes = [...new Set(group.entries.map(causeText))];
    const parts = [causes.join(', '), formatTime(group.entries[group.entries.length - 1].time, false)];
    const host = this.#hostLabel(group.sourceId);
    if (host !== undefined) parts.unshift(host);
    item.description = parts.join(' · ');
    const actions = group.entries.map(revertAction);
    const refusal = revertRefusalOf(group.entries, this.#hosts);
    const lines = [vscode.l10n.t('Changes made in one batch: subscribers were notified once, when it ended.')];
    if (undone) lines.push(vscode.l10n.t('The batch failed and its writes were undone.'));
    if (group.count > 1) lines.push(vscode.l10n.t('{0} batches of the same changes, {1} to {2}; each change shows the value before the first and after the last.', group.count, new Date(group.entries[0].firstTime).toLocaleString(), new Date(group.entries[group.entries.length - 1].time).toLocaleString()));
    if (refusal !== undefined) lines.push(vscode.l10n.t('It cannot be reverted: {0}.', refusal));
    item.tooltip = lines.join('\n');
    item.iconPath = new vscode.ThemeIcon(undone ? 'discard' : 'layers');
    // A batch goes back as a whole or not at all: one change that cannot be reverted holds back the others.
    item.contextValue = refusal === undefined && actions.some(isReverting) ? 'changeGroup.revertible' : 'changeGroup';
    return item;
  }

  /** The state folder's label, shown only when there are several. */
  #hostLabel(sourceId: string): string | undefined {
    if (this.#hosts.all.length < 2) return undefined;
    return this.#hosts.hostFor(sourceId)?.label;
  }

  #scheduleRefresh(): void {
    this.#timer ??= setTimeout(() => this.#refreshNow(), refreshDelayMs);
  }

  #refreshNow(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#changed.fire(undefined);
  }
}

function causeText(entry: ChangeEntry): string {
  return shortCause(entry.cause);
}

function entryIcon(entry: ChangeEntry): vscode.ThemeIcon {
  if (entry.undone) return new vscode.ThemeIcon('discard');
  if (entry.kind === 'ping') return new vscode.ThemeIcon('pulse');
  if (entry.kind === 'delete') return new vscode.ThemeIcon('trash');
  return new vscode.ThemeIcon(entry.before === undefined ? 'add' : 'edit');
}

/**
 * Why Revert is not offered for these changes, in words, or `undefined`: their state source is read-only, or
 * a value before a change could not be read.
 */
export function revertRefusalOf(entries: readonly ChangeEntry[], hosts: StateHosts): string | undefined {
  const readOnly = entries.map((entry) => hosts.hostFor(entry.sourceId)).find((host) => host?.readOnly === true);
  if (readOnly !== undefined) return vscode.l10n.t('{0} is read-only', readOnly.label);
  return entries.map((entry) => revertRefusal(revertAction(entry))).find((reason) => reason !== undefined);
}

/** Why a change cannot be written back, in words; `undefined` when it can (or has nothing to write back). */
export function revertRefusal(action: RevertAction): string | undefined {
  if (action.kind !== 'unavailable') return undefined;
  return vscode.l10n.t('the value of {0} before the change could not be read ({1}: {2}), so there is nothing to write back',
    action.path, action.unreadable.file, action.unreadable.detail);
}

function entryTooltip(entry: ChangeEntry, host: string | undefined, refusal: string | undefined): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(undefined, true);
  const what = entry.kind === 'ping' ? vscode.l10n.t('pinged') : entry.kind === 'delete' ? vscode.l10n.t('deleted') : vscode.l10n.t('set');
  tooltip.appendMarkdown(`**${escapeMarkdown(entry.path)}** — ${escapeMarkdown(what)}`);
  if (host !== undefined) tooltip.appendMarkdown(` ${escapeMarkdown(vscode.l10n.t('in {0}', host))}`);
  tooltip.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('{0} · by {1}', `${new Date(entry.time).toLocaleDateString()} ${formatTime(entry.time)}`, describeCause(entry.cause)))}`);
  if (entry.count > 1) {
    tooltip.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('Changed {0} times since {1}: before is the value before the first of them, after the value after the last.', entry.count, formatTime(entry.firstTime)))}`);
  }
  if (entry.silent) tooltip.appendMarkdown(` · ${escapeMarkdown(vscode.l10n.t('nobody was notified'))}`);
  if (entry.undone) tooltip.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('Undone: the batch it was made in failed and rolled back.'))}`);
  if (refusal !== undefined) tooltip.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('Revert is not available: {0}.', refusal))}`);
  tooltip.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('Before:'))}`);
  tooltip.appendCodeblock(shortValue(entry.before, tooltipValueWidth), 'json');
  if (entry.kind !== 'ping') {
    tooltip.appendMarkdown(escapeMarkdown(vscode.l10n.t('After:')));
    tooltip.appendCodeblock(shortValue(entry.after, tooltipValueWidth), 'json');
  }
  return tooltip;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** Local time of day, with milliseconds unless `withMs` is false: changes often come within the same second. */
export function formatTime(time: number, withMs = true): string {
  const date = new Date(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  const seconds = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return withMs ? `${seconds}.${String(date.getMilliseconds()).padStart(3, '0')}` : seconds;
}
