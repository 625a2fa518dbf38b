import { RestateValueError } from '../errors';
import { resolveConcretePath } from '../path';
import { MISSING, OWN_VALUE_KEY, compareNames } from '../values';
import type { Backend } from './backend';

const COMPONENT = 'memory';
const NO_VALUE: unique symbol = Symbol('no own value');

interface MemoryNode {
  value: unknown;
  children: Map<string, MemoryNode> | undefined;
}

function newNode(): MemoryNode {
  return { value: NO_VALUE, children: undefined };
}

/**
 * Keeps the tree in memory (S79–S80). Own values are stored by reference (S19); parent reads are built
 * fresh. A leaf operation costs O(depth).
 */
export class InMemoryBackend implements Backend {
  readonly #root: MemoryNode = newNode();
  /**
   * The parent node of the last path looked up. A controller reads a path and then writes it, and
   * callers often touch siblings in a row, so this saves walking the same ancestors again.
   */
  #lastParentPath = '';
  #lastParent: MemoryNode | undefined;

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    const fallback = arguments.length < 2 ? MISSING : dflt;
    const node = this.#find(resolveConcretePath(path, COMPONENT));
    if (node === undefined || !nodeExists(node)) return fallback;
    return readNode(node);
  }

  write(path: string, value: unknown): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, canonical, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${canonical}: delete the path instead`);
    }
    if (canonical === '/') {
      this.#root.value = value;
      return;
    }
    const slash = canonical.lastIndexOf('/');
    let parent: MemoryNode;
    if (this.#lastParent !== undefined && slash === this.#lastParentPath.length && canonical.startsWith(this.#lastParentPath)) {
      parent = this.#lastParent;
    } else {
      parent = this.#root;
      let start = 1;
      while (start < slash) {
        const end = canonical.indexOf('/', start);
        const name = canonical.slice(start, end);
        parent.children ??= new Map();
        let child = parent.children.get(name);
        if (child === undefined) {
          child = newNode();
          parent.children.set(name, child);
        }
        parent = child;
        start = end + 1;
      }
      if (slash > 0) {
        this.#lastParentPath = canonical.slice(0, slash);
        this.#lastParent = parent;
      }
    }
    const name = canonical.slice(slash + 1);
    parent.children ??= new Map();
    const node = parent.children.get(name);
    if (node !== undefined) node.value = value;
    else parent.children.set(name, { value, children: undefined });
  }

  delete(path: string): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    this.#lastParent = undefined;
    if (canonical === '/') {
      this.#root.value = NO_VALUE;
      this.#root.children = undefined;
      return;
    }
    const names = canonical.slice(1).split('/');
    const trail: MemoryNode[] = [this.#root];
    let node = this.#root;
    for (const name of names) {
      const child = node.children?.get(name);
      if (child === undefined) return;
      trail.push(child);
      node = child;
    }
    // Unlink the node, then every ancestor left with neither a value nor children (S80).
    for (let i = names.length - 1; i >= 0; i--) {
      const parent = trail[i];
      parent.children!.delete(names[i]);
      if (parent.children!.size === 0) parent.children = undefined;
      if (i === 0 || nodeExists(parent)) break;
    }
  }

  listChildren(path: string): string[] {
    const node = this.#find(resolveConcretePath(path, COMPONENT));
    if (node?.children === undefined) return [];
    return [...node.children.keys()].sort(compareNames);
  }

  #find(canonical: string): MemoryNode | undefined {
    let node: MemoryNode | undefined = this.#root;
    if (canonical === '/') return node;
    const slash = canonical.lastIndexOf('/');
    if (this.#lastParent !== undefined && slash === this.#lastParentPath.length && canonical.startsWith(this.#lastParentPath)) {
      return this.#lastParent.children?.get(canonical.slice(slash + 1));
    }
    let start = 1;
    while (node !== undefined && start <= canonical.length) {
      let end = canonical.indexOf('/', start);
      if (end === -1) end = canonical.length;
      node = node.children?.get(canonical.slice(start, end));
      start = end + 1;
    }
    return node;
  }
}

function nodeExists(node: MemoryNode): boolean {
  return node.value !== NO_VALUE || node.children !== undefined;
}

function readNode(node: MemoryNode): unknown {
  if (node.children === undefined) return node.value;
  const result: Record<string, unknown> = {};
  if (node.value !== NO_VALUE) result[OWN_VALUE_KEY] = node.value;
  for (const name of [...node.children.keys()].sort(compareNames)) {
    const child = readNode(node.children.get(name)!);
    // Plain assignment to "__proto__" would replace the prototype instead of adding a key.
    if (name === '__proto__') Object.defineProperty(result, name, { value: child, enumerable: true, writable: true, configurable: true });
    else result[name] = child;
  }
  return result;
}
