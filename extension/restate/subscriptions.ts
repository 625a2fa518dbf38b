import { WILDCARD, splitPath } from './path';

/** One subscription pair, as delivered at a level. */
export interface Subscription {
  readonly id: string;
  /** The exact path or pattern the id subscribed to. */
  readonly pattern: string;
  /** Creation order of the pair: a pair removed and added again gets a new one. */
  readonly order: number;
}

interface TrieNode {
  children: Map<string, TrieNode> | undefined;
  /** id → creation order of the (pattern, id) pair (S32). */
  subscribers: Map<string, number> | undefined;
  /** The canonical path or pattern that ends here. */
  readonly pattern: string;
}

function newNode(pattern: string): TrieNode {
  return { children: undefined, subscribers: undefined, pattern };
}

/**
 * The subscription index: a segment trie holding exact paths and patterns alike, where `*` is one more
 * edge. Finding the subscribers of a level walks at most two edges per segment, so its cost grows with
 * the depth and the matching subscriptions, not with the number of patterns elsewhere (S56).
 */
export class SubscriptionIndex {
  readonly #root = newNode('/');
  readonly #patternsById = new Map<string, Set<string>>();
  #nextOrder = 0;
  #pairs = 0;

  get isEmpty(): boolean {
    return this.#pairs === 0;
  }

  /** Adds the pair; an existing pair keeps its place. Returns whether it was new. */
  add(pattern: string, id: string): boolean {
    let node = this.#root;
    for (const segment of splitPath(pattern)) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newNode(node === this.#root ? '/' + segment : node.pattern + '/' + segment);
        node.children.set(segment, child);
      }
      node = child;
    }
    node.subscribers ??= new Map();
    if (node.subscribers.has(id)) return false;
    node.subscribers.set(id, this.#nextOrder++);
    this.#pairs++;
    let patterns = this.#patternsById.get(id);
    if (patterns === undefined) {
      patterns = new Set();
      this.#patternsById.set(id, patterns);
    }
    patterns.add(pattern);
    return true;
  }

  has(pattern: string, id: string): boolean {
    return this.#find(pattern)?.subscribers?.has(id) ?? false;
  }

  /** Whether exactly this pair (not one removed and re-added since) is still subscribed (S35). */
  isCurrent(subscription: Subscription): boolean {
    return this.#find(subscription.pattern)?.subscribers?.get(subscription.id) === subscription.order;
  }

  remove(pattern: string, id: string): boolean {
    const trail: TrieNode[] = [this.#root];
    const segments = splitPath(pattern);
    let node: TrieNode | undefined = this.#root;
    for (const segment of segments) {
      node = node.children?.get(segment);
      if (node === undefined) return false;
      trail.push(node);
    }
    if (node.subscribers?.delete(id) !== true) return false;
    this.#pairs--;
    if (node.subscribers.size === 0) node.subscribers = undefined;
    const patterns = this.#patternsById.get(id);
    patterns?.delete(pattern);
    if (patterns?.size === 0) this.#patternsById.delete(id);
    // Prune nodes that no longer lead to any subscription (S53: only this pair's node can become empty).
    for (let i = segments.length; i > 0; i--) {
      const current = trail[i];
      if (current.subscribers !== undefined || current.children !== undefined) break;
      const parent = trail[i - 1];
      parent.children!.delete(segments[i - 1]);
      if (parent.children!.size === 0) parent.children = undefined;
    }
    return true;
  }

  /** The paths and patterns an id is subscribed to, in the order they were added. */
  patternsOf(id: string): string[] {
    return [...(this.#patternsById.get(id) ?? [])];
  }

  removeId(id: string): void {
    for (const pattern of this.patternsOf(id)) this.remove(pattern, id);
  }

  /**
   * Whether any subscription matches `path` or one of its ancestors: the cheap test that lets a change
   * nobody listens to skip notification entirely. Walks the trie once, allocating only for patterns.
   */
  matchesPathOrAncestor(path: string): boolean {
    if (this.#pairs === 0) return false;
    if (this.#root.subscribers !== undefined) return true;
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
        if (exact?.subscribers !== undefined) return true;
      }
      if (nextWild !== undefined && nextWild.some((node) => node.subscribers !== undefined)) return true;
      wild = nextWild;
      start = end + 1;
    }
    return false;
  }

  /**
   * The delivery list of the level made of the first `depth` of `segments` (S32–S33): exact subscribers in
   * subscription order, then matching patterns' subscribers in subscription order, each id once.
   */
  deliveryList(segments: readonly string[], depth: number): Subscription[] {
    if (this.#pairs === 0) return [];
    let exact: TrieNode | undefined = this.#root;
    let wild: TrieNode[] = [];
    for (let i = 0; i < depth; i++) {
      const segment = segments[i];
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
      if (exact === undefined && wild.length === 0) return [];
    }
    const list: Subscription[] = [];
    const seen = new Set<string>();
    if (exact?.subscribers !== undefined) {
      for (const [id, order] of exact.subscribers) {
        list.push({ id, pattern: exact.pattern, order });
        seen.add(id);
      }
    }
    const matched: { id: string; pattern: string; order: number }[] = [];
    for (const node of wild) {
      if (node.subscribers === undefined) continue;
      for (const [id, order] of node.subscribers) matched.push({ id, pattern: node.pattern, order });
    }
    if (matched.length > 1) matched.sort((a, b) => a.order - b.order);
    for (const subscription of matched) {
      if (seen.has(subscription.id)) continue;
      seen.add(subscription.id);
      list.push(subscription);
    }
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
        if (child.subscribers !== undefined) found.push(childRelative);
        visit(child, childRelative);
      }
    };
    for (const node of reached) visit(node, []);
    return found;
  }

  #find(pattern: string): TrieNode | undefined {
    let node: TrieNode | undefined = this.#root;
    for (const segment of splitPath(pattern)) {
      node = node.children?.get(segment);
      if (node === undefined) return undefined;
    }
    return node;
  }
}
