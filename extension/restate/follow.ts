import type { AnyBackend, BackendChange, ValueHandle } from './backends/backend';
import { isThenable } from './drive';
import { childOf, isAtOrBelow, parentOf, resolveConcretePath, splitPath } from './path';
import type { TraceHub } from './trace';
import { MISSING, OWN_VALUE_KEY, deepEqual, isPlainObject } from './values';

/**
 * What Knowledge needs of the controller's SubscriptionIndex: which paths have subscribers, and whether
 * that changed. Declared here so that following a backend stays below the controller's core.
 */
export interface SubscribedPaths {
  readonly version: number;
  deliveryList(level: string): readonly unknown[];
  relativePatternsBelow(path: string): readonly (readonly string[])[];
}

/** What a follower needs of its controller: reads, notifyChange, its subscriptions and its trace. */
export interface FollowTarget {
  read(path: string): unknown;
  notifyChange(path: string, change: { prevValue: unknown; newValue: unknown; cause: 'remote' }): unknown;
  readonly subscriptions: SubscribedPaths;
  readonly trace: TraceHub;
}

/** How many paths' coverage Knowledge remembers before it starts again. */
const MAX_CACHED_PATHS = 10_000;

/** A lookup in Knowledge that found nothing the controller read or was told about the path. */
export const UNKNOWN: unique symbol = Symbol('restate.unknown');

interface KnownNode {
  /** Whether `value` holds the path's read as last known (MISSING for a node known to be missing). */
  has: boolean;
  value: unknown;
  children: Map<string, KnownNode> | undefined;
}

function newKnownNode(): KnownNode {
  return { has: false, value: undefined, children: undefined };
}

/**
 * What a controller last read, wrote or was told about the paths it serves (S127, S128): its subscribed
 * paths, the concrete subtrees above their wildcards, and the sources of its derivations and trackers (all
 * of which are subscriptions). A remote change's old value and a resync's comparison come from here.
 *
 * Values are kept per path, as reads: a deeper entry is more recent than what an ancestor's entry holds for
 * it, and a lookup lays the deeper entries over the ancestor's. Values are never mutated: lookups copy.
 */
export class Knowledge {
  readonly #index: () => SubscribedPaths;
  #root: KnownNode = newKnownNode();
  #version = -1;
  #patterns: string[] = [];
  #servedRoots = new Set<string>();
  /** The trie's nodes by path, and whether paths are covered: the wrapper asks on every backend call. */
  readonly #nodes = new Map<string, KnownNode>();
  readonly #coverage = new Map<string, boolean>();

  /** `subscriptions` gives the controller's index once it exists (the backend it wraps comes first). */
  constructor(subscriptions: () => SubscribedPaths) {
    this.#index = subscriptions;
  }

  /** The subscribed paths and patterns, canonical. */
  get patterns(): readonly string[] {
    this.#refresh();
    return this.#patterns;
  }

  /** The concrete paths whose subtrees hold every served path: each pattern up to its first wildcard, none inside another. */
  get roots(): readonly string[] {
    this.#refresh();
    return [...this.#servedRoots];
  }

  /** Whether `path` lies in a served subtree. */
  covers(path: string): boolean {
    this.#refresh();
    return this.#covered(path);
  }

  #covered(path: string): boolean {
    const roots = this.#servedRoots;
    if (roots.size === 0) return false;
    const cached = this.#coverage.get(path);
    if (cached !== undefined) return cached;
    let covered = false;
    for (let current = path; ; current = parentOf(current)) {
      if (roots.has(current)) {
        covered = true;
        break;
      }
      if (current === '/') break;
    }
    if (this.#coverage.size >= MAX_CACHED_PATHS) this.#coverage.clear();
    this.#coverage.set(path, covered);
    return covered;
  }

  /** Drops what was known below `node`, which now holds the whole read of `path`. */
  #dropBelow(path: string, node: KnownNode): void {
    if (node.children === undefined) return;
    node.children = undefined;
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const known of this.#nodes.keys()) if (known.startsWith(prefix) && known !== path) this.#nodes.delete(known);
  }

  /** The controller read `value` (MISSING for missing) at `path`. */
  read(path: string, value: unknown): void {
    if (!this.covers(path)) return;
    const node = this.#node(path);
    node.has = true;
    node.value = value;
    this.#dropBelow(path, node);
  }

  /** The node's own value became `own` (children stay). */
  wrote(path: string, own: unknown): void {
    if (!this.covers(path)) return;
    const node = this.#node(path);
    const prior = node.has ? node.value : lookupIn(this.#root, path);
    // A read that holds "/" is a node with children (S10): only the own value changes.
    node.value = isPlainObject(prior) && Object.hasOwn(prior, OWN_VALUE_KEY) ? { ...prior, [OWN_VALUE_KEY]: own } : own;
    node.has = true;
  }

  /** The node and its subtree were deleted. */
  deleted(path: string): void {
    this.#refresh();
    if (this.#covered(path)) {
      const node = this.#node(path);
      node.has = true;
      node.value = MISSING;
      this.#dropBelow(path, node);
      return;
    }
    for (const root of this.#servedRoots) {
      if (!isAtOrBelow(root, path)) continue;
      const node = this.#node(root);
      node.has = true;
      node.value = MISSING;
      this.#dropBelow(root, node);
    }
  }

  /** What the controller knows `path` reads (MISSING for a node it knows is missing), or UNKNOWN. */
  lookup(path: string): unknown {
    this.#refresh();
    return lookupIn(this.#root, path);
  }

  /** Walks to (creating) the node of `path`. */
  #node(path: string): KnownNode {
    const known = this.#nodes.get(path);
    if (known !== undefined) return known;
    let node = this.#root;
    for (const segment of splitPath(path)) {
      let child = node.children?.get(segment);
      if (child === undefined) {
        child = newKnownNode();
        (node.children ??= new Map()).set(segment, child);
      }
      node = child;
    }
    this.#nodes.set(path, node);
    return node;
  }

  /** Recomputes the served roots when the subscriptions changed, keeping only what lies under them. */
  #refresh(): void {
    const subscriptions = this.#index();
    if (subscriptions.version === this.#version) return;
    this.#version = subscriptions.version;
    const patterns: string[] = [];
    if (subscriptions.deliveryList('/').length > 0) patterns.push('/');
    for (const relative of subscriptions.relativePatternsBelow('/')) patterns.push(`/${relative.join('/')}`);
    this.#patterns = patterns;
    const prefixes = patterns.map(concretePrefix).sort((a, b) => splitPath(a).length - splitPath(b).length);
    const roots = new Set<string>();
    for (const prefix of prefixes) {
      if (![...roots].some((root) => isAtOrBelow(prefix, root))) roots.add(prefix);
    }
    const unchanged = roots.size === this.#servedRoots.size && [...roots].every((root) => this.#servedRoots.has(root));
    if (unchanged) return;
    // What is known of each new root, taken before the rest is dropped.
    const kept = [...roots].map((root) => [root, lookupIn(this.#root, root)] as const);
    this.#servedRoots = roots;
    this.#root = newKnownNode();
    this.#nodes.clear();
    this.#coverage.clear();
    for (const [root, value] of kept) {
      if (value === UNKNOWN) continue;
      const node = this.#node(root);
      node.has = true;
      node.value = value;
    }
  }
}

/** Knowledge.lookup on a trie, without touching the served roots. */
function lookupIn(root: KnownNode, path: string): unknown {
  const segments = splitPath(path);
  let node: KnownNode | undefined = root;
  let base: unknown = root.has ? root.value : UNKNOWN;
  let baseDepth = 0;
  let depth = 0;
  for (const segment of segments) {
    node = node.children?.get(segment);
    if (node === undefined) break;
    depth++;
    if (node.has) {
      base = node.value;
      baseDepth = depth;
    }
  }
  const reached = depth === segments.length ? node : undefined;
  let value: unknown;
  if (reached !== undefined && reached.has) value = reached.value;
  else if (base === UNKNOWN) value = UNKNOWN;
  else value = valueAt(base, segments.slice(baseDepth));
  return reached === undefined ? value : overlay(value, reached);
}

/** Lays the entries below `node` over `value` (UNKNOWN when nothing is known of the node itself). */
function overlay(value: unknown, node: KnownNode): unknown {
  if (node.children === undefined) return value;
  let result = value;
  for (const [name, child] of node.children) {
    const childValue = child.has ? overlay(child.value, child) : overlay(result === UNKNOWN ? UNKNOWN : valueAt(result, [name]), child);
    if (childValue === UNKNOWN) continue;
    result = withChild(result === UNKNOWN ? MISSING : result, name, childValue);
  }
  return result;
}

/** The read of the node `segments` below a node that reads `value` (S10), or MISSING. */
export function valueAt(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return MISSING;
    current = current[segment];
  }
  return current;
}

/** A copy of the read `value` with child `name` reading `child` (MISSING removes it), as S10 would read it. */
function withChild(value: unknown, name: string, child: unknown): unknown {
  let container: Record<string, unknown>;
  if (value === MISSING) container = {};
  else if (isPlainObject(value)) container = { ...value };
  else container = { [OWN_VALUE_KEY]: value };
  if (child === MISSING) delete container[name];
  else container[name] = child;
  const keys = Object.keys(container);
  if (keys.length === 0) return MISSING;
  if (keys.length === 1 && keys[0] === OWN_VALUE_KEY) return container[OWN_VALUE_KEY];
  return container;
}

/** A copy of `value` with the node `segments` below it reading `child` (MISSING removes it). */
export function withValueAt(value: unknown, segments: readonly string[], child: unknown): unknown {
  if (segments.length === 0) return child;
  const [name, ...rest] = segments;
  const current = isPlainObject(value) && Object.hasOwn(value, name) ? value[name] : MISSING;
  return withChild(value, name, withValueAt(current, rest, child));
}

/** A pattern up to its first wildcard. */
function concretePrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  if (star === -1) return pattern;
  return parentOf(pattern.slice(0, star) + 'x');
}

/** Child names of a read (S10): the keys but "/" of a plain object. */
function childNames(value: unknown): string[] {
  return isPlainObject(value) ? Object.keys(value).filter((key) => key !== OWN_VALUE_KEY) : [];
}

/**
 * The backend as the controller uses it, telling `knowledge` what the controller reads, writes and deletes.
 * The methods `update` uses (versioned reads and writes, `exclusive`) are passed through as well.
 */
export function knowingBackend<B extends AnyBackend>(backend: B, knowledge: Knowledge): B {
  const inner = backend as AnyBackend & {
    readVersioned?(path: string): unknown;
    writeIfVersion?(path: string, value: unknown, version: string): unknown;
    exclusive?(path: string, step: () => unknown): unknown;
  };
  const after = <T>(result: T, record: (settled: Awaited<T>) => void): T => {
    if (isThenable(result)) return (result as unknown as PromiseLike<Awaited<T>>).then((settled) => {
      record(settled);
      return settled;
    }) as unknown as T;
    record(result as Awaited<T>);
    return result;
  };
  const wrapped: Record<string, unknown> = {
    read(path: string, ...rest: unknown[]): unknown {
      const result = rest.length === 0 ? inner.read(path) : inner.read(path, rest[0]);
      // Only a read that reports a missing node as MISSING says what the node holds.
      if (rest.length === 0 || rest[0] === MISSING) return after(result, (value) => knowledge.read(path, value));
      return result;
    },
    write(path: string, value: unknown): unknown {
      return after(inner.write(path, value), () => knowledge.wrote(path, value));
    },
    delete(path: string): unknown {
      return after(inner.delete(path), () => knowledge.deleted(path));
    },
  };
  if (typeof inner.listChildren === 'function') wrapped.listChildren = inner.listChildren.bind(inner);
  if (typeof inner.readTolerant === 'function') wrapped.readTolerant = inner.readTolerant.bind(inner);
  if (typeof inner.watch === 'function') wrapped.watch = inner.watch.bind(inner);
  if (typeof inner.exclusive === 'function') wrapped.exclusive = inner.exclusive.bind(inner);
  const handle = (inner as { handle?(path: string): ValueHandle }).handle;
  if (typeof handle === 'function') {
    wrapped.handle = (path: string): ValueHandle => {
      const target = handle.call(inner, path);
      return {
        read: () => {
          const value = target.read();
          knowledge.read(path, value);
          return value;
        },
        write: (value: unknown) => {
          target.write(value);
          knowledge.wrote(path, value);
        },
      };
    };
  }
  if (typeof inner.readVersioned === 'function' && typeof inner.writeIfVersion === 'function') {
    const readVersioned = inner.readVersioned.bind(inner);
    const writeIfVersion = inner.writeIfVersion.bind(inner);
    wrapped.readVersioned = (path: string): unknown =>
      after(readVersioned(path), (read) => knowledge.read(path, (read as { value: unknown }).value));
    wrapped.writeIfVersion = (path: string, value: unknown, version: string): unknown =>
      after(writeIfVersion(path, value, version), (written) => {
        if (written !== true) return;
        if (value === undefined) knowledge.deleted(path);
        else knowledge.wrote(path, value);
      });
  }
  return wrapped as unknown as B;
}

/**
 * Turns a backend's reports of others' changes into the controller's notifications, with cause `remote`
 * (S127): the old value is the one the controller knew (Knowledge), else the one the report carries. A
 * resync (S128) reads every served subtree again and notifies what differs from what the controller knew.
 * Reports are handled one at a time, in the order they came, whether the controller is synchronous or not;
 * a failure (a callback that threw) goes to `onError`, since no caller is there to receive it.
 */
export class BackendFollower {
  readonly #target: FollowTarget;
  readonly #knowledge: Knowledge;
  readonly #onError: (error: unknown, change: BackendChange) => void;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(target: FollowTarget, knowledge: Knowledge, onError: (error: unknown, change: BackendChange) => void) {
    this.#target = target;
    this.#knowledge = knowledge;
    this.#onError = onError;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Takes one report; for a test or a caller that wants to wait, returns when it has been delivered. */
  take(change: BackendChange): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#stopped) return;
      try {
        await this.#deliver(change);
      } catch (error) {
        this.#onError(error, change);
      }
    });
    return this.#queue;
  }

  /** Resolves once every report taken so far has been delivered. */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #deliver(change: BackendChange): Promise<void> {
    const target = this.#target;
    const knowledge = this.#knowledge;
    const path = resolveConcretePath(change.path, 'controller');
    if (change.kind === 'resync') {
      await this.#resync(path);
      return;
    }
    const prevValue = oldValue(knowledge.lookup(path), change);
    if (change.kind === 'delete') {
      knowledge.deleted(path);
      await target.notifyChange(path, { prevValue, newValue: undefined, cause: 'remote' });
      return;
    }
    let newValue = 'value' in change ? change.value : MISSING;
    if (newValue === MISSING || newValue === undefined) {
      newValue = await target.read(path);
      knowledge.read(path, newValue);
    } else {
      knowledge.wrote(path, newValue);
    }
    if (newValue === MISSING) return;
    await target.notifyChange(path, { prevValue, newValue, cause: 'remote' });
  }

  /**
   * S128: reads every served subtree at or around `path` again and notifies each served path whose read
   * differs from what the controller knew, deepest first; an ancestor is notified only for what its
   * descendants' notifications did not already tell.
   */
  async #resync(path: string): Promise<void> {
    const target = this.#target;
    const knowledge = this.#knowledge;
    const notified: string[] = [];
    for (const root of knowledge.roots) {
      if (!isAtOrBelow(root, path) && !isAtOrBelow(path, root)) continue;
      const known = knowledge.lookup(root);
      const fresh = await target.read(root);
      // What was read is what the controller knows from now on, whatever the notifications below set off.
      knowledge.read(root, fresh);
      let told = known === UNKNOWN ? MISSING : known;
      const candidates = new Map<string, readonly string[]>();
      for (const pattern of knowledge.patterns) {
        if (!isAtOrBelow(pattern, root)) continue;
        const relative = splitPath(pattern).slice(splitPath(root).length);
        for (const segments of expand(relative, told, fresh)) candidates.set(segments.join('/'), segments);
      }
      const deepestFirst = [...candidates.values()].sort((a, b) => b.length - a.length || (a.join('/') < b.join('/') ? -1 : 1));
      for (const segments of deepestFirst) {
        const before = valueAt(told, segments);
        const after = valueAt(fresh, segments);
        if (deepEqual(before, after)) continue;
        const concrete = segments.reduce(childOf, root);
        told = withValueAt(told, segments, after);
        notified.push(concrete);
        await target.notifyChange(concrete, {
          prevValue: before === MISSING ? undefined : before,
          newValue: after === MISSING ? undefined : after,
          cause: 'remote',
        });
      }
    }
    if (target.trace.active) target.trace.emit({ kind: 'resync', path, notified, cause: 'remote', depth: 0 });
  }
}

/**
 * The old value of a reported write or delete (S127). The node's own old value, when the report carries it
 * (the Redis change log does), is the storage's own history, so it is taken as it is: what the controller
 * knew may be ahead of the report (a read made while the report was on its way already shows the change,
 * and would hide it). What the report lacks comes from what the controller knew: for a delete, the node's
 * children (Redis logs own values only, so a delete of a parent would otherwise tell its subscribed
 * children nothing), and for a report without an old value (a cache's conflict report), the whole value.
 */
function oldValue(known: unknown, change: Exclude<BackendChange, { kind: 'resync' }>): unknown {
  const knownValue = known === UNKNOWN || known === MISSING ? undefined : known;
  if (!('prevValue' in change)) return knownValue;
  const own = change.prevValue;
  if (change.kind === 'write' || !isPlainObject(knownValue)) return own;
  // A plain object read is taken as the node's children, with its own value under "/" (S10).
  const children: Record<string, unknown> = { ...knownValue };
  delete children[OWN_VALUE_KEY];
  if (Object.keys(children).length === 0) return own;
  return own === undefined ? children : { [OWN_VALUE_KEY]: own, ...children };
}

/** The concrete relative paths a relative pattern matches in either of two reads. */
function expand(relative: readonly string[], a: unknown, b: unknown): string[][] {
  if (relative.length === 0) return [[]];
  const [segment, ...rest] = relative;
  const names = segment === '*' ? [...new Set([...childNames(a), ...childNames(b)])] : [segment];
  const found: string[][] = [];
  for (const name of names) {
    for (const tail of expand(rest, valueAt(a, [name]), valueAt(b, [name]))) found.push([name, ...tail]);
  }
  return found;
}
