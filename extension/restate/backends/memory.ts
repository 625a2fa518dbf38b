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
    let node = this.#root;
    if (canonical !== '/') {
      let start = 1;
      while (start <= canonical.length) {
        let end = canonical.indexOf('/', start);
        if (end === -1) end = canonical.length;
        const name = canonical.slice(start, end);
        node.children ??= new Map();
        let child = node.children.get(name);
        if (child === undefined) {
          child = newNode();
          node.children.set(name, child);
        }
        node = child;
        start = end + 1;
      }
    }
    node.value = value;
  }

  delete(path: string): void {
    const canonical = resolveConcretePath(path, COMPONENT);
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
    result[name] = readNode(node.children.get(name)!);
  }
  return result;
}
