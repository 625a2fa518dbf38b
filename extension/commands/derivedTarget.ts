import type { GraphSnapshot } from '../restate';

/**
 * The sources of the derivations that write a path (S118), in the graph's order without repeats; undefined
 * when no derivation writes it, so a value written there stays.
 */
export function derivationSourcesOf(graph: GraphSnapshot, path: string): string[] | undefined {
  const sources = new Set<string>();
  let derived = false;
  for (const node of graph.nodes) {
    if (node.kind !== 'derivation' || node.dest !== path) continue;
    derived = true;
    for (const source of node.sources) sources.add(source);
  }
  return derived ? [...sources] : undefined;
}
