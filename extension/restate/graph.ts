import { Derivation } from './derive';
import type { Engine } from './engine';
import type { RunStats } from './system';
import { Tracker } from './track';
import { compareNames } from './values';

export type { RunStats } from './system';

export type GraphNode =
  | { kind: 'path'; id: string }
  | { kind: 'derivation'; id: string; dest: string; sources: string[]; stats: RunStats }
  | { kind: 'tracker'; id: string; reads: string[]; stats: RunStats };

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'source' | 'dest' | 'read';
}

/** A plain-data picture of the derivations and trackers (S118–S119). */
export interface GraphSnapshot {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const KIND_ORDER: Record<GraphNode['kind'], number> = { path: 0, derivation: 1, tracker: 2 };

export function snapshotGraph(engine: Engine): GraphSnapshot {
  const paths = new Set<string>();
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const { system } of engine.callbacks.systemEntries()) {
    if (system instanceof Derivation) {
      nodes.push({ kind: 'derivation', id: system.id, dest: system.dest, sources: [...system.sources], stats: system.runStats() });
      for (const source of system.sources) {
        paths.add(source);
        edges.push({ from: source, to: system.id, kind: 'source' });
      }
      paths.add(system.dest);
      edges.push({ from: system.id, to: system.dest, kind: 'dest' });
    } else if (system instanceof Tracker) {
      nodes.push({ kind: 'tracker', id: system.id, reads: [...system.reads], stats: system.runStats() });
      for (const read of system.reads) {
        paths.add(read);
        edges.push({ from: read, to: system.id, kind: 'read' });
      }
    }
  }
  for (const path of paths) nodes.push({ kind: 'path', id: path });
  nodes.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || compareNames(a.id, b.id));
  edges.sort((a, b) => compareNames(a.from, b.from) || compareNames(a.to, b.to));
  return { nodes, edges };
}
