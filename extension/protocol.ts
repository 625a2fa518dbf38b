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

export type ToWebview =
  /** The whole graph: on ready, and when the panel switches to another state folder. */
  | { readonly type: 'reset'; readonly host: HostChoice; readonly hosts: readonly HostChoice[]; readonly trusted: boolean; readonly graph: GraphView }
  | { readonly type: 'diff'; readonly diff: GraphDiff }
  /** Nodes that just changed (paths) or ran (derivations, trackers). */
  | { readonly type: 'flash'; readonly ids: readonly string[] }
  | { readonly type: 'hosts'; readonly hosts: readonly HostChoice[]; readonly trusted: boolean };

export type FromWebview =
  | { readonly type: 'ready' }
  /** A click: reveal a path in the State Explorer, open a definition's entry. */
  | { readonly type: 'open'; readonly id: string }
  | { readonly type: 'selectHost'; readonly hostId: string }
  /** Reported after each layout, for the record (the output channel) and the tests. */
  | { readonly type: 'laidOut'; readonly nodes: number; readonly edges: number; readonly ms: number };

/** The webview's vscode.setState: restored when the panel is shown again or revived after a reload. */
export interface GraphWebviewState {
  readonly hostId?: string;
  readonly view?: { readonly x: number; readonly y: number; readonly scale: number };
  readonly filter?: string;
}
