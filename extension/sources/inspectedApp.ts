import { fromWireRecord, type GraphSnapshot, type HelloMessage, type InspectAnnouncement, type InspectorConnection, type TraceListener } from '../restate';
import { appLabel, appOwner, type LiveApp } from './liveApps';
import { TraceLog } from './traceLog';

/*
 * One running app, seen through its inspector connection. Nothing here depends on VS Code.
 */

/**
 * A LiveApp over one InspectorConnection. It subscribes while someone follows it (the graph panel shows it)
 * and unsubscribes when the last one stops: an app that nobody looks at sends nothing.
 */
export class InspectedApp implements LiveApp {
  readonly id: string;
  readonly rootId: string;
  readonly name: string;
  readonly pid: number;
  readonly hostname: string | undefined;
  readonly label: string;
  readonly owner: string;
  readonly trace: TraceLog;
  #graph: GraphSnapshot | undefined;
  #followers = 0;
  readonly #graphListeners = new Set<() => void>();
  readonly #traceListeners = new Set<TraceListener>();
  readonly #connection: InspectorConnection;
  readonly #detach: (() => void)[];

  /**
   * `localHost`: this machine's name, left out of the label of an app that runs here. The connection's
   * listeners are the app's own: `dispose()` removes them, and closing the connection is the caller's.
   */
  constructor(rootId: string, connection: InspectorConnection, hello: HelloMessage, localHost: string) {
    const announcement: InspectAnnouncement = connection.announcement;
    this.rootId = rootId;
    this.#connection = connection;
    this.name = hello.name;
    this.pid = hello.pid;
    this.hostname = hello.host === localHost ? undefined : hello.host;
    this.id = `${rootId}|app|${announcement.pid}|${announcement.started}`;
    this.label = appLabel(this.name, this.pid, this.hostname);
    this.owner = appOwner(this.name, this.pid, this.hostname);
    this.trace = new TraceLog(this, (id) => id);
    this.#detach = [
      connection.on('graph', (graph) => {
        this.#graph = graph;
        for (const listener of [...this.#graphListeners]) listener();
      }),
      connection.on('trace', (records) => {
        for (const wire of records) {
          const record = fromWireRecord(wire);
          for (const listener of [...this.#traceListeners]) listener(record);
        }
      }),
    ];
  }

  get graph(): GraphSnapshot | undefined {
    return this.#graph;
  }

  /** The library and controller it runs, from its hello: `restate 0.1.0, async controller`. */
  get runtime(): string {
    const hello = this.#connection.hello;
    return hello === undefined ? '' : `${hello.library.name} ${hello.library.version}, ${hello.async ? 'async' : 'sync'} controller`;
  }

  onDidChangeGraph(listener: () => void): () => void {
    this.#graphListeners.add(listener);
    return () => this.#graphListeners.delete(listener);
  }

  onTrace(listener: TraceListener): () => void {
    this.#traceListeners.add(listener);
    return () => this.#traceListeners.delete(listener);
  }

  follow(): () => void {
    if (this.#followers++ === 0) this.#connection.subscribe();
    let followed = true;
    return () => {
      if (!followed) return;
      followed = false;
      if (--this.#followers === 0) this.#connection.unsubscribe();
    };
  }

  dispose(): void {
    for (const detach of this.#detach) detach();
    this.#graphListeners.clear();
    this.#traceListeners.clear();
    this.trace.dispose();
  }
}
