// Batch bodies written once for both controllers (see body).
import type { AnyController, ControllerKind } from './controllers';

export type Script<R> = () => Generator<unknown, R, unknown>;

/**
 * A batch body written once for both controllers: the script yields each controller call; the sync
 * driver hands results straight back, the async one awaits them, so `fn` is sync or async to match.
 */
export function body<R>(kind: ControllerKind, script: Script<R>): () => R | Promise<R> {
  if (kind.isAsync) {
    return async () => {
      const steps = script();
      let step = steps.next();
      while (!step.done) step = steps.next(await step.value);
      return step.value;
    };
  }
  return () => {
    const steps = script();
    let step = steps.next();
    while (!step.done) step = steps.next(step.value);
    return step.value;
  };
}

/** Runs `script` as one batch on `c` and awaits the result, whichever controller `c` is. */
export async function runBatch<R>(kind: ControllerKind, c: AnyController, script: Script<R>): Promise<R> {
  return (await c.batch(body(kind, script))) as R;
}
