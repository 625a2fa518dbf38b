import type { TraceLog } from './traceLog';
import type { GraphSnapshot, TraceListener } from '../restate';

/**
 * A running process that opened an inspector over one of the workspace's state roots, as the explorer and
 * the graph panel see it: who it is, its graph as it last sent it, and its runs. Read-only: nothing is ever
 * sent to it but subscribe and unsubscribe.
 */
export interface LiveApp {
  /** Unique among the apps of the window, stable while the app runs: `<state root id>|app|<key>`. */
  readonly id: string;
  /** The StateHost id of the state root it works on. */
  readonly rootId: string;
  readonly name: string;
  readonly pid: number | undefined;
  /** The machine it runs on, when it is not this one (a Redis root's apps). */
  readonly hostname: string | undefined;
  /** `demo-writer (pid 4242)`: how the tree and the graph's host list name it. */
  readonly label: string;
  /** `demo-writer, pid 4242`: the owner the graph marks its derivations and trackers with. */
  readonly owner: string;
  /** The graph it sent last; undefined until it sent one. */
  readonly graph: GraphSnapshot | undefined;
  readonly trace: TraceLog;
  onDidChangeGraph(listener: () => void): () => void;
  /** The trace records it sends while it is followed. */
  onTrace(listener: TraceListener): () => void;
  /** Asks the app for its graph and its trace until the function returned is called. */
  follow(): () => void;
}

/** The live apps of every state root of the workspace. */
export interface LiveApps {
  readonly all: readonly LiveApp[];
  appsOf(rootId: string): readonly LiveApp[];
  appFor(id: string): LiveApp | undefined;
  /** Fires with the id of the state root whose list of apps changed. */
  onDidChangeApps(listener: (rootId: string) => void): () => void;
}

/** `demo-writer (pid 4242)`, `worker (build-7, pid 12)`, or the name alone. */
export function appLabel(name: string, pid: number | undefined, hostname: string | undefined): string {
  const where = [hostname, pid === undefined ? undefined : `pid ${pid}`].filter((part): part is string => part !== undefined);
  return where.length === 0 ? name : `${name} (${where.join(', ')})`;
}

/** `demo-writer, pid 4242`. */
export function appOwner(name: string, pid: number | undefined, hostname: string | undefined): string {
  return [name, hostname, pid === undefined ? undefined : `pid ${pid}`].filter((part): part is string => part !== undefined).join(', ');
}
