// The messages between the graph panel (extension host) and its webview, and the state the webview keeps
// across hide/show and window reloads. Types only: both sides import this file, the webview in the browser.

export type GraphNodeKind = 'path' | 'derivation' | 'tracker';

export interface GraphViewNode {
  /** A state path (`/a/b`), `derive:<dest>`, `tracker:<name>`, or a controller id for code outside the file. */
  readonly id: string;
  readonly kind: GraphNodeKind;
  readonly label: string;
  readonly runCount: number;
  readonly lastRunMs: number | null;
  readonly lastError: string | null;
  /** Defined in the file but not running: the workspace is not trusted. */
  readonly inactive: boolean;
  /**
   * The process a derivation or tracker runs in, when it is not this window: a running app seen through its
   * inspector (`demo-writer, pid 4242`). Absent for paths and for the workspace's own definitions.
   */
  readonly owner?: string;
}

export type GraphEdgeKind = 'source' | 'dest' | 'read' | 'write';

export interface GraphViewEdge {
  /** `${from}->${to}` */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: GraphEdgeKind;
}

export interface GraphView {
  readonly nodes: readonly GraphViewNode[];
  readonly edges: readonly GraphViewEdge[];
}

/** What changed between two views: the webview re-lays out only when nodes or edges came or went. */
export interface GraphDiff {
  readonly addedNodes: readonly GraphViewNode[];
  readonly removedNodes: readonly string[];
  /** Nodes whose statistics or state changed, in full. */
  readonly changedNodes: readonly GraphViewNode[];
  readonly addedEdges: readonly GraphViewEdge[];
  readonly removedEdges: readonly string[];
}

export interface HostChoice {
  readonly id: string;
  readonly label: string;
}

/** What set a chain of runs going: a trace cause (S122) that is not a derivation's or a tracker's write. */
export type RunOrigin = 'api' | 'file' | 'initial' | 'ping' | 'rollback' | `callback:${string}`;

/** How the run list labels a run's cause: the origin kinds, or `derive`/`track` for a write by another run. */
export type RunCauseKind = 'api' | 'file' | 'initial' | 'ping' | 'rollback' | 'callback' | 'derive' | 'track';

/**
 * The way a change travelled to a run and on: `origin`, then graph node ids from the first changed path to the
 * run's own node, alternating path and derivation/tracker (`/counter`, `derive:/doubled`, `/doubled`,
 * `tracker:view`), then the paths the run wrote.
 */
export interface CauseChain {
  /** What started it; undefined when the start is no longer in the log (`complete` is then false). */
  readonly origin: RunOrigin | undefined;
  readonly steps: readonly string[];
  readonly writes: readonly string[];
  readonly complete: boolean;
}

/** One run of a derivation or tracker, as the panel lists it. */
export interface RunView {
  /** The trace record's `seq`: unique per state folder, rising. */
  readonly seq: number;
  /** The graph node that ran. */
  readonly subject: string;
  /** Wall-clock time the run ended, ms since the epoch. */
  readonly endedAt: number;
  readonly triggerPath: string;
  readonly causeKind: RunCauseKind;
  /** The graph node whose write caused the run, for `derive` and `track`; the callback id for `callback`. */
  readonly causeNode: string | undefined;
  readonly durationMs: number;
  readonly error: string | null;
  readonly chain: CauseChain;
}

export type ToWebview =
  /** The whole graph: on ready, and when the panel switches to another state folder. */
  | { readonly type: 'reset'; readonly host: HostChoice; readonly hosts: readonly HostChoice[]; readonly trusted: boolean; readonly graph: GraphView }
  | { readonly type: 'diff'; readonly diff: GraphDiff }
  /**
   * Nodes that just changed (paths) or ran (derivations, trackers); `noticedAt` is when the host heard of the
   * first of them (Date.now()), so the page can tell how long a flash took to show.
   */
  | { readonly type: 'flash'; readonly ids: readonly string[]; readonly noticedAt: number }
  | { readonly type: 'hosts'; readonly hosts: readonly HostChoice[]; readonly trusted: boolean }
  /** Select a node (Trace…); the webview answers with its own `select`. */
  | { readonly type: 'select'; readonly id: string }
  /** The recent runs that concern the selected node, newest first; sent again whenever one is added. */
  | { readonly type: 'runs'; readonly subject: string; readonly runs: readonly RunView[]; readonly sentAt: number };

export type FromWebview =
  | { readonly type: 'ready' }
  /** A click: reveal a path in the State Explorer, open a definition's entry. */
  | { readonly type: 'open'; readonly id: string }
  | { readonly type: 'selectHost'; readonly hostId: string }
  /** Reported after each layout, for the record (the output channel) and the tests. */
  | { readonly type: 'laidOut'; readonly nodes: number; readonly edges: number; readonly ms: number }
  /** The node the user selected (or null: none); the host answers with its runs. */
  | { readonly type: 'select'; readonly id: string | null }
  /** A button of the empty graph's hint. */
  | { readonly type: 'define'; readonly what: 'derive' | 'track' };

/** The webview's vscode.setState: restored when the panel is shown again or revived after a reload. */
export interface GraphWebviewState {
  readonly hostId?: string;
  readonly view?: { readonly x: number; readonly y: number; readonly scale: number };
  readonly filter?: string;
  /** The selected node, and the run whose cause chain is drawn. */
  readonly selected?: string;
  readonly run?: number;
}
