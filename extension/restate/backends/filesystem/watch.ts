import { mkdirSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { watch as watchFolder } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { RestateFormatError } from '../../errors';
import { splitPath } from '../../path';
import { UnreadableValue } from '../../unreadable';
import { OWN_VALUE_KEY, compareNames } from '../../values';
import type { BackendChange } from '../backend';
import { COMPONENT } from './layout';
import { isTemporaryName } from './names';
import type { Serializer } from './serializer';

/**
 * A file that fails to parse right after a change may be half-written by a writer that writes in place (the
 * Python original): it is read again after these pauses before it is reported as unreadable (S133).
 */
const REPARSE_DELAYS_MS = [25, 50, 100, 200, 400];
/** Events that come this close together are handled as one burst. */
const COALESCE_MS = 2;
/** When a folder appears, its files are looked at at once and again after this long. */
const NEW_FOLDER_RESCAN_MS = 100;
/** How long after chokidar's 'ready' the watcher is taken to see every change. */
const READY_MARGIN_MS = 25;

export interface FolderWatcherOptions {
  /** The state folder. */
  readonly base: string;
  /** The root's value file, next to the folder. */
  readonly rootFile: string;
  /** The value files' suffix, with its dot. */
  readonly suffix: string;
  readonly serializer: Serializer;
  /** The node's read with unparseable files as UnreadableValues (S131), or MISSING; for nodes with children. */
  readonly readTolerant: (path: string) => unknown;
}

/**
 * Reports the changes other processes make to a state folder (S126), from a chokidar watcher on the folder
 * and the root's value file.
 *
 * It keeps the content of every value file as it last knew it: read once when watching starts, then as
 * this process wrote it (the backend says so before it writes or deletes) or as it reported it. A file
 * whose content is what the watcher knows is no news, so this process's own writes are never reported
 * back; and a delete is reported with the subtree's old value, so that subscribers below it hear of it.
 * Temporary files are ignored; a file that cannot be parsed is reported with an UnreadableValue as value.
 */
export class FolderWatcher {
  readonly #options: FolderWatcherOptions;
  readonly #listeners = new Set<(change: BackendChange) => void>();
  /** Value file → its content as this process last knew it, or null when it knew it absent. */
  readonly #known = new Map<string, Buffer | null>();
  /** Paths whose subtree this process deleted or reported deleted: their unknown files are known absent. */
  readonly #deleted = new Set<string>();
  /** Paths with events not yet handled, and whether an event was about the value file (not only the folder). */
  readonly #pending = new Map<string, boolean>();
  /** Per path, the handling under way, so that reports for one path keep their order. */
  readonly #handling = new Map<string, Promise<void>>();
  #watchers: FSWatcher[] | undefined;
  #ready: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Counts this process's own writes and deletes, so that a read that overlapped one is done again. */
  #ownChanges = 0;
  /** Paths with own writes or deletes under way, and how many. */
  readonly #busy = new Map<string, number>();
  #whenIdle: (() => void)[] = [];

  constructor(options: FolderWatcherOptions) {
    this.#options = options;
  }

  /** Starts reporting to `onChange` until the returned function is called; the last one stops the watcher. */
  watch(onChange: (change: BackendChange) => void): () => void {
    this.#listeners.add(onChange);
    if (this.#watchers === undefined) this.#start();
    return () => {
      if (!this.#listeners.delete(onChange)) return;
      if (this.#listeners.size === 0) void this.close();
    };
  }

  /** Resolves once the watcher sees changes: changes made before may go unreported. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Stops watching and forgets what it knew. */
  async close(): Promise<void> {
    this.#listeners.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
    this.#known.clear();
    this.#deleted.clear();
    const watchers = this.#watchers ?? [];
    this.#watchers = undefined;
    await Promise.all(watchers.map((watcher) => watcher.close()));
  }

  /**
   * Called before this process writes `data` as the value of `path`; the returned function is called once the
   * write is over (done or failed). Events for the path wait until then.
   */
  ownWrite(path: string, data: string | Uint8Array): () => void {
    this.#ownChanges++;
    if (this.#watchers === undefined) return NOTHING;
    this.#known.set(this.#valueFile(path), typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
    return this.#begin(path);
  }

  /** Called before this process deletes the subtree at `path`; the returned function once it is over. */
  ownDelete(path: string): () => void {
    this.#ownChanges++;
    if (this.#watchers === undefined) return NOTHING;
    this.#forgetBelow(path);
    return this.#begin(path);
  }

  /** Marks an own write or delete of `path` as under way, until the returned function is called. */
  #begin(path: string): () => void {
    this.#busy.set(path, (this.#busy.get(path) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#busy.get(path) ?? 1) - 1;
      if (left === 0) this.#busy.delete(path);
      else this.#busy.set(path, left);
      const waiters = this.#whenIdle;
      this.#whenIdle = [];
      for (const wake of waiters) wake();
    };
  }

  /**
   * Resolves once no own write or delete of `path` or of an ancestor is under way: while one is, the files
   * may still show an older state than the one this process already recorded as known.
   */
  async #settled(path: string): Promise<void> {
    while (this.#busy.size > 0 && ancestorsAndSelf(path).some((candidate) => this.#busy.has(candidate))) {
      await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
    }
  }

  #start(): void {
    const { base, rootFile } = this.#options;
    // A folder that does not exist yet cannot be watched (chokidar would not see it appear): it is created
    // empty, which is an empty tree to every reader.
    mkdirSync(base, { recursive: true });
    const ignored = (file: string): boolean => isTemporaryName(basename(file));
    // The folder, and the root's value file beside it: the second watches the parent folder alone, without
    // descending, since chokidar says it is ready before it has looked at a path that does not exist yet.
    const watchers = [
      watchFolder(base, { ignoreInitial: false, persistent: false, ignored }),
      watchFolder(dirname(base), { ignoreInitial: false, persistent: false, depth: 0, ignored: (file: string) => file !== dirname(base) && file !== rootFile }),
    ];
    // The first pass reports every existing file, which the watcher reads to know the old values. The
    // watchers alone do not keep a process alive: a program that only waits for changes holds something
    // else open, as a server does; a script that is done exits without closing the backend.
    this.#watchers = watchers;
    const learning: Promise<void>[] = [];
    const readies = watchers.map((watcher) => {
      let scanning = true;
      watcher.on('all', (event, file) => {
        if (event === 'addDir') {
          if (!scanning) this.#scanNewFolder(file);
          return;
        }
        const path = this.#pathOf(file, event === 'unlinkDir');
        if (path === undefined) return;
        if (scanning && event === 'add') {
          learning.push(this.#learn(this.#valueFile(path)));
          return;
        }
        this.#enqueue(file, event === 'unlinkDir');
      });
      watcher.on('error', () => {
        // A folder the watcher lost sight of may have changed unseen: everything is read again (S128).
        this.#emit({ path: '/', kind: 'resync' });
      });
      return new Promise<void>((resolve) => watcher.once('ready', () => {
        scanning = false;
        resolve();
      }));
    });
    // chokidar arms some of its watches just after it says it is ready: a file written in the same tick is missed.
    this.#ready = Promise.all(readies)
      .then(() => sleep(READY_MARGIN_MS))
      .then(async () => {
        await Promise.all(learning);
      });
  }

  /**
   * Looks at the files of a folder that just appeared, now and once more a little later: one written in it
   * before the watcher watched it has no event of its own.
   */
  #scanNewFolder(folder: string): void {
    const scan = async (): Promise<void> => {
      for (const file of await valueFilesBelow(folder)) this.#enqueue(file, false);
    };
    void scan().catch(() => undefined);
    setTimeout(() => void scan().catch(() => undefined), NEW_FOLDER_RESCAN_MS).unref();
  }

  #enqueue(file: string, isFolder: boolean): void {
    const path = this.#pathOf(file, isFolder);
    if (path === undefined) return;
    this.#pending.set(path, this.#pending.get(path) === true || !isFolder);
    this.#timer ??= setTimeout(() => this.#flush(), COALESCE_MS);
  }

  /** Reads a file that was there when watching started, so that its old value is known. */
  async #learn(file: string): Promise<void> {
    for (;;) {
      const ownChanges = this.#ownChanges;
      let content: Buffer | undefined;
      try {
        content = await readIfExists(file);
      } catch {
        return;
      }
      if (ownChanges !== this.#ownChanges) continue;
      if (!this.#known.has(file)) this.#known.set(file, content ?? null);
      return;
    }
  }

  /** The state path of a value file or a node's folder, or undefined for any other file. */
  #pathOf(file: string, isFolder: boolean): string | undefined {
    const { base, rootFile, suffix } = this.#options;
    if (file === rootFile) return isFolder ? undefined : '/';
    if (file === base) return isFolder ? '/' : undefined;
    const segments = relative(base, file).split(sep);
    if (segments[0] === '..' || segments.some((segment) => segment === '' || isTemporaryName(segment))) return undefined;
    const last = segments.length - 1;
    if (!isFolder) {
      if (!segments[last].endsWith(suffix) || segments[last].length === suffix.length) return undefined;
      segments[last] = segments[last].slice(0, -suffix.length);
    }
    return '/' + segments.join('/');
  }

  #valueFile(path: string): string {
    const segments = splitPath(path);
    if (segments.length === 0) return this.#options.rootFile;
    return join(this.#options.base, ...segments) + this.#options.suffix;
  }

  #folder(path: string): string {
    return join(this.#options.base, ...splitPath(path));
  }

  #forgetBelow(path: string): void {
    const inside = this.#folder(path) + sep;
    for (const file of this.#known.keys()) {
      if (file.startsWith(inside)) this.#known.delete(file);
    }
    this.#known.set(this.#valueFile(path), null);
    this.#deleted.add(path);
  }

  /** What this process knows of a value file: its content, null when absent, undefined for nothing. */
  #knownContent(path: string, file: string): Buffer | null | undefined {
    const known = this.#known.get(file);
    if (known !== undefined) return known;
    return ancestorsAndSelf(path).some((candidate) => this.#deleted.has(candidate)) ? null : undefined;
  }

  /** The node's own value as far as the watcher knows its value file, or undefined for nothing known. */
  #knownOwnValue(path: string): unknown {
    const file = this.#valueFile(path);
    const content = this.#known.get(file);
    return content === undefined || content === null ? undefined : this.#parseOrUnreadable(path, file, content);
  }

  /** The node's read as far as the watcher knows the files, or undefined for nothing known. */
  #knownValue(path: string): unknown {
    interface Node { content: Buffer | undefined; file: string; children: Map<string, Node> | undefined }
    const ownFile = this.#valueFile(path);
    const root: Node = { content: this.#known.get(ownFile) ?? undefined, file: ownFile, children: undefined };
    const inside = this.#folder(path) + sep;
    const { suffix } = this.#options;
    for (const [file, content] of this.#known) {
      if (content === null || !file.startsWith(inside) || file === this.#options.rootFile) continue;
      const segments = file.slice(inside.length).split(sep);
      let node = root;
      for (const [index, segment] of segments.entries()) {
        const name = index === segments.length - 1 ? segment.slice(0, -suffix.length) : segment;
        node.children ??= new Map();
        let child = node.children.get(name);
        if (child === undefined) {
          child = { content: undefined, file: '', children: undefined };
          node.children.set(name, child);
        }
        node = child;
      }
      node.content = content;
      node.file = file;
    }
    const build = (node: Node, nodePath: string): unknown => {
      const own = node.content === undefined ? undefined : this.#parseOrUnreadable(nodePath, node.file, node.content);
      if (node.children === undefined) return own;
      const result: Record<string, unknown> = {};
      if (node.content !== undefined) result[OWN_VALUE_KEY] = own;
      for (const name of [...node.children.keys()].sort(compareNames)) {
        const child = build(node.children.get(name)!, nodePath === '/' ? `/${name}` : `${nodePath}/${name}`);
        if (child === undefined) continue;
        Object.defineProperty(result, name, { value: child, enumerable: true, writable: true, configurable: true });
      }
      return Object.keys(result).length === 0 ? undefined : result;
    };
    return build(root, path);
  }

  #flush(): void {
    this.#timer = undefined;
    const burst = [...this.#pending];
    this.#pending.clear();
    for (const [path, aboutValue] of burst) {
      const previous = this.#handling.get(path) ?? Promise.resolve();
      const next = previous.then(() => this.#handle(path, aboutValue)).catch(() => {
        // Reading what changed failed (permissions, a folder gone mid-way): the receiver reads the path again.
        this.#emit({ path, kind: 'resync' });
      });
      this.#handling.set(path, next);
      void next.finally(() => {
        if (this.#handling.get(path) === next) this.#handling.delete(path);
      });
    }
  }

  async #handle(path: string, aboutValue: boolean): Promise<void> {
    const file = this.#valueFile(path);
    for (;;) {
      await this.#settled(path);
      if (this.#watchers === undefined) return;
      const ownChanges = this.#ownChanges;
      const [content, hasFolder] = await Promise.all([readIfExists(file), folderExists(this.#folder(path))]);
      // This process changed something meanwhile: what was read may be older than its own write.
      if (ownChanges !== this.#ownChanges) continue;
      const known = this.#knownContent(path, file);
      // Nothing new in the value file; changes below have events of their own.
      if (known === null ? content === undefined : known !== undefined && content !== undefined && known.equals(content)) return;
      const exists = content !== undefined || hasFolder;
      // Only the folder changed and the node is still there: its children's events tell what changed.
      if (!aboutValue && exists) return;
      if (!exists) {
        // A subtree deleted at once is reported once, at its top, however its files' events came.
        let top = path;
        while (top !== '/' && !(await this.#nodeExists(parentOf(top)))) top = parentOf(top);
        if (ownChanges !== this.#ownChanges) continue;
        // The node's own old value, as the Redis change log reports a delete: a receiver knows the children
        // it follows, and would otherwise take the whole old read for the own value.
        const prevValue = this.#knownOwnValue(top);
        this.#forgetBelow(top);
        this.#emit({ path: top, kind: 'delete', prevValue });
        return;
      }
      const prevValue = this.#knownValue(path);
      this.#known.set(file, content ?? null);
      const value = hasFolder ? await this.#options.readTolerant(path) : await this.#parseSettled(path, file, content);
      if (ownChanges !== this.#ownChanges) continue;
      this.#emit({ path, kind: 'write', value, prevValue });
      return;
    }
  }

  async #nodeExists(path: string): Promise<boolean> {
    const found = await Promise.all([this.#valueFile(path), this.#folder(path)].map((file) => stat(file).then(() => true, (error: unknown) => !isMissing(error))));
    return found.includes(true);
  }

  /** The file's value; if it does not parse, read again a few times before it counts as unreadable (S133). */
  async #parseSettled(path: string, file: string, first: Buffer | undefined): Promise<unknown> {
    let content = first;
    for (let attempt = 0; ; attempt++) {
      try {
        if (content === undefined) throw new Error('the file disappeared while it was read');
        return this.#parse(content);
      } catch (error) {
        if (attempt >= REPARSE_DELAYS_MS.length) return unreadable(path, file, error);
        await sleep(REPARSE_DELAYS_MS[attempt]);
        content = await readIfExists(file);
        if (content !== undefined) this.#known.set(file, content);
      }
    }
  }

  #parseOrUnreadable(path: string, file: string, content: Buffer): unknown {
    try {
      return this.#parse(content);
    } catch (error) {
      return unreadable(path, file, error);
    }
  }

  #parse(content: Buffer): unknown {
    const { serializer } = this.#options;
    return serializer.deserialize(serializer.binary === true ? new Uint8Array(content) : content.toString('utf8'));
  }

  #emit(change: BackendChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}

const NOTHING = (): void => undefined;

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** `/a/b` → `['/a/b', '/a', '/']`. */
function ancestorsAndSelf(path: string): string[] {
  const segments = splitPath(path);
  const paths = ['/'];
  for (let i = 1; i <= segments.length; i++) paths.push('/' + segments.slice(0, i).join('/'));
  return paths.reverse();
}

function unreadable(path: string, file: string, error: unknown): UnreadableValue {
  return new UnreadableValue(new RestateFormatError(COMPONENT, path, file, error instanceof Error ? error.message : String(error), { cause: error }));
}

/** The files in a folder and its subfolders; none if it is gone. */
async function valueFilesBelow(folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (isTemporaryName(entry.name)) continue;
    const full = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await valueFilesBelow(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function folderExists(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A file backend's side of watching: the watcher is made by the first `watch`, told of the backend's own
 * writes and deletes while it exists (so that it never reports them), and stopped by `close`.
 */
export class FolderWatching {
  readonly #options: () => FolderWatcherOptions;
  #watcher: FolderWatcher | undefined;

  constructor(options: () => FolderWatcherOptions) {
    this.#options = options;
  }

  watch(onChange: (change: BackendChange) => void): () => void {
    this.#watcher ??= new FolderWatcher(this.#options());
    return this.#watcher.watch(onChange);
  }

  /** See FolderWatcher.ownWrite; nothing to do when nobody watches. */
  ownWrite(path: string, data: string | Uint8Array): (() => void) | undefined {
    return this.#watcher?.ownWrite(path, data);
  }

  /** See FolderWatcher.ownDelete; nothing to do when nobody watches. */
  ownDelete(path: string): (() => void) | undefined {
    return this.#watcher?.ownDelete(path);
  }

  ready(): Promise<void> {
    return this.#watcher?.ready() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.close();
  }
}
