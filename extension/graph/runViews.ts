import type { RunRecord, TraceLog } from '../sources/traceLog';
import type { CauseChain, RunCauseKind, RunOrigin, RunView } from '../protocol';
import type { TraceCause } from '../restate';

/*
 * The runs the graph panel lists, from the definitions' trace log. Nothing here depends on VS Code.
 */

/** How many runs the panel lists for one node. */
export const RUNS_LISTED = 50;

function causeKindOf(cause: TraceCause): RunCauseKind {
  const colon = cause.indexOf(':');
  return (colon === -1 ? cause : cause.slice(0, colon)) as RunCauseKind;
}

function originOf(cause: TraceCause | undefined): RunOrigin | undefined {
  return cause === undefined || cause.startsWith('derive:') || cause.startsWith('track:') ? undefined : cause as RunOrigin;
}

/** The graph nodes a change went through to reach `run`, and what it wrote (CauseChain). */
export function causeChainOf(log: TraceLog, run: RunRecord): CauseChain {
  const ancestry = log.ancestryOf(run);
  const steps: string[] = [];
  ancestry.runs.forEach((step, index) => {
    // A first run has no changed path before it (its trigger reads as `/`).
    if (!(index === 0 && step.cause === 'initial')) steps.push(step.triggerPath);
    steps.push(step.id);
  });
  const origin = originOf(ancestry.origin);
  return { origin, steps, writes: [...new Set(run.writes.map((write) => write.path))], complete: origin !== undefined };
}

export function runViewOf(log: TraceLog, run: RunRecord): RunView {
  const causeKind = causeKindOf(run.cause);
  const causeNode = causeKind === 'derive' ? run.cause
    : causeKind === 'track' ? log.idOf(run.cause)
      : causeKind === 'callback' ? run.cause.slice('callback:'.length) : undefined;
  return {
    seq: run.seq,
    subject: run.id,
    endedAt: run.endedAt,
    triggerPath: run.triggerPath,
    causeKind,
    causeNode,
    durationMs: run.durationMs,
    error: run.error,
    chain: causeChainOf(log, run),
  };
}

/** The runs that concern graph node `id` (its own runs, or for a path the runs it set off or that wrote it), newest first. */
export function runViewsFor(log: TraceLog, id: string, kind: 'path' | 'derivation' | 'tracker'): RunView[] {
  const runs = kind === 'path' ? log.runsAt(id) : log.runsOf(id);
  return runs.slice(-RUNS_LISTED).reverse().map((run) => runViewOf(log, run));
}
