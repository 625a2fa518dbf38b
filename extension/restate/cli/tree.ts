import type { AsyncBackend } from '../backends/backend';
import { childOf } from '../path';
import { MISSING, OWN_VALUE_KEY, isPlainObject } from '../values';

/**
 * A subtree as nodes, each with its own value (if any) and its children: unlike a parent read, this tells an
 * object value (`/cfg = {"theme": "dark"}`) from children (`/cfg/theme = "dark"`), so a copy keeps the shape.
 */
export interface TreeNode {
  readonly hasValue: boolean;
  readonly value: unknown;
  readonly children: Map<string, TreeNode>;
}

type ListingBackend = AsyncBackend & { listChildren(path: string): Promise<string[]> };

/** The subtree at `path`, or undefined when the node is missing. One read of the subtree, one listing per node. */
export async function readTree(backend: ListingBackend, path: string): Promise<TreeNode | undefined> {
  const read = await backend.read(path, MISSING);
  if (read === MISSING) return undefined;
  return nodeFrom(backend, path, read);
}

async function nodeFrom(backend: ListingBackend, path: string, read: unknown): Promise<TreeNode> {
  const names = await backend.listChildren(path);
  if (names.length === 0) return { hasValue: true, value: read, children: new Map() };
  if (!isPlainObject(read)) throw changedWhileRead(path);
  const children = new Map<string, TreeNode>();
  for (const name of names) {
    if (!Object.hasOwn(read, name)) throw changedWhileRead(childOf(path, name));
    children.set(name, await nodeFrom(backend, childOf(path, name), read[name]));
  }
  const hasValue = Object.hasOwn(read, OWN_VALUE_KEY);
  return { hasValue, value: hasValue ? read[OWN_VALUE_KEY] : undefined, children };
}

function changedWhileRead(path: string): Error {
  return new Error(`${path} changed while the tree was read; try again`);
}

/** Every node with an own value, parents before children, with its path under `base`. */
export function* valuesOf(node: TreeNode, base: string): Generator<{ path: string; value: unknown }> {
  if (node.hasValue) yield { path: base, value: node.value };
  for (const [name, child] of node.children) yield* valuesOf(child, childOf(base, name));
}

/**
 * A value as JSON text, with Python's bare NaN, Infinity and -Infinity for the numbers JSON lacks (as the
 * state files hold them). `indent` 0 gives one line with Python's separators (`{"a": 1, "b": [2, 3]}`).
 */
export function formatValue(value: unknown, indent = 0): string {
  const parts: string[] = [];
  write(value, 0);
  return parts.join('');

  function write(item: unknown, level: number): void {
    if (typeof item === 'number') {
      parts.push(Number.isFinite(item) ? JSON.stringify(item) : Number.isNaN(item) ? 'NaN' : item > 0 ? 'Infinity' : '-Infinity');
    } else if (Array.isArray(item)) {
      list(item, level, '[', ']', (element) => write(element, level + 1));
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      list(entries, level, '{', '}', ([key, element]) => {
        parts.push(JSON.stringify(key), ': ');
        write(element, level + 1);
      });
    } else {
      parts.push(item === undefined ? 'null' : JSON.stringify(item));
    }
  }

  function list<T>(items: readonly T[], level: number, open: string, close: string, each: (item: T) => void): void {
    if (items.length === 0) {
      parts.push(open, close);
      return;
    }
    parts.push(open);
    const inner = indent > 0 ? '\n' + ' '.repeat(indent * (level + 1)) : '';
    items.forEach((item, i) => {
      if (i > 0) parts.push(indent > 0 ? ',' : ', ');
      parts.push(inner);
      each(item);
    });
    if (indent > 0) parts.push('\n' + ' '.repeat(indent * level));
    parts.push(close);
  }
}

/** `tree`'s lines: the path, then each node indented under its parent, `name = value` where it has a value. */
export function treeLines(node: TreeNode, path: string): string[] {
  const lines = [node.hasValue ? `${path} = ${formatValue(node.value)}` : path];
  const walk = (parent: TreeNode, depth: number): void => {
    for (const [name, child] of parent.children) {
      const pad = '  '.repeat(depth);
      lines.push(child.hasValue ? `${pad}${name} = ${formatValue(child.value)}` : `${pad}${name}`);
      walk(child, depth + 1);
    }
  };
  walk(node, 1);
  return lines;
}
