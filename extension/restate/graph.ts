import { Derivation } from './derive';
import type { Engine } from './engine';
import type { RunStats } from './system';
import { Tracker } from './track';
import { compareNames } from './values';

export type { RunStats } from './system';

/** A node of a {@link GraphSnapshot}: a state path, a derivation or a tracker. */
export type GraphNode =
  | {
      /** A state path that a derivation reads or writes or a tracker read. */ kind: 'path';
      /** The path. */ id: string;
    }
  | {
      /** A derivation (`derive`, `deriveMany`). */ kind: 'derivation';
      /** Its id. */ id: string;
      /** The path it writes. */ dest: string;
      /** The paths and patterns it reads. */ sources: string[];
      /** Its runs so far. */ stats: RunStats;
    }
  | {
      /** A tracker (`track`). */ kind: 'tracker';
      /** Its id. */ id: string;
      /** Its name (`track`'s `name` option, else its callback's name), when it has one. */ name?: string;
      /** The paths it read in its last run. */ reads: string[];
      /** Its runs so far. */ stats: RunStats;
    };

/** An edge of a {@link GraphSnapshot}, from what is read to what reads it, or from a derivation to its dest. */
export interface GraphEdge {
  /** The path or the derivation's id it starts from. */
  from: string;
  /** The derivation's or tracker's id, or the dest path, it leads to. */
  to: string;
  /** A derivation's source, a derivation's dest, or a tracker's read. */
  kind: 'source' | 'dest' | 'read';
}

/** A plain-data picture of the derivations and trackers (S118–S119). */
export interface GraphSnapshot {
  /** The paths, then the derivations, then the trackers, each sorted by id. */
  nodes: GraphNode[];
  /** The edges, sorted by `from`, then `to`. */
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
      nodes.push({ kind: 'tracker', id: system.id, ...(system.name === undefined ? {} : { name: system.name }), reads: [...system.reads], stats: system.runStats() });
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
