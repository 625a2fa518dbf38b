/**
 * The chain of causes of a change (S38): the emitting paths of the change and of every change it is
 * nested in. A linked list, so nesting one level deeper costs O(1) instead of copying the chain.
 */
export interface Chain {
  readonly path: string;
  readonly outer: Chain | undefined;
  /** The change's depth: 1 for a top-level call. */
  readonly length: number;
}

export function extendChain(outer: Chain | undefined, path: string): Chain {
  return { path, outer, length: (outer?.length ?? 0) + 1 };
}

/** The emitting paths, outermost first. */
export function chainPaths(chain: Chain | undefined): string[] {
  const paths: string[] = [];
  for (let link = chain; link !== undefined; link = link.outer) paths.push(link.path);
  return paths.reverse();
}
