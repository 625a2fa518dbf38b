import { WILDCARD, splitPath } from './path';
import type { SystemCallback } from './system';

const EMPTY: readonly Subscription[] = Object.freeze([]);
/** How many paths' level lists are kept; past it the cache starts over, which costs one walk per path. */
const LEVEL_CACHE_LIMIT = 4096;

/** A path's delivery lists by level: index `d` is the ancestor with `d` segments. */
export type LevelLists = readonly (readonly Subscription[] | undefined)[];
/** One path's level lists kept by whoever writes that path often (a derivation, its dest): valid while `levelsVersion` is the index's version. */
export interface PathLevels {
  levelsVersion: number;
  levels: LevelLists | undefined;
}

/** Cached for a path none of whose levels has a subscriber. */
const NO_LEVELS: LevelLists = Object.freeze([]);

/** The number of segments of a canonical path other than `/`. */
export function countSegments(path: string): number {
  let count = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) count++;
  return count;
}

/** Whether any pair ends at the node. */
function hasSubscriptions(node: TrieNode): boolean {
  return node.subscribers !== undefined || node.keptLive > 0;
}

/** The node's live pairs in subscription order: its listed pairs and its kept ones, merged by order. */
function pairsOf(node: TrieNode): Subscription[] | undefined {
  const kept = node.kept;
  if (kept === undefined) return node.subscribers === undefined ? undefined : [...node.subscribers.values()];
  const listed = node.subscribers === undefined ? EMPTY : [...node.subscribers.values()];
  const pairs: Subscription[] = [];
  let next = 0;
  for (const record of kept) {
    if (!record.live) continue;
    while (next < listed.length && listed[next].order < record.order) pairs.push(listed[next++]);
    pairs.push(record);
  }
  while (next < listed.length) pairs.push(listed[next++]);
  return pairs;
}

/** The delivery list made of an exact node's subscribers and then the matching patterns' (S32–S33). */
function listOf(exact: TrieNode | undefined, wild: readonly TrieNode[]): readonly Subscription[] | undefined {
  const own = exact === undefined ? undefined : pairsOf(exact);
  let matched: Subscription[] | undefined;
  for (const node of wild) {
    const pairs = pairsOf(node);
    if (pairs !== undefined) (matched ??= []).push(...pairs);
  }
  if (matched === undefined) return own;
  if (matched.length > 1) matched.sort((a, b) => a.order - b.order);
  return dedupe(own ?? [], matched);
}

/** Appends pattern subscriptions whose id is not listed yet: an id runs once per level, at its first place. */
function dedupe(list: Subscription[], matched: readonly Subscription[]): Subscription[] {
  const seen = new Set(list.map((subscription) => subscription.id));
  for (const subscription of matched) {
    if (seen.has(subscription.id)) continue;
    seen.add(subscription.id);
    list.push(subscription);
  }
  return list;
}

/** One (path or pattern, id) pair. A pair removed and added again is a new record. */
export interface Subscription {
  readonly id: string;
  /** The exact path or pattern the id subscribed to. */
  readonly pattern: string;
  /** Creation order of the pair (S32). */
  readonly order: number;
  /** False once removed, so a delivery already under way can skip it (S35). */
  live: boolean;
  /** The callback store's entry for the id, and its system callback if any, as CallbackStore.entryOf last found them, and when. */
  entry: unknown;
  system: SystemCallback | undefined;
  entryGeneration: number;
  /** The trie node that holds the pair while it is live. */
  readonly node: TrieNode;
  /** Whether SubscriptionIndex.addKept added it, and the node keeps it in `kept`. */
  readonly kept: boolean;
}

interface TrieNode {
  children: Map<string, TrieNode> | undefined;
  /** id → the pair's record, for pairs added with add. */
  subscribers: Map<string, Subscription> | undefined;
  /**
   * Pairs added with addKept, in the order added; removed ones stay, marked, until the list is compacted.
   * A tracker whose reads change removes and adds one on every run: marking spares the map's delete and
   * set, and the map's shrinking and regrowing when a flag moves a thousand trackers from one path to another.
   */
  kept: Subscription[] | undefined;
  /** How many of `kept` are live. */
  keptLive: number;
  /** The canonical path or pattern that ends here. */
  readonly pattern: string;
}

function newNode(pattern: string): TrieNode {
  return { children: undefined, subscribers: undefined, kept: undefined, keptLive: 0, pattern };
}

/** A kept list this long, with more removed records than live ones, is compacted. */
const KEPT_COMPACT_LENGTH = 32;

/**
 * The subscription index: a segment trie holding exact paths and patterns alike, where `*` is one more
 * edge. Finding the subscribers of a level walks at most two edges per segment, so its cost grows with
 * the depth and the matching subscriptions, not with the number of patterns elsewhere (S56).
 */
export class SubscriptionIndex {
  readonly #root = newNode('/');
  /**
   * Nodes by their canonical path or pattern, for the nodes add() reached: a tracker whose reads change
   * adds and removes the same few paths on every run, and one lookup beats a walk that slices each segment.
   */
  readonly #nodes = new Map<string, TrieNode>([['/', this.#root]]);
  /**
   * Each id's paths and patterns in the order added. A list, not a set: a tracker whose reads change drops
   * one path and adds another on each run, and for the few paths an id usually has a list is much cheaper.
   */
  readonly #patternsById = new Map<string, string[]>();
  #nextOrder = 0;
  #pairs = 0;
  #version = 0;
  readonly #levelCache = new Map<string, LevelLists>();
  /**
   * The delivery list of each level path the cached level lists hold, so that paths with a common ancestor
   * share its list: writes to many children of one subscribed parent then all read the same array.
   */
  readonly #listCache = new Map<string, readonly Subscription[] | undefined>();
  #cachedVersion = 0;

  get isEmpty(): boolean {
    return this.#pairs === 0;
  }

  /** Changes whenever a pair is added or removed, so a delivery under way can tell its lists are stale. */
  get version(): number {
    return this.#version;
  }

  /** Adds the pair; an existing pair keeps its place. Returns whether it was new. */
  add(pattern: string, id: string): boolean {
    const node = this.#nodes.get(pattern) ?? this.#create(pattern);
    if (node.subscribers?.has(id) === true) return false;
    (node.subscribers ??= new Map()).set(id, this.#record(node, pattern, id, false));
    const patterns = this.#patternsById.get(id);
    if (patterns === undefined) this.#patternsById.set(id, [pattern]);
    else patterns.push(pattern);
    return true;
  }

  /**
   * Adds a pair that the caller knows is not there and keeps the record of, to remove it with removeKept:
   * a tracker's read (S68). Such pairs are not listed under the id, so removeId does not see
   * them. A tracker whose reads change adds and removes a pair per tracker on every change, and this spares
   * that the lookups of add and remove.
   */
  addKept(pattern: string, id: string): Subscription {
    const node = this.#nodes.get(pattern) ?? this.#create(pattern);
    const record = this.#record(node, pattern, id, true);
    (node.kept ??= []).push(record);
    node.keptLive++;
    return record;
  }

  /** Removes a pair added by addKept, unless it is gone already. */
  removeKept(record: Subscription): void {
    if (record.live) this.#detach(record);
  }

  /** A new live pair's record, counted; the caller puts it in the node. */
  #record(node: TrieNode, pattern: string, id: string, kept: boolean): Subscription {
    this.#pairs++;
    this.#version++;
    return { id, pattern, order: this.#nextOrder++, live: true, entry: undefined, system: undefined, entryGeneration: -1, node, kept };
  }

  /** Takes a live pair out of the trie, leaving #patternsById to the caller. */
  #detach(record: Subscription): void {
    const node = record.node;
    record.live = false;
    this.#pairs--;
    this.#version++;
    if (record.kept) {
      const live = --node.keptLive;
      const kept = node.kept!;
      if (live === 0) node.kept = undefined;
      else if (kept.length >= KEPT_COMPACT_LENGTH && live * 2 < kept.length) compactKept(kept);
    } else {
      node.subscribers!.delete(record.id);
      if (node.subscribers!.size === 0) node.subscribers = undefined;
    }
    if (!hasSubscriptions(node) && node.children === undefined) this.#prune(record.pattern);
  }

  /** The node of `pattern`, made with any missing nodes on the way. */
  #create(pattern: string): TrieNode {
    let node = this.#root;
    let start = 1;
    while (start < pattern.length) {
      let end = pattern.indexOf('/', start);
      if (end === -1) end = pattern.length;
      const segment = pattern.slice(start, end);
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newNode(pattern.slice(0, end));
        node.children.set(segment, child);
      }
      node = child;
      start = end + 1;
    }
    this.#nodes.set(pattern, node);
    return node;
  }

  has(pattern: string, id: string): boolean {
    const node = this.#find(pattern);
    if (node === undefined) return false;
    if (node.subscribers?.has(id) === true) return true;
    return node.kept?.some((record) => record.live && record.id === id) ?? false;
  }


  remove(pattern: string, id: string): boolean {
    if (!this.#removePair(pattern, id)) return false;
    const patterns = this.#patternsById.get(id);
    const at = patterns === undefined ? -1 : patterns.lastIndexOf(pattern);
    if (at === -1) return true;
    if (patterns!.length === 1) this.#patternsById.delete(id);
    else if (at === patterns!.length - 1) patterns!.pop();
    else patterns!.splice(at, 1);
    return true;
  }

  /** Removes the pair from the trie, leaving #patternsById to the caller. */
  #removePair(pattern: string, id: string): boolean {
    const record = this.#find(pattern)?.subscribers?.get(id);
    if (record === undefined) return false;
    this.#detach(record);
    return true;
  }

  /** Removes the nodes on the way to `pattern` that no longer lead to any subscription (S53). */
  #prune(pattern: string): void {
    const segments = splitPath(pattern);
    const trail: TrieNode[] = [this.#root];
    for (const segment of segments) trail.push(trail[trail.length - 1].children!.get(segment)!);
    for (let i = segments.length; i > 0; i--) {
      const current = trail[i];
      if (hasSubscriptions(current) || current.children !== undefined) break;
      const parent = trail[i - 1];
      parent.children!.delete(segments[i - 1]);
      this.#nodes.delete(current.pattern);
      if (parent.children!.size === 0) parent.children = undefined;
    }
  }

  removeId(id: string): void {
    const patterns = this.#patternsById.get(id);
    if (patterns === undefined) return;
    this.#patternsById.delete(id);
    for (const pattern of patterns) this.#removePair(pattern, id);
  }

  /**
   * Whether any subscription matches `path` or one of its ancestors: the cheap test that lets a change
   * nobody listens to skip notification entirely. Walks the trie once, allocating only for patterns.
   */
  matchesPathOrAncestor(path: string): boolean {
    if (this.#pairs === 0) return false;
    if (hasSubscriptions(this.#root)) return true;
    let exact: TrieNode | undefined = this.#root;
    let wild: TrieNode[] | undefined;
    let start = 1;
    while (start <= path.length && (exact !== undefined || wild !== undefined)) {
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      const segment = path.slice(start, end);
      let nextWild: TrieNode[] | undefined;
      if (wild !== undefined) {
        for (const node of wild) {
          const literal = node.children?.get(segment);
          if (literal !== undefined) (nextWild ??= []).push(literal);
          const star = node.children?.get(WILDCARD);
          if (star !== undefined) (nextWild ??= []).push(star);
        }
      }
      if (exact !== undefined) {
        const star = exact.children?.get(WILDCARD);
        if (star !== undefined) (nextWild ??= []).push(star);
        exact = exact.children?.get(segment);
        if (exact !== undefined && hasSubscriptions(exact)) return true;
      }
      if (nextWild !== undefined && nextWild.some(hasSubscriptions)) return true;
      wild = nextWild;
      start = end + 1;
    }
    return false;
  }

  /**
   * The delivery list of the canonical path `level` (S32–S33): exact subscribers in subscription order,
   * then matching patterns' subscribers in subscription order, each id once. Check `live` before running
   * an entry (S35).
   */
  deliveryList(level: string): readonly Subscription[] {
    const lists = this.levelLists(level);
    return lists?.[lists.length - 1] ?? EMPTY;
  }

  /**
   * The delivery lists of every level of `path`: index `d` holds the list of the ancestor with `d`
   * segments, up to the path itself at the last index; `undefined` when no level has a subscriber. Valid while `version` stays the same; the array is shared, so callers must not change it.
   * The answer is kept per path until the index changes, since the same paths tend to be written again
   * (a derivation's dest, a field being edited); with no subscription at all nothing is kept.
   */
  levelLists(path: string): LevelLists | undefined {
    if (this.#cachedVersion !== this.#version) {
      this.#emptyCaches();
      this.#cachedVersion = this.#version;
    }
    const cached = this.#levelCache.get(path);
    if (cached !== undefined) return cached === NO_LEVELS ? undefined : cached;
    if (this.#pairs === 0) return undefined;
    const lists = this.matchesPathOrAncestor(path) ? this.#walkLevels(path) : NO_LEVELS;
    if (this.#levelCache.size >= LEVEL_CACHE_LIMIT) {
      this.#emptyCaches();
    }
    this.#levelCache.set(path, lists);
    return lists === NO_LEVELS ? undefined : lists;
  }

  /**
   * Empties both caches by deleting each entry, not with Map.clear(): in V8, clear() leaves the old table,
   * entries and all, for iterators that may still walk it, which keeps the young lists it held alive
   * (bench/README.md, "Notes on the code").
   */
  #emptyCaches(): void {
    for (const path of this.#levelCache.keys()) this.#levelCache.delete(path);
    for (const level of this.#listCache.keys()) this.#listCache.delete(level);
  }

  /** levelLists(path), through a holder kept by the caller: two field reads instead of a lookup while nothing changed. */
  levelListsVia(path: string, holder: PathLevels): LevelLists | undefined {
    if (holder.levelsVersion !== this.#version) {
      holder.levels = this.levelLists(path);
      holder.levelsVersion = this.#version;
    }
    return holder.levels;
  }

  #walkLevels(path: string): LevelLists {
    const lists: (readonly Subscription[] | undefined)[] = [];
    let exact: TrieNode | undefined = this.#root;
    let wild: TrieNode[] = [];
    lists.push(listOf(exact, wild));
    let start = 1;
    while (start < path.length) {
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      const segment = path.slice(start, end);
      const nextWild: TrieNode[] = [];
      for (const node of wild) {
        const literal = node.children?.get(segment);
        if (literal !== undefined) nextWild.push(literal);
        const star = node.children?.get(WILDCARD);
        if (star !== undefined) nextWild.push(star);
      }
      if (exact !== undefined) {
        const star = exact.children?.get(WILDCARD);
        if (star !== undefined) nextWild.push(star);
        exact = exact.children?.get(segment);
      }
      wild = nextWild;
      if (exact === undefined && wild.length === 0) break;
      lists.push(this.#sharedList(end === path.length ? path : path.slice(0, end), exact, wild));
      start = end + 1;
    }
    // One entry per level, so that the path's depth is the last index.
    const depth = path === '/' ? 0 : countSegments(path);
    while (lists.length <= depth) lists.push(undefined);
    return lists;
  }

  /** listOf(exact, wild) for the level path `level`, made once per level while the index stays the same. */
  #sharedList(level: string, exact: TrieNode | undefined, wild: readonly TrieNode[]): readonly Subscription[] | undefined {
    const known = this.#listCache.get(level);
    if (known !== undefined || this.#listCache.has(level)) return known;
    const list = listOf(exact, wild);
    this.#listCache.set(level, list);
    return list;
  }

  /**
   * The subscribed paths and patterns strictly below `path`, given relative to it as segment lists
   * (which may hold `*`). Used to find the descendants a delete must notify (S28 step 1).
   */
  relativePatternsBelow(path: string): string[][] {
    if (this.#pairs === 0) return [];
    let reached: TrieNode[] = [this.#root];
    for (const segment of splitPath(path)) {
      const next: TrieNode[] = [];
      for (const node of reached) {
        const literal = node.children?.get(segment);
        if (literal !== undefined) next.push(literal);
        const star = node.children?.get(WILDCARD);
        if (star !== undefined) next.push(star);
      }
      reached = next;
      if (reached.length === 0) return [];
    }
    const found: string[][] = [];
    const visit = (node: TrieNode, relative: string[]): void => {
      if (node.children === undefined) return;
      for (const [segment, child] of node.children) {
        const childRelative = [...relative, segment];
        if (hasSubscriptions(child)) found.push(childRelative);
        visit(child, childRelative);
      }
    };
    for (const node of reached) visit(node, []);
    return found;
  }

  #find(pattern: string): TrieNode | undefined {
    const known = this.#nodes.get(pattern);
    if (known !== undefined) return known;
    let node: TrieNode | undefined = this.#root;
    let start = 1;
    while (node !== undefined && start < pattern.length) {
      let end = pattern.indexOf('/', start);
      if (end === -1) end = pattern.length;
      node = node.children?.get(pattern.slice(start, end));
      start = end + 1;
    }
    return node;
  }
}

/** Drops the removed records of a kept list, in place, keeping the order of the live ones. */
function compactKept(kept: Subscription[]): void {
  let live = 0;
  for (let i = 0; i < kept.length; i++) {
    const record = kept[i];
    if (record.live) kept[live++] = record;
  }
  kept.length = live;
}
