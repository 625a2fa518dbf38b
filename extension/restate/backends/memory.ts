import { RestateValueError } from '../errors';
import { ConcretePaths } from '../path';
import { MISSING, OWN_VALUE_KEY, compareNames } from '../values';
import type { Backend, ValueHandle } from './backend';

const COMPONENT = 'memory';

/**
 * A node kept as an object: the root, a node with children, a leaf whose value is an object, and a leaf
 * that a lookup by path or a handle holds on to. Any other leaf is stored bare, as its value in its
 * parent's `children`, so that it costs one map entry and its name: telling the two apart is then a
 * `typeof`, since a node is the only object a map of children holds.
 */
class MemoryNode {
  /** MISSING when the node only holds children (S80). */
  value: unknown;
  children: Map<string, unknown> | undefined;

  constructor(value: unknown, children: Map<string, unknown> | undefined) {
    this.value = value;
    this.children = children;
  }
}

/** Whether an entry of a map of children is a node rather than a bare leaf's value. */
function isNode(child: unknown): child is MemoryNode {
  return typeof child === 'object' && child !== null;
}

/** What a leaf holding `value` is stored as in its parent's map. */
function leafEntry(value: unknown): unknown {
  return isNode(value) ? new MemoryNode(value, undefined) : value;
}

/**
 * Keeps the tree in memory (S79–S80). Own values are stored by reference (S19); parent reads are built
 * fresh. A leaf operation costs O(depth) at most, and usually one hash lookup.
 */
export class InMemoryBackend implements Backend {
  readonly #root = new MemoryNode(MISSING, undefined);
  /**
   * Nodes that have been looked up, by canonical path. Callers tend to pass the same path strings again,
   * whose hashes V8 keeps, so one lookup here beats hashing each segment on the way down. Nodes enter on
   * their first read rather than on creation (a parent when a child of it is looked up), so writing many
   * new leaves does not pay for a large index, nor for a node object per leaf: a bare leaf is made a node
   * when it is first found.
   */
  readonly #byPath = new Map<string, MemoryNode>([['/', this.#root]]);
  /**
   * Where the last lookup of a missing path stopped: its parent, when that exists, and its name. A
   * controller reads a path before writing it, so creating a new leaf can start there instead of at the
   * root. Any write that may add children, and any delete, forgets it.
   */
  #missedPath = '';
  #missedParent: MemoryNode | undefined;
  #missedName = '';
  /** The last parent found by its path for a child missing from the index (see #parentAt). Deletes forget it. */
  #parentPath = '';
  #parentNode: MemoryNode | undefined;
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
    const known = this.#remembered(canonical);
    if (known !== undefined) {
      known.value = value;
      return;
    }
    const parent = this.#missedParent;
    if (parent !== undefined && canonical === this.#missedPath) {
      // The read just before found no such child: it can be added without looking for it again.
      this.#missedParent = undefined;
      parent.children ??= new Map();
      parent.children.set(this.#missedName, leafEntry(value));
      return;
    }
    const indexed = this.#byPath.get(canonical);
    if (indexed !== undefined) indexed.value = value;
    else this.#writeNew(canonical, value);
  }

  delete(path: string): void {
    this.#deletes++;
    this.#deleteNode(this.paths.resolve(path, COMPONENT));
    // A delete may have detached the remembered nodes from the tree.
    this.#missedParent = undefined;
    this.#parentNode = undefined;
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
    const slash = canonical.lastIndexOf('/');
    const parentPath = slash === 0 ? '/' : canonical.slice(0, slash);
    const name = canonical.slice(slash + 1);
    const child = this.#find(parentPath)?.children?.get(name);
    if (child === undefined) return;
    if (isNode(child)) this.#forgetSubtree(canonical, child);
    // Unlink the node, then every ancestor left with neither a value nor children (S80).
    let childPath = canonical;
    while (childPath !== '/') {
      const at = childPath.lastIndexOf('/');
      const ancestorPath = at === 0 ? '/' : childPath.slice(0, at);
      const ancestor = this.#find(ancestorPath)!;
      ancestor.children!.delete(childPath.slice(at + 1));
      if (ancestor.children!.size === 0) ancestor.children = undefined;
      if (ancestorPath === '/' || nodeExists(ancestor)) break;
      this.#byPath.delete(ancestorPath);
      childPath = ancestorPath;
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

  #remember(canonical: string, node: MemoryNode): void {
    this.#otherPath = this.#foundPath;
    this.#otherNode = this.#foundNode;
    this.#foundPath = canonical;
    this.#foundNode = node;
  }

  /** The node at a canonical path; a bare leaf found there is made a node first, and indexed. */
  #find(canonical: string): MemoryNode | undefined {
    const remembered = this.#remembered(canonical);
    if (remembered !== undefined) return remembered;
    const known = this.#byPath.get(canonical);
    if (known !== undefined) {
      this.#remember(canonical, known);
      return known;
    }
    if (canonical === '/') return this.#root;
    const slash = canonical.lastIndexOf('/');
    const parent = this.#parentAt(canonical, slash);
    if (parent === undefined) return undefined;
    const name = canonical.slice(slash + 1);
    const child = parent.children?.get(name);
    if (child === undefined) {
      this.#missedPath = canonical;
      this.#missedParent = parent;
      this.#missedName = name;
      return undefined;
    }
    let node: MemoryNode;
    if (isNode(child)) {
      node = child;
    } else {
      node = new MemoryNode(child, undefined);
      parent.children!.set(name, node);
    }
    this.#byPath.set(canonical, node);
    return node;
  }

  /**
   * The parent of the node at a canonical path other than the root, whose last slash is at `slash`.
   * Siblings tend to be used one after the other, so the last parent found is checked first, with no
   * string made; then the index, then the tree from the root.
   */
  #parentAt(canonical: string, slash: number): MemoryNode | undefined {
    if (slash === 0) return this.#root;
    const lastPath = this.#parentPath;
    if (slash === lastPath.length && this.#parentNode !== undefined && canonical.startsWith(lastPath)) return this.#parentNode;
    const parentPath = canonical.slice(0, slash);
    const parent = this.#byPath.get(parentPath) ?? this.#walk(parentPath);
    if (parent !== undefined) {
      this.#parentPath = parentPath;
      this.#parentNode = parent;
    }
    return parent;
  }

  /** The node at a canonical path, found from the root and then indexed; none for a bare leaf. */
  #walk(canonical: string): MemoryNode | undefined {
    let node = this.#root;
    let start = 1;
    while (start < canonical.length) {
      let end = canonical.indexOf('/', start);
      if (end === -1) end = canonical.length;
      const child = node.children?.get(canonical.slice(start, end));
      if (!isNode(child)) return undefined;
      node = child;
      start = end + 1;
    }
    this.#byPath.set(canonical, node);
    return node;
  }

  /** Writes a canonical path that may not exist yet, creating its missing ancestors. */
  #writeNew(canonical: string, value: unknown): void {
    // The parent a missed read remembers may be about to gain this child, or lose its place to a new node.
    this.#missedParent = undefined;
    const slash = canonical.lastIndexOf('/');
    const parent = this.#parentAt(canonical, slash);
    if (parent !== undefined) {
      const name = canonical.slice(slash + 1);
      parent.children ??= new Map();
      const child = parent.children.get(name);
      if (isNode(child)) child.value = value;
      else parent.children.set(name, leafEntry(value));
      return;
    }
    let node = this.#root;
    let start = 1;
    for (;;) {
      let end = canonical.indexOf('/', start);
      if (end === -1) end = canonical.length;
      const name = canonical.slice(start, end);
      node.children ??= new Map();
      const child = node.children.get(name);
      if (end === canonical.length) {
        if (isNode(child)) child.value = value;
        else node.children.set(name, leafEntry(value));
        return;
      }
      let next: MemoryNode;
      if (isNode(child)) {
        next = child;
      } else {
        // A missing ancestor, or a bare leaf that is about to have a child.
        next = new MemoryNode(child === undefined ? MISSING : child, undefined);
        node.children.set(name, next);
      }
      node = next;
      start = end + 1;
    }
  }

  #forgetSubtree(path: string, node: MemoryNode): void {
    this.#byPath.delete(path);
    if (node.children === undefined) return;
    // A list rather than recursion: paths may be deeper than the call stack (S134).
    const pending: [string, MemoryNode][] = [[path, node]];
    while (pending.length > 0) {
      const [parentPath, parent] = pending.pop()!;
      for (const [name, child] of parent.children!) {
        // Bare leaves are never indexed.
        if (!isNode(child)) continue;
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
    const child = node.children.get(name);
    setKey(result, name, isNode(child) ? readNode(child, levelsLeft - 1) : child);
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
      const child = node.children!.get(name);
      if (!isNode(child)) {
        setKey(result, name, child);
      } else if (child.children === undefined) {
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
