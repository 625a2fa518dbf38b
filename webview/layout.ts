import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { GraphView, GraphViewNode } from '../extension/protocol';

// The graph's layout, by elkjs's layered algorithm (sources left, what they feed to the right). No DOM here,
// and no elkjs of its own: the page passes an elkjs that runs in a web worker (layoutWorker.ts) and node sizes
// from its measured text; the unit tests pass elkjs's in-process bundle and sizes from the label lengths, so
// the same code is measured in plain Node.

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface NodeBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphLayout {
  readonly nodes: ReadonlyMap<string, NodeBox>;
  /** Each edge's polyline, by edge id. */
  readonly edges: ReadonlyMap<string, readonly Point[]>;
  readonly width: number;
  readonly height: number;
}

const CHAR_WIDTH = 7;
const PADDING = 20;
const PATH_HEIGHT = 26;
const RUNNER_HEIGHT = 40;

export function nodeSize(node: GraphViewNode): { width: number; height: number } {
  const text = Math.max(node.label.length, node.kind === 'path' ? 0 : 14);
  return { width: Math.min(320, text * CHAR_WIDTH + PADDING), height: node.kind === 'path' ? PATH_HEIGHT : RUNNER_HEIGHT };
}

// Tuned for speed at a few hundred nodes (measured by test/unit/graph/layout.test.ts): one crossing-
// minimisation pass and no greedy switch (both cost seconds on wide layers, for few crossings saved), and
// polyline routing, which is cheaper than orthogonal.
const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'POLYLINE',
  'elk.spacing.nodeNode': '14',
  'elk.layered.spacing.nodeNodeBetweenLayers': '48',
  'elk.layered.thoroughness': '1',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
};

/**
 * From this many nodes on, nodes are placed in their layers by the simple strategy instead of Brandes and
 * Köpf's, which straightens more edges but took half of a 2,000-node layout's time (3.0 s of CPU against
 * 1.5 s, bench in test/unit/graph/layout.test.ts).
 */
export const LARGE_GRAPH_NODES = 1_000;
const LARGE_GRAPH_OPTIONS: Record<string, string> = { ...LAYOUT_OPTIONS, 'elk.layered.nodePlacement.strategy': 'SIMPLE' };

/** What lays a graph out: elkjs in a web worker on the page, elkjs's in-process bundle in the unit tests. */
export type LayoutEngine = Pick<ELK, 'layout'>;

export type NodeSizer = (node: GraphViewNode) => { width: number; height: number };

export async function layoutGraph(view: GraphView, engine: LayoutEngine, sizeOf: NodeSizer = nodeSize): Promise<GraphLayout> {
  const ids = new Set(view.nodes.map((node) => node.id));
  const graph: ElkNode = {
    id: '__root',
    layoutOptions: view.nodes.length >= LARGE_GRAPH_NODES ? LARGE_GRAPH_OPTIONS : LAYOUT_OPTIONS,
    children: view.nodes.map((node) => ({ id: node.id, ...sizeOf(node) })),
    edges: view.edges
      .filter((edge) => ids.has(edge.from) && ids.has(edge.to))
      .map((edge): ElkExtendedEdge => ({ id: edge.id, sources: [edge.from], targets: [edge.to] })),
  };
  const result = await engine.layout(graph);
  const nodes = new Map<string, NodeBox>();
  for (const child of result.children ?? []) {
    nodes.set(child.id, { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 });
  }
  const edges = new Map<string, Point[]>();
  for (const edge of result.edges ?? []) {
    const points: Point[] = [];
    for (const section of edge.sections ?? []) points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
    if (edge.id) edges.set(edge.id, points);
  }
  return { nodes, edges, width: result.width ?? 0, height: result.height ?? 0 };
}

/** The zoom at which a graph is shown at most when it is fitted: its text at the editor's size, not blown up. */
export const MAX_FIT_SCALE = 1;
const FIT_MARGIN = 12;

/**
 * The pan and zoom that show all of `content` centred in a panel of `panel`'s size, at most at MAX_FIT_SCALE;
 * undefined while the panel has no size yet (a webview before its first layout), so a fit waits for one.
 */
export function fittedView(panel: { width: number; height: number }, content: { width: number; height: number }): { x: number; y: number; scale: number } | undefined {
  if (panel.width <= 2 * FIT_MARGIN || panel.height <= 2 * FIT_MARGIN || content.width <= 0 || content.height <= 0) return undefined;
  const scale = Math.min(MAX_FIT_SCALE, (panel.width - 2 * FIT_MARGIN) / content.width, (panel.height - 2 * FIT_MARGIN) / content.height);
  return { scale, x: (panel.width - content.width * scale) / 2, y: (panel.height - content.height * scale) / 2 };
}

/** `text`, cut and ended with `…` where needed so that `measure` gives at most `maxWidth`. */
export function fitText(text: string, maxWidth: number, measure: (text: string) => number): string {
  if (measure(text) <= maxWidth) return text;
  let low = 0;
  let high = text.length;
  // The longest prefix that fits with the ellipsis, by bisection: measuring is the costly part.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (measure(`${text.slice(0, middle)}…`) <= maxWidth) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, low)}…`;
}
