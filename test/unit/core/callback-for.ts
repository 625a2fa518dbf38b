// Writes a callback once and runs it both ways: a generator yields each value it needs (usually
// `event.getState(...)`); the sync driver passes values straight back, the async driver awaits them first.
import type { StateEvent } from '../../../extension/restate/index';
import type { AnyController, ControllerKind } from './controllers';

/** An event from either controller; its helpers return plain values or promises, so callers await them. */
export type AnyEvent = StateEvent<AnyController>;
export type AnyCallback = (event: AnyEvent) => unknown;
export type CallbackScript = (event: AnyEvent) => Generator<unknown, unknown, unknown>;

export function callbackFor(kind: ControllerKind, script: CallbackScript): AnyCallback {
  if (kind.isAsync) {
    return async (event) => {
      const steps = script(event);
      let step = steps.next();
      while (!step.done) step = steps.next(await step.value);
      return step.value;
    };
  }
  return (event) => {
    const steps = script(event);
    let step = steps.next();
    while (!step.done) step = steps.next(step.value);
    return step.value;
  };
}
