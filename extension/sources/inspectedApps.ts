import { hostname } from 'node:os';
import { inspectorDiscovery, type InspectAnnouncement, type InspectorConnection, type InspectorDiscovery } from '../restate';
import { InspectedApp } from './inspectedApp';
import { connectToInspector } from './inspectorConnection';
import type { LiveApp, LiveApps } from './liveApps';

/*
 * The running apps of every state root, found through their announcements. Nothing here depends on VS Code.
 */

/** A state root whose apps are looked for. */
export interface InspectedRoot {
  /** Its StateHost id. */
  readonly id: string;
  /** Where its apps announce themselves, for the log: a folder on this machine, a Redis tree. */
  readonly where: string;
  /** What decides where to look: a root given again with another key is looked for anew. */
  readonly key: string;
  /** Finds its apps: inspectorDiscovery for a state folder, redisInspectorDiscovery for a Redis tree. */
  discover(): InspectorDiscovery | Promise<InspectorDiscovery>;
}

/** The apps of a state folder on this machine. */
export function folderRoot(id: string, stateFolder: string): InspectedRoot {
  return { id, where: stateFolder, key: stateFolder, discover: () => inspectorDiscovery(stateFolder) };
}

export interface InspectedAppsOptions {
  /** Where a failure is told, in one line: a connection that broke, a peer that sent too much. */
  readonly log: (line: string) => void;
  /**
   * Connects to an app on a local socket; by default connectToInspector, which tells the log of lines it
   * cannot read. Apps announced over Redis are connected to by their root's discovery.
   */
  readonly connect?: (announcement: InspectAnnouncement) => InspectorConnection;
}

/**
 * Whether a connection's end is worth a line in the log: a broken socket, a peer that sent too much or too
 * much that is not the protocol, or one that never said hello. An app that exits or says bye is no failure.
 */
function isFailure(reason: string, connection: InspectorConnection): boolean {
  if (reason === 'closed by the explorer') return false;
  if (connection.hello === undefined) return true;
  const name = connection.announcement.name;
  return reason.startsWith(`the connection to ${name} failed`) || reason.startsWith(`${name} sent `);
}

interface RootWatch {
  readonly root: InspectedRoot;
  /** Undefined while it is being made. */
  discovery: InspectorDiscovery | undefined;
  stop: () => void;
  /** Every announcement seen, by key: its connection, and its app once it said hello. */
  readonly connections: Map<string, { connection: InspectorConnection; app?: InspectedApp }>;
}

/** The key of an announcement: a restarted app announces itself anew, with another pid and start time. */
function keyOf(announcement: InspectAnnouncement): string {
  return `${announcement.transport}|${announcement.address}|${announcement.pid}|${announcement.started}`;
}

/**
 * Watches each root's announcements, connects to every app announced, and lists it once it said hello. An app
 * is forgotten when its connection closes (it exited, said bye, or broke the protocol) and is not connected
 * to again while the same announcement stays; a restarted app announces itself anew and is listed again.
 */
export class InspectedApps implements LiveApps {
  readonly #log: (line: string) => void;
  readonly #connectTo: (announcement: InspectAnnouncement) => InspectorConnection;
  readonly #roots = new Map<string, RootWatch>();
  readonly #listeners = new Set<(rootId: string) => void>();
  readonly #localHost = hostname();
  #disposed = false;

  constructor(options: InspectedAppsOptions) {
    this.#log = options.log;
    this.#connectTo = options.connect ?? ((announcement) => connectToInspector(announcement, this.#log));
  }

  get all(): readonly LiveApp[] {
    return [...this.#roots.keys()].flatMap((id) => this.appsOf(id));
  }

  appsOf(rootId: string): readonly LiveApp[] {
    const watch = this.#roots.get(rootId);
    if (watch === undefined) return [];
    return [...watch.connections.values()].flatMap(({ app }) => (app === undefined ? [] : [app]));
  }

  appFor(id: string): LiveApp | undefined {
    return this.all.find((app) => app.id === id);
  }

  onDidChangeApps(listener: (rootId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Looks for the apps of these roots (and no others): a root already watched is kept with its apps. */
  setRoots(roots: readonly InspectedRoot[]): void {
    if (this.#disposed) return;
    const wanted = new Map(roots.map((root) => [root.id, root]));
    for (const [id, watch] of this.#roots) {
      if (wanted.get(id)?.key !== watch.root.key) this.#unwatch(id);
    }
    for (const root of roots) if (!this.#roots.has(root.id)) this.#watch(root);
  }

  #watch(root: InspectedRoot): void {
    const watch: RootWatch = { root, discovery: undefined, connections: new Map(), stop: () => undefined };
    this.#roots.set(root.id, watch);
    const started = (discovery: InspectorDiscovery): void => {
      // The root may have been dropped while its discovery was being made.
      if (this.#roots.get(root.id) !== watch) {
        discovery.dispose();
        return;
      }
      watch.discovery = discovery;
      watch.stop = discovery.watch((announcements) => this.#announced(watch, announcements));
    };
    const failed = (error: unknown): void => this.#log(`cannot look for running apps of ${root.where}: ${messageOf(error)}`);
    try {
      const discovery = root.discover();
      if (discovery instanceof Promise) discovery.then(started, failed);
      else started(discovery);
    } catch (error) {
      failed(error);
    }
  }

  #unwatch(id: string): void {
    const watch = this.#roots.get(id);
    if (watch === undefined) return;
    this.#roots.delete(id);
    watch.stop();
    watch.discovery?.dispose();
    const listed = [...watch.connections.values()].some((entry) => entry.app !== undefined);
    for (const { connection, app } of watch.connections.values()) {
      app?.dispose();
      connection.close();
    }
    watch.connections.clear();
    if (listed) this.#fire(id);
  }

  #announced(watch: RootWatch, announcements: readonly InspectAnnouncement[]): void {
    if (this.#roots.get(watch.root.id) !== watch) return;
    const live = new Set(announcements.map(keyOf));
    // An announcement that went takes its app along, even if the connection has not noticed yet.
    let changed = false;
    for (const [key, entry] of watch.connections) {
      if (live.has(key)) continue;
      watch.connections.delete(key);
      if (entry.app !== undefined) changed = true;
      entry.app?.dispose();
      entry.connection.close();
    }
    if (changed) this.#fire(watch.root.id);
    for (const announcement of announcements) {
      const key = keyOf(announcement);
      if (!watch.connections.has(key)) this.#connect(watch, key, announcement);
    }
  }

  #connect(watch: RootWatch, key: string, announcement: InspectAnnouncement): void {
    const described = `${announcement.name} (pid ${announcement.pid})`;
    let connection: InspectorConnection;
    try {
      connection = announcement.transport === 'redis' && watch.discovery !== undefined ? watch.discovery.connect(announcement) : this.#connectTo(announcement);
    } catch (error) {
      this.#log(`cannot connect to the inspector of ${described}: ${messageOf(error)}`);
      return;
    }
    const entry: { connection: InspectorConnection; app?: InspectedApp } = { connection };
    watch.connections.set(key, entry);
    connection.on('hello', (hello) => {
      if (entry.app !== undefined || watch.connections.get(key) !== entry) return;
      entry.app = new InspectedApp(watch.root.id, connection, hello, this.#localHost);
      this.#fire(watch.root.id);
    });
    connection.on('close', (reason) => {
      // Kept in the map without an app, so that the same announcement is not connected to again.
      const app = entry.app;
      entry.app = undefined;
      app?.dispose();
      if (isFailure(reason, connection)) this.#log(`inspector of ${described} for ${watch.root.where}: ${reason}`);
      if (app !== undefined) this.#fire(watch.root.id);
    });
  }

  #fire(rootId: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(rootId);
      } catch (error) {
        this.#log(`a listener of the running apps failed: ${messageOf(error)}`);
      }
    }
  }

  dispose(): void {
    this.#disposed = true;
    for (const id of [...this.#roots.keys()]) this.#unwatch(id);
    this.#listeners.clear();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
