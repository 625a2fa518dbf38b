import { MISSING, type AsyncBackend } from '../restate';
import { ancestorsOf, isAtOrBelow, nameOf, parentPath, segmentsOf } from './statePaths';

/** How many deleted subtrees' layouts are kept for deletedLayout. */
const KEPT_LAYOUTS = 32;
/** How many own writes' starts and ends are kept for ownWriteTouched: far more than happen while a change is read. */
const KEPT_OWN_WRITES = 1024;

/** Returned by oldValueOf when nothing was seen of a node: the caller falls back to the cache. */
export const UNSEEN: unique symbol = Symbol('unseen');

/**
 * Sits between the controller and its cache and remembers which nodes were seen to exist or not: the
 * listings handed out and the reads that found nothing. The cache keeps old values for the watcher
 * recipe (S125), but it never caches MISSING (S110), so without this a file created by another process
 * would read as new both "before" and "after" and its creation would never be reported. It also keeps
 * the values it handed out, so the old value of a file under a node that was read as a whole (a
 * derivation's source, say) is known even though that file was never read on its own.
 *
 * What it remembers is what the controller knew: its own writes and deletes, and the changes the watcher
 * reported (learn). A read or a listing only fills in what was not known yet. One that finds something
 * else has met a change of another process whose event is still on its way, and the watcher must compare
 * that change with what was known before it, or it would report nothing.
 */
export class ObservedBackend implements AsyncBackend {
  readonly #missing = new Set<string>();
  readonly #lists = new Map<string, Set<string>>();
  /** The value last handed out per path, by reference; readers must not mutate values (S19). */
  readonly #seen = new Map<string, unknown>();
  readonly #deletedLayouts = new Map<string, string[]>();
  /** Own writes and deletes as they start and as they end, newest last, for ownWriteTouched. */
  readonly #ownWrites: { mark: number; path: string }[] = [];
  /** Own writes and deletes under way, by path: what they do on disk may already be there. */
  readonly #ownWritesUnderWay = new Map<string, number>();
  #ownWriteMark = 0;

  constructor(readonly inner: AsyncBackend) {}

  /** A mark to pass to ownWriteTouched later. */
  ownWriteMark(): number {
    return this.#ownWriteMark;
  }

  /**
   * Whether an own write or delete touching the node (at, above or below it) started or ended since the
   * mark, or is still under way. A read of the node made meanwhile may show that write, which is then not
   * a change made by someone else.
   */
  ownWriteTouched(path: string, mark: number): boolean {
    const touches = (written: string): boolean => isAtOrBelow(written, path) || isAtOrBelow(path, written);
    for (const written of this.#ownWritesUnderWay.keys()) if (touches(written)) return true;
    const log = this.#ownWrites;
    // Older than what is kept: whether it touched cannot be told, so it is taken as if it did.
    if (log.length > 0 && log[0].mark > mark + 1) return true;
    for (let index = log.length - 1; index >= 0 && log[index].mark > mark; index--) if (touches(log[index].path)) return true;
    return false;
  }

  async #ownWrite(path: string, write: () => Promise<void>): Promise<void> {
    this.#noteOwnWrite(path);
    this.#ownWritesUnderWay.set(path, (this.#ownWritesUnderWay.get(path) ?? 0) + 1);
    try {
      await write();
    } finally {
      const left = (this.#ownWritesUnderWay.get(path) ?? 1) - 1;
      if (left === 0) this.#ownWritesUnderWay.delete(path);
      else this.#ownWritesUnderWay.set(path, left);
      this.#noteOwnWrite(path);
    }
  }

  #noteOwnWrite(path: string): void {
    this.#ownWrites.push({ mark: ++this.#ownWriteMark, path });
    if (this.#ownWrites.length > KEPT_OWN_WRITES) this.#ownWrites.splice(0, this.#ownWrites.length - KEPT_OWN_WRITES / 2);
  }

  async read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown> {
    const value = await this.inner.read(path, MISSING);
    this.#fillIn(path, value, true);
    if (value !== MISSING) return value;
    return arguments.length >= 2 ? dflt : MISSING;
  }

  /**
   * The old value of a write or delete, with unparsable files as UnreadableValues (S131). It is not kept
   * as a seen value: the watcher's old values stay the ones that could be read.
   */
  async readTolerant(path: string): Promise<unknown> {
    const inner = this.inner;
    const value = inner.readTolerant === undefined ? await inner.read(path, MISSING) : await inner.readTolerant(path);
    this.#fillIn(path, value, false);
    return value;
  }

  async write(path: string, value: unknown): Promise<void> {
    await this.#ownWrite(path, () => this.inner.write(path, value));
    this.#learnExists(path);
    for (const stale of [path, ...ancestorsOf(path)]) this.#seen.delete(stale);
  }

  async delete(path: string): Promise<void> {
    const layout = await this.#layoutOf(path);
    await this.#ownWrite(path, () => this.inner.delete(path));
    this.#deletedLayouts.delete(path);
    if (layout !== undefined) this.#deletedLayouts.set(path, layout);
    // Read right after the delete, by the trace's listeners: the last few are plenty.
    for (const oldest of this.#deletedLayouts.keys()) {
      if (this.#deletedLayouts.size <= KEPT_LAYOUTS) break;
      this.#deletedLayouts.delete(oldest);
    }
    this.#learnMissing(path);
    for (const stale of ancestorsOf(path)) this.#seen.delete(stale);
  }

  async listChildren(path: string): Promise<string[]> {
    const names = await this.inner.listChildren!(path);
    if (!this.#lists.has(path) && !this.isKnownMissing(path)) this.#lists.set(path, new Set(names));
    return names;
  }

  /** Whether the node, or one of its ancestors, was last known not to exist. */
  isKnownMissing(path: string): boolean {
    if (this.knowledgeOf(path) === 'missing') return true;
    return ancestorsOf(path).some((ancestor) => ancestor !== '/' && this.knowledgeOf(ancestor) === 'missing');
  }

  /** The nodes at or below `path` that had children when it was last deleted, parents first; see StateHost. */
  deletedLayout(path: string): readonly string[] | undefined {
    return this.#deletedLayouts.get(path);
  }

  /** The nodes at or below `path` that have children, parents first; undefined when they cannot be listed. */
  async #layoutOf(path: string): Promise<string[] | undefined> {
    const inner = this.inner;
    if (inner.listChildren === undefined) return undefined;
    const found: string[] = [];
    const queue = [path];
    try {
      for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
        const names = await inner.listChildren(current);
        if (names.length === 0) continue;
        found.push(current);
        for (const name of names) queue.push(current === '/' ? `/${name}` : `${current}/${name}`);
      }
    } catch {
      return undefined;
    }
    return found;
  }

  /** How many children the node had when it was last listed; undefined for a node never listed. */
  listedCount(path: string): number | undefined {
    return this.#lists.get(path)?.size;
  }

  /** Whether the node's children were last listed as some: false for a node never listed. */
  hadChildren(path: string): boolean {
    return (this.#lists.get(path)?.size ?? 0) > 0;
  }

  /** What was last seen of a node: 'missing', 'exists', or 'unknown' when nobody looked. */
  knowledgeOf(path: string): 'missing' | 'exists' | 'unknown' {
    if (this.#missing.has(path)) return 'missing';
    if (path === '/') return 'unknown';
    const siblings = this.#lists.get(parentPath(path));
    if (siblings === undefined) return 'unknown';
    return siblings.has(nameOf(path)) ? 'exists' : 'missing';
  }

  /**
   * The value a node had when it was last seen: MISSING when it was seen not to exist, its own read, or
   * its part of an ancestor's read (S10: children are the keys of a node with children). UNSEEN otherwise.
   */
  oldValueOf(path: string): unknown {
    if (this.knowledgeOf(path) === 'missing') return MISSING;
    if (this.#seen.has(path)) return this.#seen.get(path);
    const segments = segmentsOf(path);
    for (let depth = segments.length - 1; depth >= 0; depth--) {
      const ancestor = `/${segments.slice(0, depth).join('/')}`;
      if (!this.#seen.has(ancestor)) continue;
      let value = this.#seen.get(ancestor);
      for (let index = depth; index < segments.length; index++) {
        const node = `/${segments.slice(0, index).join('/')}`;
        // Children are the keys of a node's read (S10). An object value's own keys are not nodes (S11),
        // but a file event names a node that is or was on disk, so a key of that name is taken for it.
        if (this.#lists.get(node)?.has(segments[index]) === false) return MISSING;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return UNSEEN;
        if (!Object.prototype.hasOwnProperty.call(value, segments[index])) return MISSING;
        value = (value as Record<string, unknown>)[segments[index]];
      }
      return value;
    }
    return UNSEEN;
  }

  /** Records what a read after an external change found, so the next change starts from it. */
  learn(path: string, value: unknown): void {
    if (value === MISSING) {
      this.#learnMissing(path);
    } else {
      // An object read may hold a whole subtree as it is now: what was known below it may be older.
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) this.#forgetBelow(path);
      this.#learnExists(path);
      this.#seen.set(path, value);
    }
    // Ancestors' reads now hold an old part; patch them so later changes below still find their old values.
    const segments = segmentsOf(path);
    for (let depth = segments.length - 1; depth >= 0; depth--) {
      const ancestor = `/${segments.slice(0, depth).join('/')}`;
      if (!this.#seen.has(ancestor)) continue;
      const patched = patch(this.#seen.get(ancestor), segments.slice(depth), value);
      if (patched === UNSEEN) this.#seen.delete(ancestor);
      else this.#seen.set(ancestor, patched);
    }
  }

  /** Takes what a read found only where nothing was known: a difference is a change not reported yet. */
  #fillIn(path: string, value: unknown, keepValue: boolean): void {
    if (this.isKnownMissing(path)) return;
    const known = this.oldValueOf(path);
    if (value === MISSING) {
      if (known === UNSEEN && this.knowledgeOf(path) === 'unknown') this.#learnMissing(path);
      return;
    }
    if (known !== UNSEEN) return;
    this.#learnExists(path);
    if (keepValue) this.#seen.set(path, value);
  }

  #forgetBelow(path: string): void {
    for (const known of [...this.#missing]) if (known !== path && isAtOrBelow(known, path)) this.#missing.delete(known);
    for (const listed of [...this.#lists.keys()]) if (isAtOrBelow(listed, path)) this.#lists.delete(listed);
    for (const seen of [...this.#seen.keys()]) if (seen !== path && isAtOrBelow(seen, path)) this.#seen.delete(seen);
  }

  #learnExists(path: string): void {
    for (let current = path; ; current = parentPath(current)) {
      this.#missing.delete(current);
      if (current === '/') break;
      this.#lists.get(parentPath(current))?.add(nameOf(current));
    }
  }

  #learnMissing(path: string): void {
    for (const known of [...this.#missing]) if (isAtOrBelow(known, path)) this.#missing.delete(known);
    for (const listed of [...this.#lists.keys()]) if (isAtOrBelow(listed, path)) this.#lists.delete(listed);
    for (const seen of [...this.#seen.keys()]) if (isAtOrBelow(seen, path)) this.#seen.delete(seen);
    this.#missing.add(path);
    if (path !== '/') this.#lists.get(parentPath(path))?.delete(nameOf(path));
  }
}


/** A copy of a node read with the part at `segments` replaced (or removed, for MISSING); UNSEEN if it does not fit. */
function patch(read: unknown, segments: readonly string[], value: unknown): unknown {
  if (read === null || typeof read !== 'object' || Array.isArray(read)) return UNSEEN;
  const [first, ...rest] = segments;
  const copy: Record<string, unknown> = { ...(read as Record<string, unknown>) };
  if (rest.length === 0) {
    if (value === MISSING) delete copy[first];
    else copy[first] = value;
    return copy;
  }
  if (!(first in copy)) return UNSEEN;
  const inner = patch(copy[first], rest, value);
  if (inner === UNSEEN) return UNSEEN;
  copy[first] = inner;
  return copy;
}
