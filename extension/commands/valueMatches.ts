import { keyPathText, previewValue } from '../explorer/preview';

/** Where a searched text occurs inside a node's value. */
export interface ValueMatch {
  /** The key path to the match inside the value; empty for the value itself. */
  readonly keys: readonly (string | number)[];
  /** The matching leaf as JSON, cut around the match; for a key that matched, the preview of its value. */
  readonly text: string;
}

/** Enough to show where a value matched without reading all of a large one. */
const visitLimit = 2000;
const snippetLength = 40;

/**
 * The places in a value where `query` occurs, ignoring case, in document order: keys whose name contains
 * it and leaves (strings, numbers, booleans, null) whose text contains it. A leaf value whose own preview
 * already shows the match is not repeated. At most `limit` matches; `more` tells there were others.
 */
export function matchesInValue(value: unknown, query: string, limit = 3): { matches: ValueMatch[]; more: boolean } {
  const needle = query.trim().toLowerCase();
  const matches: ValueMatch[] = [];
  if (needle === '') return { matches, more: false };
  let visited = 0;
  let more = false;
  // One key path, pushed and popped on the way down: copied only for a match.
  const keys: (string | number)[] = [];
  const add = (text: string, key?: string): boolean => {
    if (matches.length === limit) {
      more = true;
      return false;
    }
    matches.push({ keys: key === undefined ? [...keys] : [...keys, key], text });
    return true;
  };
  const visit = (current: unknown): boolean => {
    if (++visited > visitLimit) return false;
    if (current !== null && typeof current === 'object') {
      if (Array.isArray(current)) {
        for (let index = 0; index < current.length; index++) {
          keys.push(index);
          const going = visit(current[index]);
          keys.pop();
          if (!going) return false;
        }
        return true;
      }
      for (const key in current) {
        if (!Object.prototype.hasOwnProperty.call(current, key)) continue;
        const inner = (current as Record<string, unknown>)[key];
        if (key.toLowerCase().includes(needle) && !add(previewValue(inner), key)) return false;
        keys.push(key);
        const going = visit(inner);
        keys.pop();
        if (!going) return false;
      }
      return true;
    }
    const text = typeof current === 'string' ? current : JSON.stringify(current) ?? String(current);
    const at = text.toLowerCase().indexOf(needle);
    if (at < 0) return true;
    if (keys.length === 0 && previewValue(current).toLowerCase().includes(needle)) return true;
    return add(snippet(current, text, at, needle.length));
  };
  visit(value);
  return { matches, more };
}

/** As much of a value's text as is kept to search: about as much as matchesInValue walks. */
const searchTextLength = 64 * 1024;

/**
 * A value's text to rule out quickly, before walking it, that a query occurs in it: its JSON, in lower case
 * (the start of it, for a large value). Computed once per value; `mayContain` then costs one substring search
 * per query.
 */
export function searchTextOf(value: unknown): string {
  return (JSON.stringify(value) ?? '').slice(0, searchTextLength).toLowerCase();
}

/** False when `query` cannot occur in the value whose searchTextOf is `text`: neither in a key nor in a leaf. */
export function mayContain(text: string, query: string): boolean {
  const needle = query.trim().toLowerCase();
  // A query with quotes or backslashes appears escaped in JSON.
  return needle !== '' && text.includes(JSON.stringify(needle).slice(1, -1));
}

/** The matches as one line for a quick pick's detail: `roles[1]: "dev"  ·  team: "devops"`. */
export function describeMatches(found: { matches: readonly ValueMatch[]; more: boolean }): string {
  const parts = found.matches.map((match) => {
    const where = keyPathText(match.keys).replace(/^\./, '');
    return where === '' ? match.text : `${where}: ${match.text}`;
  });
  if (found.more) parts.push('…');
  return parts.join('  ·  ');
}

/** A leaf's JSON text, cut to a window around the match so that the match is always in it. */
function snippet(leaf: unknown, text: string, at: number, length: number): string {
  // Numbers, booleans and null are short enough to show whole.
  if (typeof leaf !== 'string') return text;
  if (text.length <= snippetLength) return JSON.stringify(text);
  const context = Math.max(0, Math.floor((snippetLength - length) / 2));
  const start = Math.max(0, at - context);
  const end = Math.min(text.length, at + length + context);
  const inner = JSON.stringify(text.slice(start, end)).slice(1, -1);
  return `"${start > 0 ? '…' : ''}${inner}${end < text.length ? '…' : ''}"`;
}

/** What Find searches of one state path: the path, its value's preview and its value. */
export interface SearchablePath {
  readonly path: string;
  // Writable in the type, as vscode.QuickPickItem has it, so that a quick pick's item can be one.
  description?: string;
  readonly folderLabel?: string;
  readonly value: unknown;
  /** The value's searchTextOf; '' while the value is not known. */
  readonly searchText: string;
}

/**
 * The first `limit` of `items` that the typed text finds, in their order, each with `detail` saying where its
 * value matched (and its state folder, when `folderLabel` is set), and how many it finds in all. Each word of
 * the text must occur in the path, its state folder's label or its value's preview, or the whole text in its
 * value. Every item, for no text.
 */
export function findPaths<T extends SearchablePath>(items: readonly T[], query: string, limit: number): { shown: (T & { detail?: string })[]; count: number } {
  const words = query.trim().toLowerCase().split(/\s+/).filter((word) => word !== '');
  const shown: (T & { detail?: string })[] = [];
  let count = 0;
  for (const item of items) {
    const text = words.length === 0 ? '' : `${item.path}\n${item.folderLabel ?? ''}\n${item.description ?? ''}`.toLowerCase();
    const inPath = words.every((word) => text.includes(word));
    const matches = mayContain(item.searchText, query) ? describeMatches(matchesInValue(item.value, query)) : '';
    if (!inPath && matches === '') continue;
    count++;
    if (shown.length >= limit) continue;
    const detail = [item.folderLabel, matches].filter((part) => part !== undefined && part !== '').join('  ·  ') || undefined;
    shown.push({ ...item, detail });
  }
  return { shown, count };
}
