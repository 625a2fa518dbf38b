import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { GraphView, GraphViewNode } from '../extension/protocol';

// The graph's layout, by elkjs's layered algorithm (sources left, what they feed to the right). No DOM here:
// node sizes come from the label lengths, so the same code is measured in plain Node by the unit tests.

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
const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'POLYLINE',
  'elk.spacing.nodeNode': '14',
  'elk.layered.spacing.nodeNodeBetweenLayers': '48',
  'elk.layered.thoroughness': '1',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
};

let elk: InstanceType<typeof ELK> | undefined;

export async function layoutGraph(view: GraphView): Promise<GraphLayout> {
  elk ??= new ELK();
  const ids = new Set(view.nodes.map((node) => node.id));
  const graph: ElkNode = {
    id: '__root',
    layoutOptions: LAYOUT_OPTIONS,
    children: view.nodes.map((node) => ({ id: node.id, ...nodeSize(node) })),
    edges: view.edges
      .filter((edge) => ids.has(edge.from) && ids.has(edge.to))
      .map((edge): ElkExtendedEdge => ({ id: edge.id, sources: [edge.from], targets: [edge.to] })),
  };
  const result = await elk.layout(graph);
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
