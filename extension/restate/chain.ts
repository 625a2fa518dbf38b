import type { BatchState } from './batch';
import { RestateCycleError } from './errors';
import type { TraceCause } from './trace';

/**
 * The chain of causes of a change (S38): the emitting paths of the change and of every change it is
 * nested in. A linked list, so nesting one level deeper costs O(1) instead of copying the chain.
 */
export interface Chain {
  readonly path: string;
  readonly outer: Chain | undefined;
  /** The change's depth: 1 for a top-level call. */
  readonly length: number;
  /** Who made the change (S122): a derivation's or tracker's id counts its runs in the chain (S132). */
  readonly cause: TraceCause;
  /**
   * The batch whose flush the chain started in: writes made anywhere in it are logged there, so that a
   * chain stopped part-way can be undone with the batch (S132).
   */
  readonly log: BatchState | undefined;
  /** On every TALLY_SPAN-th link, once counted: what the last TALLY_SPAN links up to it hold (see countInChain). */
  tally?: ChainTally;
}

/** How many links of a stretch of a chain have each path and each cause (paths start with `/`, causes never do). */
interface ChainTally {
  readonly counts: Map<string, number>;
  /** The link just above the stretch. */
  readonly above: Chain | undefined;
}

export function extendChain(outer: Chain | undefined, path: string, cause: TraceCause, log: BatchState | undefined = outer?.log): Chain {
  return { path, outer, length: (outer?.length ?? 0) + 1, cause, log };
}

/** The emitting paths, outermost first. */
export function chainPaths(chain: Chain | undefined): string[] {
  const paths: string[] = [];
  for (let link = chain; link !== undefined; link = link.outer) paths.push(link.path);
  return paths.reverse();
}

/**
 * How many times one derivation or tracker may run, and one path be written, in one chain of changes
 * (S132). A chain can hold that many only once it is that long, so shorter chains are never counted.
 */
export const CYCLE_LIMIT = 100;

/** The error for a write of `path` that would be the 101st in its chain (`outer` is the chain it extends). */
export function writeCycleError(outer: Chain | undefined, path: string): RestateCycleError {
  return new RestateCycleError([...chainPaths(outer), path], CYCLE_LIMIT, `${path} would be written`);
}

/** The error for a run of `id` that would be its 101st in the chain of the change that set it off. */
export function runCycleError(chain: Chain | undefined, id: string): RestateCycleError {
  return new RestateCycleError(chainPaths(chain), CYCLE_LIMIT, `${id} would run`);
}

/** The error for a change past ControllerOptions.maxDepth (`chain` includes the refused change). */
export function depthLimitError(chain: Chain, maxDepth: number): RestateCycleError {
  return new RestateCycleError(chainPaths(chain), maxDepth);
}

/**
 * Counting along a long chain link by link, for every link, would cost the square of its length, so every
 * TALLY_SPAN-th link keeps, once asked, the counts of the stretch of links ending at it: a count then
 * walks at most TALLY_SPAN links and one map per stretch above them.
 */
const TALLY_SPAN = 64;

function tallyOf(link: Chain): ChainTally {
  if (link.tally !== undefined) return link.tally;
  const counts = new Map<string, number>();
  let current: Chain | undefined = link;
  for (let i = 0; i < TALLY_SPAN && current !== undefined; i++, current = current.outer) {
    counts.set(current.path, (counts.get(current.path) ?? 0) + 1);
    counts.set(current.cause, (counts.get(current.cause) ?? 0) + 1);
  }
  link.tally = { counts, above: current };
  return link.tally;
}

/** How many links of `chain` have `key` as their path (a path) or their cause (an id). */
function countInChain(chain: Chain | undefined, key: string): number {
  const isPath = key.startsWith('/');
  let count = 0;
  let link = chain;
  while (link !== undefined) {
    if (link.length % TALLY_SPAN === 0) {
      const tally = tallyOf(link);
      count += tally.counts.get(key) ?? 0;
      link = tally.above;
    } else {
      if ((isPath ? link.path : link.cause) === key) count++;
      link = link.outer;
    }
  }
  return count;
}

/** Refuses a write of `path` extending `outer` if the chain already wrote it CYCLE_LIMIT times, counting along the chain. */
export function checkWriteByWalk(outer: Chain | undefined, path: string): void {
  if (outer === undefined || outer.length < CYCLE_LIMIT) return;
  if (countInChain(outer, path) >= CYCLE_LIMIT) throw writeCycleError(outer, path);
}

/** Refuses a run of `id` set off by a change with `chain` if the chain holds CYCLE_LIMIT changes it made, counting along the chain. */
export function checkRunByWalk(chain: Chain | undefined, id: string): void {
  if (chain === undefined || chain.length < CYCLE_LIMIT) return;
  if (countInChain(chain, id) >= CYCLE_LIMIT) throw runCycleError(chain, id);
}
