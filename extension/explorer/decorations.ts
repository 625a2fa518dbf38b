import * as vscode from 'vscode';
import type { StateHost } from '../sources/stateHost';
import { ancestorsOf } from '../sources/statePaths';

/** The scheme of the resource URIs given to tree items, only so that decorations can find them. */
export const decorationScheme = 'restate-state';

type Highlight = 'changed' | 'ancestor';

/**
 * Highlights the nodes that just changed, and more lightly their ancestors, for a moment: a user sees
 * where a change happened and how it bubbled up. Decorations change without refreshing the tree.
 */
export class StateDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  readonly #changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.#changed.event;

  readonly #highlights = new Map<string, { kind: Highlight; until: number }>();
  /** The URIs of the nodes with an unreadable value file below them, per host id. */
  readonly #unreadableBelow = new Map<string, Map<string, vscode.Uri>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #registration: vscode.Disposable;

  constructor() {
    this.#registration = vscode.window.registerFileDecorationProvider(this);
  }

  uriFor(host: StateHost, path: string): vscode.Uri {
    return vscode.Uri.from({ scheme: decorationScheme, path, query: host.id });
  }

  /** Highlights `changed` paths and the ancestors of every path in `bubbled` for the configured time. */
  highlight(host: StateHost, changed: readonly string[], bubbled: readonly string[]): void {
    const duration = vscode.workspace.getConfiguration('restate.explorer').get<number>('highlightDuration', 2000);
    if (!(duration > 0)) return;
    const until = Date.now() + duration;
    const touched = new Map<string, vscode.Uri>();
    const mark = (path: string, kind: Highlight): void => {
      const uri = this.uriFor(host, path);
      const key = uri.toString();
      const current = this.#highlights.get(key);
      // A node that changed itself keeps the stronger highlight when a descendant also changed.
      const strongest = current?.kind === 'changed' && current.until > Date.now() ? 'changed' : kind;
      this.#highlights.set(key, { kind: strongest, until });
      touched.set(key, uri);
    };
    for (const path of bubbled) for (const ancestor of ancestorsOf(path)) mark(ancestor, 'ancestor');
    for (const path of changed) mark(path, 'changed');
    if (touched.size === 0) return;
    this.#changed.fire([...touched.values()]);
    this.#schedule();
  }

  /**
   * Marks the ancestors of the host's unreadable nodes, up to its root, for as long as they stay unreadable:
   * a user sees from the collapsed top of the tree that something in it cannot be read.
   */
  markUnreadable(host: StateHost, paths: readonly string[]): void {
    const previous = this.#unreadableBelow.get(host.id) ?? new Map<string, vscode.Uri>();
    const next = new Map<string, vscode.Uri>();
    for (const path of paths) {
      for (const ancestor of ancestorsOf(path)) {
        const uri = this.uriFor(host, ancestor);
        next.set(uri.toString(), uri);
      }
    }
    if (next.size === 0) this.#unreadableBelow.delete(host.id);
    else this.#unreadableBelow.set(host.id, next);
    const touched = new Map([...previous, ...next]);
    for (const key of touched.keys()) if (previous.has(key) && next.has(key)) touched.delete(key);
    if (touched.size > 0) this.#changed.fire([...touched.values()]);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== decorationScheme) return undefined;
    if (this.#unreadableBelow.get(uri.query)?.has(uri.toString())) {
      return new vscode.FileDecoration('!', vscode.l10n.t('A value file below cannot be read'), new vscode.ThemeColor('list.errorForeground'));
    }
    const highlight = this.#highlights.get(uri.toString());
    if (highlight === undefined || highlight.until <= Date.now()) return undefined;
    return highlight.kind === 'changed'
      ? new vscode.FileDecoration('●', vscode.l10n.t('Changed just now'), new vscode.ThemeColor('restate.changedNodeForeground'))
      : new vscode.FileDecoration(undefined, vscode.l10n.t('Something below changed just now'), new vscode.ThemeColor('restate.changedAncestorForeground'));
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#registration.dispose();
    this.#changed.dispose();
  }

  /** Clears expired highlights at the earliest expiry, and again while any remain. */
  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    let next = Infinity;
    for (const { until } of this.#highlights.values()) next = Math.min(next, until);
    if (next === Infinity) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => {
      const now = Date.now();
      const expired: vscode.Uri[] = [];
      for (const [key, { until }] of this.#highlights) {
        if (until <= now) {
          this.#highlights.delete(key);
          expired.push(vscode.Uri.parse(key));
        }
      }
      if (expired.length > 0) this.#changed.fire(expired);
      this.#schedule();
    }, Math.max(0, next - Date.now()) + 10);
  }
}
