import type { Definitions } from '../definitions/config';
import type { GraphView, GraphViewEdge, GraphViewNode } from '../protocol';
import type { GraphNode, GraphSnapshot, RunStats } from '../restate';

/**
 * The graph the panel shows: the controller's snapshot (S118–S119) merged with the definitions file, so that
 * definitions that do not run (untrusted workspace) still show, with tracker writes as edges, and trackers
 * named as in the file. Nothing here depends on VS Code.
 */

const NO_STATS: RunStats = { runCount: 0, lastRunMs: null, lastError: null };

function edge(from: string, to: string, kind: GraphViewEdge['kind']): GraphViewEdge {
  return { id: `${from}->${to}`, from, to, kind };
}

function statsNode(id: string, kind: 'derivation' | 'tracker', label: string, stats: RunStats, inactive: boolean, owner?: string): GraphViewNode {
  return {
    id,
    kind,
    label,
    runCount: stats.runCount,
    lastRunMs: stats.lastRunMs,
    lastError: stats.lastError ? `${stats.lastError.name}: ${stats.lastError.message}` : null,
    inactive,
    ...(owner === undefined ? {} : { owner }),
  };
}

/**
 * @param snapshot the controller's graph, or undefined when nothing runs
 * @param definitionIdOf maps a controller id (`track:3`) to its definition id (`tracker:view`), if any
 * @param ranAheadMs how long the transform of a derivation's last run ran ahead of it (DefinitionRunner.runAhead),
 *   which the controller's lastRunMs does not include
 * @param owner the process the snapshot's derivations and trackers run in, when it is not this window
 */
export function buildGraphView(
  snapshot: GraphSnapshot | undefined,
  definitions: Definitions,
  definitionIdOf: (controllerId: string) => string | undefined,
  ranAheadMs: (controllerId: string) => number | undefined = () => undefined,
  owner?: string,
): GraphView {
  const nodes = new Map<string, GraphViewNode>();
  const edges = new Map<string, GraphViewEdge>();
  const paths = new Set<string>();
  const live = new Map<string, Exclude<GraphNode, { kind: 'path' }>>();
  for (const node of snapshot?.nodes ?? []) {
    if (node.kind === 'path') continue;
    const ahead = node.kind === 'derivation' && node.stats.lastRunMs !== null ? ranAheadMs(node.id) : undefined;
    const withAhead = ahead === undefined ? node : { ...node, stats: { ...node.stats, lastRunMs: (node.stats.lastRunMs ?? 0) + ahead } };
    live.set(node.kind === 'tracker' ? definitionIdOf(node.id) ?? node.id : node.id, withAhead);
  }
  const addEdge = (from: string, to: string, kind: GraphViewEdge['kind']): void => {
    const added = edge(from, to, kind);
    edges.set(added.id, added);
  };

  for (const definition of definitions.derivations) {
    const running = live.get(definition.id);
    nodes.set(definition.id, statsNode(definition.id, 'derivation', `derive ${definition.dest}`, running?.stats ?? NO_STATS, !running));
    for (const source of definition.sources) {
      paths.add(source);
      addEdge(source, definition.id, 'source');
    }
    paths.add(definition.dest);
    addEdge(definition.id, definition.dest, 'dest');
  }
  for (const definition of definitions.trackers) {
    const running = live.get(definition.id);
    nodes.set(definition.id, statsNode(definition.id, 'tracker', definition.name, running?.stats ?? NO_STATS, !running));
    for (const read of running?.kind === 'tracker' ? running.reads : []) {
      paths.add(read);
      addEdge(read, definition.id, 'read');
    }
    if (definition.dest) {
      paths.add(definition.dest);
      addEdge(definition.id, definition.dest, 'write');
    }
  }
  // Derivations and trackers registered by other code on the same controller show as they are.
  for (const [id, node] of live) {
    if (nodes.has(id)) continue;
    nodes.set(id, statsNode(id, node.kind, node.kind === 'derivation' ? `derive ${node.dest}` : node.name ?? id, node.stats, false, owner));
    if (node.kind === 'derivation') {
      for (const source of node.sources) {
        paths.add(source);
        addEdge(source, id, 'source');
      }
      paths.add(node.dest);
      addEdge(id, node.dest, 'dest');
    } else {
      for (const read of node.reads) {
        paths.add(read);
        addEdge(read, id, 'read');
      }
    }
  }
  for (const path of paths) {
    nodes.set(path, { id: path, kind: 'path', label: path, runCount: 0, lastRunMs: null, lastError: null, inactive: false });
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...edges.values()].sort((a, b) => a.id.localeCompare(b.id)),
  };
}
