import { RestateMountError, RestateValueError } from '../errors';
import { childOf, isAtOrBelow, relativeTo, resolveConcretePath } from '../path';
import type { PathLike } from '../path';
import { MISSING, compareNames } from '../values';
import type { AnyBackend, AsyncBackend, Backend } from './backend';
import {
  assembleRead,
  deleteStep,
  listStep,
  readStep,
  readTolerantStep,
  refusalOfAsync,
  splitRead,
  writeStep,
} from './drive';
import type { Steps } from './drive';
import { runAsync, runSync } from '../drive';

const COMPONENT = 'hybrid';
const REFUSE_ASYNC = refusalOfAsync(COMPONENT);

/** A backend mounted at a path of a hybrid backend's tree, as `mounts()` lists it. */
export interface Mount<B> {
  /** The mount path. */
  readonly path: string;
  /** The backend that holds the subtree. */
  readonly backend: B;
}

/** Where an operation on a path goes (S102): the owning backend and the path as that backend sees it. */
export interface ResolvedMount<B> {
  /** The backend that holds the path. */
  readonly backend: B;
  /** Where that backend is mounted. */
  readonly mountPath: string;
  /** The path inside that backend. */
  readonly relativePath: string;
}

/**
 * The mount table and the algorithms of S100–S105, written once as step generators. The sync and async
 * classes only differ in how they drive the steps.
 */
class HybridCore<B extends AnyBackend> {
  /** Longest path first, so the first mount at or above a path is its owner; the root mount is last. */
  #mounts: Mount<B>[];

  constructor(root: B) {
    this.#mounts = [{ path: '/', backend: root }];
  }

  mount(path: PathLike, backend: B): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (canonical === '/') {
      throw new RestateMountError(canonical, 'cannot mount at /: the root backend is given to the constructor');
    }
    if (this.#mounts.some((m) => m.path === canonical)) {
      throw new RestateMountError(canonical, `cannot mount at ${canonical}: a backend is already mounted there; unmount it first`);
    }
    this.#mounts = [...this.#mounts, { path: canonical, backend }].sort(
      (a, b) => b.path.length - a.path.length || compareNames(a.path, b.path),
    );
  }

  unmount(path: PathLike): B | undefined {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (canonical === '/') throw new RestateMountError(canonical, 'cannot unmount /: the root backend stays mounted');
    const found = this.#mounts.find((m) => m.path === canonical);
    if (found === undefined) return undefined;
    this.#mounts = this.#mounts.filter((m) => m !== found);
    return found.backend;
  }

  mounts(): Mount<B>[] {
    return this.#mounts.map((m) => ({ path: m.path, backend: m.backend }));
  }

  resolve(canonical: string): ResolvedMount<B> {
    for (const m of this.#mounts) {
      if (isAtOrBelow(canonical, m.path)) {
        return { backend: m.backend, mountPath: m.path, relativePath: relativeTo(canonical, m.path) };
      }
    }
    throw new RestateMountError(canonical, `no backend owns ${canonical}`);
  }

  /** The logical node's read; `tolerant` reads each backend for an old value (S131, Backend.readTolerant). */
  *read(path: PathLike, tolerant: boolean): Steps<unknown> {
    return yield* this.#readNode(resolveConcretePath(path, COMPONENT), undefined, tolerant);
  }

  *listChildren(path: PathLike): Steps<string[]> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const owner = this.resolve(canonical);
    const ownerNames = yield* listStep(owner.backend, owner.relativePath);
    const below = this.#mountsBelow(canonical);
    if (below.length === 0) return ownerNames;
    const listed = new Set(ownerNames);
    const names: string[] = [];
    for (const name of unionNames(ownerNames, canonical, below)) {
      const childPath = childOf(canonical, name);
      if (!below.some((m) => isAtOrBelow(m.path, childPath))) {
        names.push(name);
      } else if (yield* this.#exists(childPath, listed.has(name) && !isMountPoint(below, childPath))) {
        names.push(name);
      }
    }
    return names.sort(compareNames);
  }

  *write(path: PathLike, value: unknown): Steps<void> {
    const canonical = resolveConcretePath(path, COMPONENT);
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, canonical, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${canonical}: delete the path instead`);
    }
    const owner = this.resolve(canonical);
    yield* writeStep(owner.backend, owner.relativePath, value);
  }

  /** Deletes in the owner and clears every mount at or below the path; the mounts stay (S104). */
  *delete(path: PathLike): Steps<void> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const owner = this.resolve(canonical);
    yield* deleteStep(owner.backend, owner.relativePath);
    for (const m of this.#mountsBelow(canonical)) yield* deleteStep(m.backend, '/');
  }

  /** Mounts strictly below `canonical`: the points where the owner's data is replaced. */
  #mountsBelow(canonical: string): Mount<B>[] {
    return this.#mounts.filter((m) => m.path !== canonical && isAtOrBelow(m.path, canonical));
  }

  /**
   * The logical node at `canonical` (S103). `known` is the owner's read of it when the caller already has it
   * from a parent read, to avoid reading the same subtree twice.
   */
  *#readNode(canonical: string, known: { value: unknown } | undefined, tolerant: boolean): Steps<unknown> {
    const owner = this.resolve(canonical);
    const below = this.#mountsBelow(canonical);
    const read = tolerant ? readTolerantStep : readStep;
    if (below.length === 0) return known !== undefined ? known.value : yield* read(owner.backend, owner.relativePath);
    const ownerNames = yield* listStep(owner.backend, owner.relativePath);
    const ownerRead = known !== undefined ? known.value : yield* read(owner.backend, owner.relativePath);
    const { own, children: ownerChildren } = splitRead(ownerRead, ownerNames);
    const children: [string, unknown][] = [];
    for (const name of unionNames(ownerNames, canonical, below)) {
      const childPath = childOf(canonical, name);
      let value: unknown;
      if (below.some((m) => isAtOrBelow(m.path, childPath))) {
        const ownerKnows = ownerChildren.has(name) && !isMountPoint(below, childPath);
        value = yield* this.#readNode(childPath, ownerKnows ? { value: ownerChildren.get(name) } : undefined, tolerant);
      } else {
        value = ownerChildren.has(name) ? ownerChildren.get(name) : MISSING;
      }
      if (value !== MISSING) children.push([name, value]);
    }
    return assembleRead(own, children);
  }

  /**
   * Whether the logical node exists, reading values only when nothing else decides it. `ownerListsIt` says
   * the parent's owner (which is this node's owner) lists it, so a childless node there has a value.
   */
  *#exists(canonical: string, ownerListsIt: boolean): Steps<boolean> {
    const owner = this.resolve(canonical);
    const below = this.#mountsBelow(canonical);
    const ownerNames = yield* listStep(owner.backend, owner.relativePath);
    const listed = new Set(ownerNames);
    for (const name of ownerNames) {
      if (!below.some((m) => isAtOrBelow(m.path, childOf(canonical, name)))) return true;
    }
    for (const name of unionNames(ownerNames, canonical, below)) {
      const childPath = childOf(canonical, name);
      if (!below.some((m) => isAtOrBelow(m.path, childPath))) continue;
      if (yield* this.#exists(childPath, listed.has(name) && !isMountPoint(below, childPath))) return true;
    }
    if (ownerNames.length === 0 && ownerListsIt) return true;
    const ownerRead = yield* readStep(owner.backend, owner.relativePath);
    return splitRead(ownerRead, ownerNames).own !== MISSING;
  }
}

function isMountPoint(mounts: readonly Mount<unknown>[], canonical: string): boolean {
  return mounts.some((m) => m.path === canonical);
}

/** The owner's child names plus the first segment of the way down to every mount below `canonical`. */
function unionNames(ownerNames: readonly string[], canonical: string, below: readonly Mount<unknown>[]): string[] {
  const names = new Set(ownerNames);
  const offset = canonical === '/' ? 1 : canonical.length + 1;
  for (const m of below) {
    const end = m.path.indexOf('/', offset);
    names.add(m.path.slice(offset, end === -1 ? undefined : end));
  }
  return [...names];
}

/**
 * Mounts synchronous backends into one tree (S100–S105). Operations go to the mount with the longest path at
 * or above them, re-rooted; parent reads and listChildren show mounted subtrees in place of the owner's data.
 */
export class HybridSyncBackend implements Backend {
  readonly #core: HybridCore<Backend>;

  constructor(root: Backend) {
    this.#core = new HybridCore(root);
  }

  /**
   * Runs `step` under the lock of the backend that owns `path`, for `update` (S129): a mounted file backend
   * excludes other `update` calls of the node, in any process, as it does when used alone. A backend
   * without `exclusive` runs `step` as it is.
   */
  exclusive<T>(path: string, step: () => T): T {
    const owner = this.#core.resolve(resolveConcretePath(path, COMPONENT));
    const backend = owner.backend as Partial<{ exclusive(path: string, step: () => T): T }>;
    return typeof backend.exclusive === 'function' ? backend.exclusive(owner.relativePath, step) : step();
  }

  /** Mounts `backend` at `path`; mounts may nest. Mounting at `/` or at a taken path throws a RestateMountError. */
  mount(path: PathLike, backend: Backend): void {
    this.#core.mount(path, backend);
  }

  /** Removes the mount at `path` and returns its backend, or `undefined` if nothing is mounted there. */
  unmount(path: PathLike): Backend | undefined {
    return this.#core.unmount(path);
  }

  /** Every mount, the root backend at `/` included, longest path first. */
  mounts(): Mount<Backend>[] {
    return this.#core.mounts();
  }

  /** The backend that owns `path` and the path as it sees it. */
  resolve(path: PathLike): ResolvedMount<Backend> {
    return this.#core.resolve(resolveConcretePath(path, COMPONENT));
  }

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    const value = runSync(this.#core.read(path, false), REFUSE_ASYNC);
    return value === MISSING ? (arguments.length < 2 ? MISSING : dflt) : value;
  }

  /** A read in which each mounted backend's unparsable values are UnreadableValues (S131); MISSING for a missing node. */
  readTolerant(path: string): unknown {
    return runSync(this.#core.read(path, true), REFUSE_ASYNC);
  }

  write(path: string, value: unknown): void {
    runSync(this.#core.write(path, value), REFUSE_ASYNC);
  }

  delete(path: string): void {
    runSync(this.#core.delete(path), REFUSE_ASYNC);
  }

  listChildren(path: string): string[] {
    return runSync(this.#core.listChildren(path), REFUSE_ASYNC);
  }
}

/** The asynchronous hybrid: the same rules as HybridSyncBackend; mounted backends may be of either kind. */
export class HybridAsyncBackend implements AsyncBackend {
  readonly #core: HybridCore<AnyBackend>;

  constructor(root: AnyBackend) {
    this.#core = new HybridCore<AnyBackend>(root);
  }

  /** Runs `step` under the lock of the backend that owns `path`, as HybridSyncBackend.exclusive does (S129). */
  exclusive<T>(path: string, step: () => Promise<T>): Promise<T> {
    const owner = this.#core.resolve(resolveConcretePath(path, COMPONENT));
    const backend = owner.backend as Partial<{ exclusive(path: string, step: () => Promise<T>): Promise<T> }>;
    return typeof backend.exclusive === 'function' ? backend.exclusive(owner.relativePath, step) : step();
  }

  /** Mounts `backend` at `path`; mounts may nest. Mounting at `/` or at a taken path throws a RestateMountError. */
  mount(path: PathLike, backend: AnyBackend): void {
    this.#core.mount(path, backend);
  }

  /** Removes the mount at `path` and returns its backend, or `undefined` if nothing is mounted there. */
  unmount(path: PathLike): AnyBackend | undefined {
    return this.#core.unmount(path);
  }

  /** Every mount, the root backend at `/` included, longest path first. */
  mounts(): Mount<AnyBackend>[] {
    return this.#core.mounts();
  }

  /** The backend that owns `path` and the path as it sees it. */
  resolve(path: PathLike): ResolvedMount<AnyBackend> {
    return this.#core.resolve(resolveConcretePath(path, COMPONENT));
  }

  async read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown> {
    const useDefault = arguments.length >= 2;
    const value = await runAsync(this.#core.read(path, false));
    return value === MISSING ? (useDefault ? dflt : MISSING) : value;
  }

  /** A read in which each mounted backend's unparsable values are UnreadableValues (S131); MISSING for a missing node. */
  async readTolerant(path: string): Promise<unknown> {
    return runAsync(this.#core.read(path, true));
  }

  async write(path: string, value: unknown): Promise<void> {
    await runAsync(this.#core.write(path, value));
  }

  async delete(path: string): Promise<void> {
    await runAsync(this.#core.delete(path));
  }

  async listChildren(path: string): Promise<string[]> {
    return runAsync(this.#core.listChildren(path));
  }
}
