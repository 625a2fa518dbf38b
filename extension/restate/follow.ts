import type { BackendChange } from './backends/backend';
import { resolveConcretePath } from './path';
import type { SubscriptionIndex } from './subscriptions';
import { MISSING } from './values';

/** What a follower needs of its controller: reads, notifyChange, and its subscriptions for a resync. */
export interface FollowTarget {
  read(path: string): unknown;
  notifyChange(path: string, change: { prevValue: unknown; newValue: unknown; cause: 'remote' }): unknown;
  readonly subscriptions: SubscriptionIndex;
}

/**
 * Turns a backend's reports of others' changes into the controller's notifications, with cause `remote`
 * (S127). Reports are handled one at a time, in the order they came, whether the controller is synchronous
 * or not; a failure (a callback that threw) goes to `onError`, since no caller is there to receive it.
 */
export class BackendFollower {
  readonly #target: FollowTarget;
  readonly #onError: (error: unknown, change: BackendChange) => void;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(target: FollowTarget, onError: (error: unknown, change: BackendChange) => void) {
    this.#target = target;
    this.#onError = onError;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Takes one report; for a test or a caller that wants to wait, returns when it has been delivered. */
  take(change: BackendChange): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#stopped) return;
      try {
        await this.#deliver(change);
      } catch (error) {
        this.#onError(error, change);
      }
    });
    return this.#queue;
  }

  /** Resolves once every report taken so far has been delivered. */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #deliver(change: BackendChange): Promise<void> {
    const target = this.#target;
    const path = resolveConcretePath(change.path, 'controller');
    if (change.kind === 'resync') {
      // The backend may have missed changes under `path`: every subscribed path there is read again. The
      // controller keeps no copy of old values, so the old value is unknown (undefined).
      for (const concrete of [path, ...concretePathsBelow(target.subscriptions, path)]) {
        const value = await target.read(concrete);
        if (value !== MISSING) await target.notifyChange(concrete, { prevValue: undefined, newValue: value, cause: 'remote' });
      }
      return;
    }
    const prevValue = change.prevValue;
    if (change.kind === 'delete') {
      await target.notifyChange(path, { prevValue, newValue: undefined, cause: 'remote' });
      return;
    }
    let newValue = 'value' in change ? change.value : MISSING;
    if (newValue === MISSING || newValue === undefined) newValue = await target.read(path);
    if (newValue === MISSING) return;
    await target.notifyChange(path, { prevValue, newValue, cause: 'remote' });
  }
}

/** The subscribed paths below `path` that hold no wildcard. */
function concretePathsBelow(subscriptions: SubscriptionIndex, path: string): string[] {
  const base = path === '/' ? '' : path;
  return subscriptions
    .relativePatternsBelow(path)
    .filter((segments) => !segments.includes('*'))
    .map((segments) => `${base}/${segments.join('/')}`);
}
