import { RestateIdError, RestateUsageError } from './errors';
import type { Subscription } from './subscriptions';
import type { SystemCallback } from './system';

/**
 * A derivation or tracker as the store holds it: with the pairs it added with SubscriptionIndex.addKept,
 * which removing it must remove. Declared here rather than in system.ts, which the subscription index
 * builds on: a subscription remembers its system callback (Subscription.system).
 */
export interface RegisteredSystem extends SystemCallback {
  readonly keptSubscriptions: readonly Subscription[];
}

/** A registered callback: a user function, or a derivation or tracker (system callbacks). */
export interface CallbackEntry {
  readonly id: string;
  fn: (event: never) => unknown;
  readonly system: RegisteredSystem | undefined;
  /** Who acts for the writes this callback makes (S122), made once rather than on every call. */
  readonly cause: `callback:${string}`;
}

const RESERVED_PREFIXES = ['#', 'derive:', 'track:'];

export function isSystemId(id: string): boolean {
  return id.startsWith('derive:') || id.startsWith('track:');
}

/** Ids and their functions, per controller (S46–S48). */
export class CallbackStore {
  readonly #byId = new Map<string, CallbackEntry>();
  readonly #idsByFunction = new Map<(event: never) => unknown, string[]>();
  #nextAutoId = 1;
  /** Changes whenever an id is added or removed, so an entry remembered by a subscription can be trusted. */
  #generation = 0;

  get(id: string): CallbackEntry | undefined {
    return this.#byId.get(id);
  }

  /** `get(subscription.id)`, remembered on the subscription while no id comes or goes: deliveries ask it for every subscriber. */
  entryOf(subscription: Subscription): CallbackEntry | undefined {
    if (subscription.entryGeneration === this.#generation) return subscription.entry as CallbackEntry | undefined;
    const entry = this.#byId.get(subscription.id);
    subscription.entry = entry;
    subscription.system = entry?.system;
    subscription.entryGeneration = this.#generation;
    return entry;
  }

  idsOf(fn: (event: never) => unknown): readonly string[] {
    return this.#idsByFunction.get(fn) ?? [];
  }

  register(fn: unknown, forceId: string | undefined, replace: boolean): string {
    if (typeof fn !== 'function') {
      throw new RestateUsageError('callbacks', `a callback must be a function, got ${fn === null ? 'null' : typeof fn}`);
    }
    const callback = fn as (event: never) => unknown;
    if (forceId === undefined) {
      const known = this.#idsByFunction.get(callback);
      if (known !== undefined && known.length > 0) return known[0];
      const id = `#${this.#nextAutoId++}`;
      this.#add({ id, fn: callback, system: undefined, cause: `callback:${id}` });
      return id;
    }
    checkUserId(forceId);
    const existing = this.#byId.get(forceId);
    if (existing === undefined) {
      this.#add({ id: forceId, fn: callback, system: undefined, cause: `callback:${forceId}` });
      return forceId;
    }
    if (existing.fn === callback) return forceId;
    if (!replace) {
      throw new RestateIdError(forceId, `the id ${JSON.stringify(forceId)} is already taken by another callback: pass { replace: true } to swap it`);
    }
    this.#unlinkFunction(existing);
    existing.fn = callback;
    this.#linkFunction(existing);
    return forceId;
  }

  registerSystem(id: string, system: RegisteredSystem): void {
    this.#byId.set(id, { id, fn: () => undefined, system, cause: `callback:${id}` });
    system.registered = true;
    this.#generation++;
  }

  remove(id: string): CallbackEntry | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    this.#byId.delete(id);
    this.#generation++;
    if (entry.system === undefined) this.#unlinkFunction(entry);
    else entry.system.registered = false;
    return entry;
  }

  systemEntries(): CallbackEntry[] {
    return [...this.#byId.values()].filter((entry) => entry.system !== undefined);
  }

  #add(entry: CallbackEntry): void {
    this.#byId.set(entry.id, entry);
    this.#generation++;
    this.#linkFunction(entry);
  }

  #linkFunction(entry: CallbackEntry): void {
    const ids = this.#idsByFunction.get(entry.fn);
    if (ids === undefined) this.#idsByFunction.set(entry.fn, [entry.id]);
    else ids.push(entry.id);
  }

  #unlinkFunction(entry: CallbackEntry): void {
    const ids = this.#idsByFunction.get(entry.fn);
    if (ids === undefined) return;
    const remaining = ids.filter((id) => id !== entry.id);
    if (remaining.length === 0) this.#idsByFunction.delete(entry.fn);
    else this.#idsByFunction.set(entry.fn, remaining);
  }
}

export function checkUserId(id: string): void {
  if (typeof id !== 'string' || id === '') {
    throw new RestateIdError(String(id), 'a callback id must be a non-empty string');
  }
  for (const prefix of RESERVED_PREFIXES) {
    if (id.startsWith(prefix)) {
      throw new RestateIdError(id, `the id ${JSON.stringify(id)} is reserved: ids starting with ${JSON.stringify(prefix)} belong to the controller`);
    }
  }
}
