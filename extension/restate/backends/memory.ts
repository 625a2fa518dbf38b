import { RestateValueError } from '../errors';
import { ConcretePaths } from '../path';
import { MISSING, OWN_VALUE_KEY, compareNames } from '../values';
import type { Backend, ValueHandle } from './backend';

const COMPONENT = 'memory';

interface MemoryNode {
  value: unknown;
  children: Map<string, MemoryNode> | undefined;
}

/**
 * Keeps the tree in memory (S79–S80). Own values are stored by reference (S19); parent reads are built
 * fresh. A leaf operation costs O(depth) at most, and usually one hash lookup.
 */
export class InMemoryBackend implements Backend {
  readonly #root: MemoryNode = { value: MISSING, children: undefined };
  /**
   * Nodes that have been looked up, by canonical path. Callers tend to pass the same path strings again,
   * whose hashes V8 keeps, so one lookup here beats hashing each segment on the way down. Nodes enter on
   * their first read rather than on creation, so writing many new leaves does not pay for a large index.
   */
  readonly #byPath = new Map<string, MemoryNode>([['/', this.#root]]);
  /**
   * Where the last lookup of a missing path stopped: its parent, when that exists. A controller reads a
   * path before writing it, so creating a new leaf can start there instead of at the root.
   */
  #missedPath = '';
  #missedParent: MemoryNode | undefined;
  /**
   * The last two nodes found, by their paths: a controller reads a path just before it writes it, and a
   * tracked or derived computation often reads the same two paths in turn (a flag, then what it selects).
   */
  #foundPath = '';
  #foundNode: MemoryNode | undefined;
  #otherPath = '';
  #otherNode: MemoryNode | undefined;
  /** Counts deletes: a node a handle found stays in the tree until the next delete. */
  #deletes = 0;
  /**
   * The cache this backend checks paths with. A controller over it checks its callers' paths with the same
   * one, then hands the backend the same string for a read and a write: only the controller's check scans it.
   *
   * @internal
   */
  readonly paths = new ConcretePaths();

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    const fallback = arguments.length < 2 ? MISSING : dflt;
    const node = this.#find(this.paths.resolve(path, COMPONENT));
    if (node === undefined || !nodeExists(node)) return fallback;
    return readNode(node);
  }

  write(path: string, value: unknown): void {
    const canonical = this.paths.resolve(path, COMPONENT);
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, canonical, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${canonical}: delete the path instead`);
    }
    const known = this.#remembered(canonical) ?? this.#byPath.get(canonical);
    if (known !== undefined) known.value = value;
    else this.#create(canonical).value = value;
  }

  delete(path: string): void {
    this.#deletes++;
    this.#deleteNode(this.paths.resolve(path, COMPONENT));
    // A delete may have detached the remembered nodes from the tree.
    this.#missedParent = undefined;
    this.#foundPath = '';
    this.#foundNode = undefined;
    this.#otherPath = '';
    this.#otherNode = undefined;
  }

  #deleteNode(canonical: string): void {
    if (canonical === '/') {
      this.#root.value = MISSING;
      this.#root.children = undefined;
      this.#byPath.clear();
      this.#byPath.set('/', this.#root);
      return;
    }
    const node = this.#find(canonical);
    if (node === undefined) return;
    this.#forgetSubtree(canonical, node);
    // Unlink the node, then every ancestor left with neither a value nor children (S80).
    let child = canonical;
    while (child !== '/') {
      const slash = child.lastIndexOf('/');
      const parentPath = slash === 0 ? '/' : child.slice(0, slash);
      const parent = this.#find(parentPath)!;
      parent.children!.delete(child.slice(slash + 1));
      if (parent.children!.size === 0) parent.children = undefined;
      if (parentPath === '/' || nodeExists(parent)) break;
      this.#byPath.delete(parentPath);
      child = parentPath;
    }
  }

  /** A path's node, kept from one call to the next until a delete may have taken it out of the tree. */
  handle(path: string): ValueHandle {
    return new InMemoryBackend.#Handle(this, this.paths.resolve(path, COMPONENT));
  }

  /** One object per handle, declared here so that it can reach the backend's private lookups. */
  static readonly #Handle = class MemoryHandle implements ValueHandle {
    readonly #backend: InMemoryBackend;
    readonly #path: string;
    #node: MemoryNode | undefined = undefined;
    #deletesSeen = -1;

    constructor(backend: InMemoryBackend, path: string) {
      this.#backend = backend;
      this.#path = path;
    }

    read(): unknown {
      const node = this.#current();
      return node !== undefined && nodeExists(node) ? readNode(node) : MISSING;
    }

    write(value: unknown): void {
      const node = value === undefined || value === MISSING ? undefined : this.#current();
      if (node !== undefined) node.value = value;
      else this.#backend.write(this.#path, value);
    }

    #current(): MemoryNode | undefined {
      const backend = this.#backend;
      if (this.#node === undefined || this.#deletesSeen !== backend.#deletes) {
        this.#node = backend.#find(this.#path);
        this.#deletesSeen = backend.#deletes;
      }
      return this.#node;
    }
  };

  listChildren(path: string): string[] {
    const node = this.#find(this.paths.resolve(path, COMPONENT));
    if (node?.children === undefined) return [];
    return [...node.children.keys()].sort(compareNames);
  }

  /** One of the two nodes found last, if `canonical` is its path. */
  #remembered(canonical: string): MemoryNode | undefined {
    if (canonical === this.#foundPath) return this.#foundNode;
    return canonical === this.#otherPath ? this.#otherNode : undefined;
  }

  #find(canonical: string): MemoryNode | undefined {
    const remembered = this.#remembered(canonical);
    if (remembered !== undefined) return remembered;
    const known = this.#byPath.get(canonical);
    if (known !== undefined) {
      this.#otherPath = this.#foundPath;
      this.#otherNode = this.#foundNode;
      this.#foundPath = canonical;
      this.#foundNode = known;
      return known;
    }
    let node: MemoryNode | undefined = this.#root;
    let start = 1;
    while (start < canonical.length) {
      let end = canonical.indexOf('/', start);
      if (end === -1) end = canonical.length;
      const child: MemoryNode | undefined = node.children?.get(canonical.slice(start, end));
      if (child === undefined) {
        if (end === canonical.length) {
          this.#missedPath = canonical;
          this.#missedParent = node;
        }
        return undefined;
      }
      node = child;
      start = end + 1;
    }
    this.#byPath.set(canonical, node);
    return node;
  }

  /** Creates the node at a canonical path that has none, and any missing ancestors. */
  #create(canonical: string): MemoryNode {
    if (canonical === this.#missedPath && this.#missedParent !== undefined) {
      const parent = this.#missedParent;
      this.#missedParent = undefined;
      const node: MemoryNode = { value: MISSING, children: undefined };
      parent.children ??= new Map();
      parent.children.set(canonical.slice(canonical.lastIndexOf('/') + 1), node);
      return node;
    }
    let node = this.#root;
    let start = 1;
    while (start < canonical.length) {
      let end = canonical.indexOf('/', start);
      if (end === -1) end = canonical.length;
      const name = canonical.slice(start, end);
      node.children ??= new Map();
      let child = node.children.get(name);
      if (child === undefined) {
        child = { value: MISSING, children: undefined };
        node.children.set(name, child);
      }
      node = child;
      start = end + 1;
    }
    return node;
  }

  #forgetSubtree(path: string, node: MemoryNode): void {
    this.#byPath.delete(path);
    if (node.children === undefined) return;
    // A list rather than recursion: paths may be deeper than the call stack (S134).
    const pending: [string, MemoryNode][] = [[path, node]];
    while (pending.length > 0) {
      const [parentPath, parent] = pending.pop()!;
      for (const [name, child] of parent.children!) {
        const childPath = parentPath + '/' + name;
        this.#byPath.delete(childPath);
        if (child.children !== undefined) pending.push([childPath, child]);
      }
    }
  }
}

function nodeExists(node: MemoryNode): boolean {
  return node.value !== MISSING || node.children !== undefined;
}

/** How many levels of a parent read are built by recursion, the fastest way, before a list takes over. */
const RECURSION_LIMIT = 256;

function readNode(node: MemoryNode, levelsLeft = RECURSION_LIMIT): unknown {
  if (node.children === undefined) return node.value;
  if (levelsLeft === 0) return readDeepNode(node);
  const result: Record<string, unknown> = {};
  if (node.value !== MISSING) result[OWN_VALUE_KEY] = node.value;
  for (const name of [...node.children.keys()].sort(compareNames)) {
    setKey(result, name, readNode(node.children.get(name)!, levelsLeft - 1));
  }
  return result;
}

/** readNode for a node with children, with the objects still to fill on a list: paths may be deeper than the stack (S134). */
function readDeepNode(top: MemoryNode): Record<string, unknown> {
  const topResult: Record<string, unknown> = {};
  const pending: [MemoryNode, Record<string, unknown>][] = [[top, topResult]];
  while (pending.length > 0) {
    const [node, result] = pending.pop()!;
    if (node.value !== MISSING) result[OWN_VALUE_KEY] = node.value;
    for (const name of [...node.children!.keys()].sort(compareNames)) {
      const child = node.children!.get(name)!;
      if (child.children === undefined) {
        setKey(result, name, child.value);
      } else {
        // The key goes in now, in order; the object is filled when its turn comes.
        const childResult: Record<string, unknown> = {};
        setKey(result, name, childResult);
        pending.push([child, childResult]);
      }
    }
  }
  return topResult;
}

// Plain assignment to "__proto__" would replace the prototype instead of adding a key.
function setKey(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}
