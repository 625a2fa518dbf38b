/*
 * State paths and the file names of the file-system backend's layout (S82–S84), without vscode, so that
 * the mapping from file events to state paths is tested in plain Node.
 */

const valueSuffix = '.json';

/** Temporary files of atomic writes (`.<name>.<random>.tmp`, S87): never state. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

export function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The parent of a state path; the root is its own parent. */
export function parentPath(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The strict ancestors of a path, nearest first, the root last; none for the root. */
export function ancestorsOf(path: string): string[] {
  const found: string[] = [];
  for (let current = path; current !== '/'; ) {
    current = parentPath(current);
    found.push(current);
  }
  return found;
}

export function isAtOrBelow(path: string, ancestor: string): boolean {
  return ancestor === '/' || path === ancestor || path.startsWith(`${ancestor}/`);
}

/**
 * The state node that a file or folder inside a state folder stands for, given its path relative to the
 * state folder as decoded segments (S125): `a/b.json` is node /a/b, the folder `a/b` is node /a/b too.
 * Undefined for what the layout ignores: temporary files, and anything below them.
 *
 * A name without `.json` is taken for a folder. For a deleted entry nothing tells a folder from another
 * file; a stray `notes.txt` then maps to node /notes.txt, which reads as missing before and after, so
 * the change is dropped as equal.
 */
export function statePathOfRelative(segments: readonly string[]): string | undefined {
  if (segments.length === 0 || segments.some(isTemporaryName)) return undefined;
  const parts = [...segments];
  const last = parts[parts.length - 1];
  if (last.endsWith(valueSuffix)) {
    const name = last.slice(0, -valueSuffix.length);
    if (name === '') return undefined;
    parts[parts.length - 1] = name;
  }
  return `/${parts.join('/')}`;
}

/** The value file of a node relative to the state folder, as segments; undefined for the root. */
export function valueFileSegments(path: string): string[] | undefined {
  const parts = segmentsOf(path);
  const last = parts.pop();
  if (last === undefined) return undefined;
  return [...parts, last + valueSuffix];
}

/**
 * Keeps the paths whose ancestors are not in the set as well, in their original order. Used for tree
 * refreshes: refreshing a subtree re-reads everything below it.
 */
export function topMost(paths: Iterable<string>): string[] {
  const all = [...new Set(paths)];
  const set = new Set(all);
  return all.filter((path) => !ancestorsOf(path).some((ancestor) => set.has(ancestor)));
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
