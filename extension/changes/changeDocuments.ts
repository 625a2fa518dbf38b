import * as vscode from 'vscode';
import { decode, type ChangeEntry, type ChangeHistory } from './history';
import { formatTime } from './changesTree';

/** The scheme of the read-only documents that show a change's value before and after. */
export const changeScheme = 'restate-change';

type Side = 'before' | 'after';

/**
 * Serves `restate-change:` documents: the pretty-printed JSON of a recorded change's value before or after
 * it; an empty document when the path was missing. A change never changes, so the documents never do.
 */
export class ChangeDocuments implements vscode.TextDocumentContentProvider {
  readonly #history: ChangeHistory;

  constructor(history: ChangeHistory) {
    this.#history = history;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const { id, side } = parseUri(uri);
    const entry = id === undefined ? undefined : this.#history.entry(id);
    if (entry === undefined || side === undefined) return '';
    const text = side === 'before' ? entry.before : entry.after;
    return text === undefined ? '' : `${JSON.stringify(decode(text), null, 2)}\n`;
  }

  /** Opens VS Code's diff editor on a change. */
  async showDiff(entry: ChangeEntry): Promise<void> {
    const title = vscode.l10n.t('{0} ({1}): before ↔ after', entry.path, formatTime(entry.time));
    await vscode.commands.executeCommand('vscode.diff', uriFor(entry, 'before'), uriFor(entry, 'after'), title, { preview: true });
  }
}

/** `restate-change:/<side>/<path>.json?<id>`: the path makes the tab readable, the .json picks the language. */
export function uriFor(entry: ChangeEntry, side: Side): vscode.Uri {
  const path = entry.path === '/' ? '/(root)' : entry.path;
  return vscode.Uri.from({ scheme: changeScheme, path: `/${side}${path}.json`, query: entry.id });
}

function parseUri(uri: vscode.Uri): { id: string | undefined; side: Side | undefined } {
  const side = uri.path.startsWith('/before/') ? 'before' : uri.path.startsWith('/after/') ? 'after' : undefined;
  return { id: uri.query === '' ? undefined : uri.query, side };
}
