/**
 * The Changes view's model: a bounded history of the state changes that controllers trace (S120–S122).
 * It imports nothing from vscode, so it runs and is tested in plain Node.
 *
 * Entries. Every `set` that changed something, every `delete` of an existing node and every `ping`
 * becomes one entry, whatever its cause (the explorer's own commands, another process through the file
 * watcher, a derivation, a tracker, a callback). An entry keeps the values before and after as JSON text:
 * trace records hold live values (S123), and the text is what the view shows and diffs anyway.
 *
 * Groups. A batch (S113–S117) shows as one group. The trace does not mark where a batch begins or ends,
 * so groups are read from the stream of one controller:
 *   - a record with `batched: true` joins the open group, or opens a new one;
 *   - while a group is open, records with depth > 1 that are not batched are the flush at work
 *     (derivations, trackers and callbacks reacting to the batch): they join the group too, and mark it
 *     flushing, so that the next batched record starts a new group;
 *   - `rollback` records mark the group's matching entries as undone (S116); a nested batch that fails
 *     undoes only its own entries;
 *   - anything else (a top-level change outside a batch) closes the open group, and so does a pause of
 *     more than `groupGapMs` between records.
 * Two batches that follow each other with no notification between them, and an unrelated nested change
 * that lands inside a running async batch, can be grouped imperfectly; nothing is lost either way.
 *
 * Repeats. With `collapseRepeats`, an item that repeats an earlier one (the same kinds of change to the same
 * paths by the same causes, in the same order) replaces it at the top of the list and counts it: a writer
 * that updates /clock every second keeps one entry, not hundreds, so a user's own edit is still there when
 * they look for it. The merged item keeps the value before its first change and after its last. An earlier
 * item is only merged if no item between the two touched one of its paths, so the list never misstates the
 * order in which a path changed.
 *
 * Muting. Changes at or below a muted path, or by a muted cause, are not recorded at all.
 *
 * Bounds. At most `maxEntries` entries are kept, and with `maxAgeMs` none older than that; the oldest go
 * first, and a group whose entries are all gone goes with them.
 */
import { UnreadableValue, type TraceCause, type TraceRecord } from '../restate';

export type ChangeKind = 'set' | 'delete' | 'ping';

export interface ChangeEntry {
  /** Unique in its history; the view's element id and the key of its diff documents. */
  readonly id: string;
  /** Which controller (state folder) the change belongs to. */
  readonly sourceId: string;
  /** The trace record's `seq` (S121). */
  readonly seq: number;
  /** Wall-clock time in ms since the epoch. */
  readonly time: number;
  readonly kind: ChangeKind;
  readonly path: string;
  /**
   * The value before as JSON text; `undefined` when the path was missing. A value that could not be parsed
   * (S131) shows in it as the text `<unreadable: why>`.
   */
  readonly before: string | undefined;
  /** The first value file in the value before that could not be parsed (S131): nothing to write back, so no revert. */
  readonly unreadableBefore: UnreadableFile | undefined;
  /** The value after as JSON text; `undefined` when the path is missing now (a delete). */
  readonly after: string | undefined;
  /**
   * For a delete: the nodes at or below its path that had children, as the backend listed them before the
   * delete. The value before is a merged read (S10), which cannot tell an object value from children; this
   * says which is which. `undefined` when unknown: then a `"/"` key alone marks a node with children.
   */
  readonly layout: readonly string[] | undefined;
  readonly cause: TraceCause;
  /** Written without notifying anyone (skipNotify, writeDefault); batched changes are notified at the flush. */
  readonly silent: boolean;
  /** The group (batch) the entry belongs to, if any. */
  readonly groupId: string | undefined;
  /** Undone by the rollback of a failed batch (S116). */
  readonly undone: boolean;
  /** How many changes this entry stands for: more than 1 once repeats were collapsed into it. */
  readonly count: number;
  /** Wall-clock time of the first of those changes. */
  readonly firstTime: number;
}

/** A value file that could not be parsed, and why. */
export interface UnreadableFile {
  readonly file: string;
  readonly detail: string;
}

export interface ChangeGroup {
  readonly id: string;
  readonly sourceId: string;
  /** Oldest first. */
  readonly entries: readonly ChangeEntry[];
  /** How many batches this group stands for: more than 1 once repeats were collapsed into it. */
  readonly count: number;
}

/** A top-level item of the history: a single change or a group. */
export type HistoryItem = { readonly type: 'entry'; readonly entry: ChangeEntry } | { readonly type: 'group'; readonly group: ChangeGroup };

export interface ChangeHistoryOptions {
  /** How many entries to keep (at least 1). */
  maxEntries: number;
  /** A pause between records, in ms, after which an open group is closed. */
  groupGapMs?: number;
  /** Drop entries whose last change is older than this, in ms; `undefined` or 0 keeps them by count alone. */
  maxAgeMs?: number;
  /** Collapse an item that repeats an earlier one into it, with a count (see Repeats above). */
  collapseRepeats?: boolean;
  /** The clock for `maxAgeMs`, in ms since the epoch; tests pass their own. */
  now?: () => number;
}

/** What is not recorded: changes at or below these paths, and changes by these causes. */
export interface MuteRules {
  readonly paths: readonly string[];
  readonly causes: readonly TraceCause[];
}

type MutableEntry = { -readonly [K in keyof ChangeEntry]: ChangeEntry[K] };

interface MutableGroup {
  readonly id: string;
  readonly sourceId: string;
  entries: MutableEntry[];
  count: number;
}

type MutableItem = { readonly type: 'entry'; readonly entry: MutableEntry } | { readonly type: 'group'; readonly group: MutableGroup };

interface OpenGroup {
  readonly group: MutableGroup;
  lastTime: number;
  /** The batch has ended and its flush is running: the next batched record belongs to another batch. */
  flushing: boolean;
}

const DEFAULT_GROUP_GAP_MS = 250;
/** How many items back a repeat is looked for: enough for a few writers interleaving, bounded per record. */
const REPEAT_LOOKBACK = 64;

export class ChangeHistory {
  #maxEntries: number;
  #maxAgeMs: number | undefined;
  readonly #groupGapMs: number;
  readonly #collapseRepeats: boolean;
  readonly #now: () => number;
  #muted: MuteRules = { paths: [], causes: [] };
  /** Oldest first. */
  #items: MutableItem[] = [];
  #count = 0;
  #nextId = 0;
  readonly #byId = new Map<string, MutableEntry>();
  readonly #groups = new Map<string, MutableGroup>();
  readonly #open = new Map<string, OpenGroup>();
  /** The group each source closed last: a nested write that comes after its batch went quiet still joins it. */
  readonly #lastClosed = new Map<string, MutableGroup>();
  /** Closes each source's open group once it has been quiet for `groupGapMs`, so that it can collapse. */
  readonly #closeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #listeners = new Set<() => void>();

  constructor(options: ChangeHistoryOptions) {
    this.#maxEntries = Math.max(1, Math.floor(options.maxEntries));
    this.#groupGapMs = options.groupGapMs ?? DEFAULT_GROUP_GAP_MS;
    this.#maxAgeMs = positiveOrUndefined(options.maxAgeMs);
    this.#collapseRepeats = options.collapseRepeats ?? false;
    this.#now = options.now ?? Date.now;
  }

  get maxAgeMs(): number | undefined {
    return this.#maxAgeMs;
  }

  set maxAgeMs(value: number | undefined) {
    this.#maxAgeMs = positiveOrUndefined(value);
    if (this.#trim()) this.#changed();
  }

  get muted(): MuteRules {
    return this.#muted;
  }

  /** Stops recording changes at or below the rules' paths and by their causes; what is already recorded stays. */
  set muted(rules: MuteRules) {
    this.#muted = { paths: [...new Set(rules.paths)], causes: [...new Set(rules.causes)] };
    this.#changed();
  }

  /** Drops entries that have grown older than `maxAgeMs`; for a timer, since no record may come to do it. */
  expire(): void {
    if (this.#trim()) this.#changed();
  }

  get maxEntries(): number {
    return this.#maxEntries;
  }

  set maxEntries(value: number) {
    this.#maxEntries = Math.max(1, Math.floor(value));
    if (this.#trim()) this.#changed();
  }

  /** How many entries are kept. */
  get size(): number {
    return this.#count;
  }

  /** Calls `listener` after every change of the history; returns the function that stops it. */
  onDidChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Takes one trace record of the controller identified by `sourceId`; for a delete, `layout` may say which
   * deleted nodes had children (see ChangeEntry.layout).
   */
  record(sourceId: string, record: TraceRecord, layout?: readonly string[]): void {
    if ((record.kind === 'set' || record.kind === 'delete' || record.kind === 'ping') && this.#isMuted(record.path, record.cause)) return;
    switch (record.kind) {
      case 'set':
        if (!record.changed) return;
        this.#add(sourceId, record, 'set', record.path, encodeBefore(record.prevValue), encode(record.value), !record.notified && !record.batched, record.batched, undefined);
        return;
      case 'delete':
        if (!record.existed) return;
        this.#add(sourceId, record, 'delete', record.path, encodeBefore(record.prevValue), undefined, !record.notified && !record.batched, record.batched, layout);
        return;
      case 'ping': {
        const value = encode(record.value);
        this.#add(sourceId, record, 'ping', record.path, { text: value, unreadable: undefined }, value, false, record.batched, undefined);
        return;
      }
      case 'rollback':
        this.#undo(sourceId, record.path);
        return;
      case 'resync':
        // Not a change itself: what it found comes as set and delete records of cause 'remote'.
        return;
      case 'derive-run':
      case 'track-run': {
        // A run while a group is open is the flush reacting to the batch (a first run is a registration).
        const open = this.#openGroup(sourceId, record.time);
        if (open !== undefined && record.cause !== 'initial') open.flushing = true;
        return;
      }
      default: {
        // A new kind of trace record must be decided on here; at run time one is not a change, so it is skipped.
        const unexpected: never = record;
        void unexpected;
        return;
      }
    }
  }

  /** Closes the open group of a source, e.g. when its recording stops. */
  closeGroup(sourceId: string): void {
    this.#close(sourceId);
  }

  /** Forgets everything. */
  clear(): void {
    this.#items = [];
    this.#count = 0;
    this.#byId.clear();
    this.#groups.clear();
    this.#open.clear();
    this.#lastClosed.clear();
    for (const timer of this.#closeTimers.values()) clearTimeout(timer);
    this.#closeTimers.clear();
    this.#changed();
  }

  /** Forgets the entries of one source (a state folder that went away). */
  forgetSource(sourceId: string): void {
    this.#open.delete(sourceId);
    this.#lastClosed.delete(sourceId);
    const kept: MutableItem[] = [];
    for (const item of this.#items) {
      const entries = item.type === 'entry' ? [item.entry] : item.group.entries;
      if ((item.type === 'entry' ? item.entry.sourceId : item.group.sourceId) !== sourceId) {
        kept.push(item);
        continue;
      }
      for (const entry of entries) this.#byId.delete(entry.id);
      this.#count -= entries.length;
      if (item.type === 'group') this.#groups.delete(item.group.id);
    }
    if (kept.length !== this.#items.length) {
      this.#items = kept;
      this.#changed();
    }
  }

  /** The sources that have entries. */
  sources(): Set<string> {
    const found = new Set<string>();
    for (const item of this.#items) found.add(item.type === 'entry' ? item.entry.sourceId : item.group.sourceId);
    return found;
  }

  entry(id: string): ChangeEntry | undefined {
    return this.#byId.get(id);
  }

  group(id: string): ChangeGroup | undefined {
    return this.#groups.get(id);
  }

  /**
   * The items newest first, keeping only entries whose path is `prefix` or below it; a group is kept
   * with its matching entries, newest first within the group as well.
   */
  items(prefix?: string): HistoryItem[] {
    const result: HistoryItem[] = [];
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const item = this.#items[i];
      if (item.type === 'entry') {
        if (prefix === undefined || isAtOrBelow(item.entry.path, prefix)) result.push(item);
        continue;
      }
      const entries = prefix === undefined ? item.group.entries : item.group.entries.filter((e) => isAtOrBelow(e.path, prefix));
      if (entries.length === 0) continue;
      result.push({ type: 'group', group: { id: item.group.id, sourceId: item.group.sourceId, entries: [...entries], count: item.group.count } });
    }
    return result;
  }

  #add(
    sourceId: string, record: TraceRecord, kind: ChangeKind, path: string, before: EncodedBefore, after: string | undefined, silent: boolean,
    batched: boolean, layout: readonly string[] | undefined,
  ): void {
    // A nested write is the flush of the open batch at work however long its derivation took, so the pause
    // that closes a group does not apply to it.
    const nested = record.depth > 1 && !batched;
    let open = this.#openGroup(sourceId, record.time, nested) ?? (nested ? this.#reopen(sourceId, record.time) : undefined);
    let group: MutableGroup | undefined;
    if (batched) {
      if (open === undefined || open.flushing) open = this.#startGroup(sourceId, record.time);
      group = open.group;
    } else if (open !== undefined && record.depth > 1) {
      open.flushing = true;
      group = open.group;
    } else {
      this.#close(sourceId);
    }
    if (open !== undefined && group !== undefined) {
      open.lastTime = record.time;
      this.#scheduleClose(sourceId, open);
    }

    const entry: MutableEntry = {
      id: `c${++this.#nextId}`,
      sourceId,
      seq: record.seq,
      time: performance.timeOrigin + record.time,
      kind,
      path,
      before: before.text,
      unreadableBefore: before.unreadable,
      after,
      layout,
      cause: record.cause,
      silent,
      groupId: group?.id,
      undone: false,
      count: 1,
      firstTime: performance.timeOrigin + record.time,
    };
    this.#byId.set(entry.id, entry);
    this.#count++;
    if (group === undefined) {
      this.#items.push({ type: 'entry', entry });
      this.#collapse(this.#items.length - 1);
    } else {
      if (group.entries.length === 0) this.#items.push({ type: 'group', group });
      group.entries.push(entry);
    }
    this.#trim();
    this.#changed();
  }

  /** The open group of a source, or undefined if there is none or it timed out (unless `ignoreGap`). */
  #openGroup(sourceId: string, time: number, ignoreGap = false): OpenGroup | undefined {
    const open = this.#open.get(sourceId);
    if (open === undefined) return undefined;
    if ((!ignoreGap && time - open.lastTime > this.#groupGapMs) || !this.#groups.has(open.group.id)) {
      this.#close(sourceId);
      return undefined;
    }
    return open;
  }

  /** Closes the open group of a source: it is complete now, so it may repeat an earlier one. */
  #close(sourceId: string): void {
    const open = this.#open.get(sourceId);
    if (open === undefined) return;
    this.#open.delete(sourceId);
    this.#lastClosed.set(sourceId, open.group);
    for (let index = this.#items.length - 1; index >= 0; index--) {
      const item = this.#items[index];
      if (item.type !== 'group' || item.group !== open.group) continue;
      if (this.#collapse(index)) this.#changed();
      return;
    }
  }

  /** Opens the source's last closed group again, if nothing of that source has been recorded after it. */
  #reopen(sourceId: string, time: number): OpenGroup | undefined {
    const group = this.#lastClosed.get(sourceId);
    if (group === undefined || !this.#groups.has(group.id)) return undefined;
    for (let index = this.#items.length - 1; index >= 0; index--) {
      const item = this.#items[index];
      if ((item.type === 'entry' ? item.entry.sourceId : item.group.sourceId) !== sourceId) continue;
      if (item.type !== 'group' || item.group !== group) return undefined;
      const open: OpenGroup = { group, lastTime: time, flushing: true };
      this.#open.set(sourceId, open);
      return open;
    }
    return undefined;
  }

  #scheduleClose(sourceId: string, open: OpenGroup): void {
    const previous = this.#closeTimers.get(sourceId);
    if (previous !== undefined) clearTimeout(previous);
    const lastTime = open.lastTime;
    const timer = setTimeout(() => {
      this.#closeTimers.delete(sourceId);
      if (this.#open.get(sourceId) === open && open.lastTime === lastTime) this.#close(sourceId);
    }, this.#groupGapMs);
    // A pending close must not keep a process (a test, a script) alive.
    if (typeof timer === 'object' && 'unref' in timer) timer.unref();
    this.#closeTimers.set(sourceId, timer);
  }

  #startGroup(sourceId: string, time: number): OpenGroup {
    this.#close(sourceId);
    const group: MutableGroup = { id: `g${++this.#nextId}`, sourceId, entries: [], count: 1 };
    this.#groups.set(group.id, group);
    const open: OpenGroup = { group, lastTime: time, flushing: false };
    this.#open.set(sourceId, open);
    return open;
  }

  /**
   * A rollback record undoes the newest write or delete of its path in the open group. Changes reported
   * from disk (notifyChange, cause 'file') and pings wrote nothing, so the batch has nothing of theirs to undo.
   */
  #undo(sourceId: string, path: string): void {
    const open = this.#open.get(sourceId);
    if (open === undefined) return;
    const entries = open.group.entries;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry.path === path && !entry.undone && entry.kind !== 'ping' && entry.cause !== 'file') {
        entry.undone = true;
        // Once everything is undone, the outermost batch has failed: the next batched record is a new batch.
        if (entries.every((e) => e.undone || e.kind === 'ping' || e.cause === 'file')) open.flushing = true;
        this.#changed();
        return;
      }
    }
  }

  #isMuted(path: string, cause: TraceCause): boolean {
    const muted = this.#muted;
    return muted.causes.includes(cause) || muted.paths.some((prefix) => isAtOrBelow(path, prefix));
  }

  /**
   * Merges the item at `index` (complete: a change, or a closed group) into the nearest earlier item it
   * repeats, which then moves up to its place; returns whether it did.
   */
  #collapse(index: number): boolean {
    if (!this.#collapseRepeats) return false;
    const item = this.#items[index];
    const signature = itemSignature(item);
    if (signature === undefined) return false;
    const paths = new Set(itemEntries(item).map((entry) => entry.path));
    const sourceId = itemSource(item);
    for (let i = index - 1; i >= 0 && i >= index - REPEAT_LOOKBACK; i--) {
      const earlier = this.#items[i];
      if (itemSource(earlier) !== sourceId) continue;
      if (earlier.type === item.type && itemSignature(earlier) === signature) {
        this.#absorb(item, earlier);
        this.#items.splice(i, 1);
        return true;
      }
      // A change of one of these paths in between: merging across it would misstate the order.
      if (itemEntries(earlier).some((entry) => paths.has(entry.path))) return false;
    }
    return false;
  }

  /** `item` takes over what `earlier` stood for: its values before, its first time, its count. */
  #absorb(item: MutableItem, earlier: MutableItem): void {
    const entries = itemEntries(item);
    const older = itemEntries(earlier);
    for (let i = 0; i < entries.length; i++) {
      entries[i].before = older[i].before;
      entries[i].unreadableBefore = older[i].unreadableBefore;
      entries[i].layout = older[i].layout;
      entries[i].count += older[i].count;
      entries[i].firstTime = older[i].firstTime;
      this.#byId.delete(older[i].id);
    }
    this.#count -= older.length;
    if (item.type === 'group' && earlier.type === 'group') {
      item.group.count += earlier.group.count;
      this.#groups.delete(earlier.group.id);
    }
  }

  /** Drops the oldest entries beyond the bounds; returns whether any went. */
  #trim(): boolean {
    const dropped = this.#trimByAge();
    return this.#trimByCount() || dropped;
  }

  /** Items are ordered by their last change, so the old ones are at the front. */
  #trimByAge(): boolean {
    if (this.#maxAgeMs === undefined) return false;
    const oldest = this.#now() - this.#maxAgeMs;
    let drop = 0;
    while (drop < this.#items.length) {
      const item = this.#items[drop];
      const entries = itemEntries(item);
      if (entries.length > 0 && entries[entries.length - 1].time >= oldest) break;
      // The open group is still being written: it is new, whatever its first entry's time.
      if (item.type === 'group' && this.#open.get(item.group.sourceId)?.group === item.group) break;
      for (const entry of entries) this.#byId.delete(entry.id);
      this.#count -= entries.length;
      if (item.type === 'group') this.#groups.delete(item.group.id);
      drop++;
    }
    if (drop > 0) this.#items.splice(0, drop);
    return drop > 0;
  }

  #trimByCount(): boolean {
    if (this.#count <= this.#maxEntries) return false;
    let drop = 0;
    while (this.#count > this.#maxEntries) {
      const oldest = this.#items[drop];
      if (oldest.type === 'entry') {
        this.#byId.delete(oldest.entry.id);
        this.#count--;
        drop++;
        continue;
      }
      const entries = oldest.group.entries;
      const excess = Math.min(entries.length, this.#count - this.#maxEntries);
      for (const entry of entries.slice(0, excess)) this.#byId.delete(entry.id);
      oldest.group.entries = entries.slice(excess);
      this.#count -= excess;
      if (oldest.group.entries.length === 0) {
        this.#groups.delete(oldest.group.id);
        drop++;
      }
    }
    if (drop > 0) this.#items.splice(0, drop);
    return true;
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

function itemEntries(item: MutableItem): MutableEntry[] {
  return item.type === 'entry' ? [item.entry] : item.group.entries;
}

function itemSource(item: MutableItem): string {
  return item.type === 'entry' ? item.entry.sourceId : item.group.sourceId;
}

/** What makes two items repeats of each other; `undefined` for one that never merges (it holds an undone change). */
function itemSignature(item: MutableItem): string | undefined {
  const entries = itemEntries(item);
  if (entries.length === 0 || entries.some((entry) => entry.undone)) return undefined;
  return entries.map((entry) => `${entry.kind}\u0000${entry.path}\u0000${entry.cause}\u0000${entry.silent ? 1 : 0}`).join('\n');
}

function positiveOrUndefined(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Whether `path` is `prefix` or lies below it; `prefix` is a canonical path such as `/a/b` or `/`. */
export function isAtOrBelow(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  return path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/**
 * JSON text of a traced value; `undefined` stays undefined (missing). Values JSON cannot hold become their
 * string form; an UnreadableValue (S131) becomes `<unreadable: why>`, and `onUnreadable` hears of it.
 */
export function encode(value: unknown, onUnreadable?: (value: UnreadableValue) => void): string | undefined {
  if (value === undefined) return undefined;
  const replacer = (_key: string, item: unknown): unknown => {
    if (!(item instanceof UnreadableValue)) return item;
    onUnreadable?.(item);
    return `<unreadable: ${item.error.detail}>`;
  };
  try {
    return JSON.stringify(value, replacer) ?? String(value);
  } catch {
    return JSON.stringify(String(value));
  }
}

interface EncodedBefore {
  readonly text: string | undefined;
  readonly unreadable: UnreadableFile | undefined;
}

function encodeBefore(value: unknown): EncodedBefore {
  let unreadable: UnreadableFile | undefined;
  const text = encode(value, (item) => {
    unreadable ??= { file: item.file, detail: item.error.detail };
  });
  return { text, unreadable };
}

/** The value a JSON text stands for; `undefined` for missing. */
export function decode(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

/** A value as a short line for the list: at most `width` characters. */
export function shortValue(text: string | undefined, width = 24): string {
  if (text === undefined) return 'missing';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** "before → after" for the list, each value at most `width` characters. */
export function summary(entry: ChangeEntry, width?: number): string {
  if (entry.kind === 'ping') return `ping ${shortValue(entry.after, width)}`;
  return `${shortValue(entry.before, width)} → ${shortValue(entry.after, width)}`;
}

/** Who made a change, in a word or two, for the list. */
export function shortCause(cause: TraceCause): string {
  if (cause === 'api') return 'explorer';
  if (cause.startsWith('derive:')) return `derive ${cause.slice('derive:'.length)}`;
  if (cause.startsWith('track:')) return `tracker ${cause.slice('track:'.length)}`;
  if (cause.startsWith('callback:')) return `callback ${cause.slice('callback:'.length)}`;
  return cause;
}

/** Who made a change, in words. */
export function describeCause(cause: TraceCause): string {
  if (cause === 'api') return 'explorer';
  if (cause === 'file') return 'file (another process)';
  if (cause === 'remote') return 'another process sharing the backend';
  if (cause.startsWith('derive:')) return `derivation of ${cause.slice('derive:'.length)}`;
  if (cause.startsWith('track:')) return `tracker ${cause.slice('track:'.length)}`;
  if (cause.startsWith('callback:')) return `callback ${cause.slice('callback:'.length)}`;
  return cause;
}

/**
 * What writing the value before back means for an entry: a write of that value, a delete, or nothing
 * (pings and undone changes changed nothing that could be put back). A node read with children is traced
 * as its merged view (S10); for a change of it only its own value, under "/", is written back, so the
 * children stay; for its delete the whole subtree comes back, one own value per node ('restore', parents
 * first). A value before that held a file that could not be parsed cannot be written back at all:
 * 'unavailable' says which.
 */
export type RevertAction =
  | { readonly kind: 'write'; readonly path: string; readonly value: unknown }
  | { readonly kind: 'restore'; readonly path: string; readonly nodes: readonly { readonly path: string; readonly value: unknown }[] }
  | { readonly kind: 'delete'; readonly path: string }
  | { readonly kind: 'unavailable'; readonly path: string; readonly unreadable: UnreadableFile }
  | { readonly kind: 'none' };

/** The actions that write something back. */
export type Reverting = Extract<RevertAction, { kind: 'write' | 'restore' | 'delete' }>;

export function isReverting(action: RevertAction): action is Reverting {
  return action.kind === 'write' || action.kind === 'restore' || action.kind === 'delete';
}

export function revertAction(entry: ChangeEntry): RevertAction {
  if (entry.kind === 'ping' || entry.undone) return { kind: 'none' };
  if (entry.unreadableBefore !== undefined) return { kind: 'unavailable', path: entry.path, unreadable: entry.unreadableBefore };
  if (entry.before === undefined) return { kind: 'delete', path: entry.path };
  const value = decode(entry.before);
  if (entry.kind === 'delete') {
    const layout = entry.layout === undefined ? undefined : new Set(entry.layout);
    const hadChildren = (path: string, read: unknown): boolean => isObject(read) && (layout === undefined ? hasOwnKey(read) : layout.has(path));
    if (hadChildren(entry.path, value)) {
      const nodes: { path: string; value: unknown }[] = [];
      collectOwnValues(entry.path, value, hadChildren, nodes);
      return { kind: 'restore', path: entry.path, nodes };
    }
  }
  const own = isObject(value) && hasOwnKey(value) ? value['/'] : value;
  return { kind: 'write', path: entry.path, value: own };
}

function hasOwnKey(value: Record<string, unknown>): boolean {
  return Object.prototype.hasOwnProperty.call(value, '/');
}

/** The own value of every node of a merged read (S10) that has one, parents first. */
function collectOwnValues(
  path: string, read: unknown, hadChildren: (path: string, read: unknown) => boolean, into: { path: string; value: unknown }[],
): void {
  if (!hadChildren(path, read)) {
    into.push({ path, value: read });
    return;
  }
  const node = read as Record<string, unknown>;
  if (hasOwnKey(node)) into.push({ path, value: node['/'] });
  for (const [name, child] of Object.entries(node)) {
    if (name !== '/') collectOwnValues(path === '/' ? `/${name}` : `${path}/${name}`, child, hadChildren, into);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
