import * as vscode from 'vscode';
import type { StateHosts } from '../explorer/stateHost';
import { describeCause, revertAction, shortCause, shortValue, summary, type ChangeEntry, type ChangeGroup, type ChangeHistory } from './history';

/** An element of the Changes view: one change, or the group of one batch. The id is the history's. */
export type ChangeNode = { readonly kind: 'entry'; readonly id: string } | { readonly kind: 'group'; readonly id: string };

/** How long history updates are collected before the view refreshes: changes come in bursts. */
const refreshDelayMs = 50;
/** Groups up to this size open expanded. */
const expandedGroupSize = 5;

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
      return group === undefined ? new vscode.TreeItem('(no longer recorded)') : this.#groupItem(group);
    }
    const entry = this.#history.entry(node.id);
    return entry === undefined ? new vscode.TreeItem('(no longer recorded)') : this.#entryItem(entry);
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
    const cause = causeText(entry);
    const parts = [summary(entry), cause, formatTime(entry.time)];
    const host = this.#hostLabel(entry.sourceId);
    if (host !== undefined) parts.unshift(host);
    if (entry.undone) parts.push('undone');
    item.description = parts.join(' · ');
    item.accessibilityInformation = { label: `${entry.path}, ${summary(entry)}, by ${describeCause(entry.cause)}${entry.undone ? ', undone' : ''}`, role: 'treeitem' };
    item.tooltip = entryTooltip(entry, host);
    item.iconPath = entryIcon(entry);
    item.contextValue = revertAction(entry).kind === 'none' ? 'change' : 'change.revertible';
    item.command = { command: 'restate.changes.showDiff', title: 'Show Change', arguments: [{ kind: 'entry', id: entry.id } satisfies ChangeNode] };
    return item;
  }

  #groupItem(group: ChangeGroup): vscode.TreeItem {
    const count = group.entries.length;
    const undone = group.entries.every((entry) => entry.undone || entry.kind === 'ping');
    const state = count <= expandedGroupSize ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(`batch · ${count} changes${undone ? ', rolled back' : ''}`, state);
    item.id = group.id;
    const causes = [...new Set(group.entries.map(causeText))];
    const parts = [causes.join(', '), formatTime(group.entries[0].time)];
    const host = this.#hostLabel(group.sourceId);
    if (host !== undefined) parts.unshift(host);
    item.description = parts.join(' · ');
    item.tooltip = `Changes made in one batch: subscribers were notified once, when it ended.${undone ? '\nThe batch failed and its writes were undone.' : ''}`;
    item.iconPath = new vscode.ThemeIcon(undone ? 'discard' : 'layers');
    item.contextValue = group.entries.some((entry) => revertAction(entry).kind !== 'none') ? 'changeGroup.revertible' : 'changeGroup';
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

function entryTooltip(entry: ChangeEntry, host: string | undefined): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.appendMarkdown(`**${escapeMarkdown(entry.path)}** — ${entry.kind === 'ping' ? 'pinged' : entry.kind === 'delete' ? 'deleted' : 'set'}`);
  if (host !== undefined) tooltip.appendMarkdown(` in ${escapeMarkdown(host)}`);
  tooltip.appendMarkdown(`\n\n${new Date(entry.time).toLocaleString()} · by ${escapeMarkdown(describeCause(entry.cause))}`);
  if (entry.silent) tooltip.appendMarkdown(' · nobody was notified');
  if (entry.undone) tooltip.appendMarkdown('\n\nUndone: the batch it was made in failed and rolled back.');
  tooltip.appendMarkdown('\n\nBefore:');
  tooltip.appendCodeblock(shortValue(entry.before, 400), 'json');
  if (entry.kind !== 'ping') {
    tooltip.appendMarkdown('After:');
    tooltip.appendCodeblock(shortValue(entry.after, 400), 'json');
  }
  return tooltip;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** Local time of day with milliseconds: changes often come within the same second. */
export function formatTime(time: number): string {
  const date = new Date(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
