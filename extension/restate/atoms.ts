import type { CallbackOptions, ControllerAsync, ControllerSync, StateCallback } from './controller';
import type { DeriveData } from './derive';
import { resolveConcretePath, type PathLike } from './path';
import type { EqualityFunction } from './options';

/** Options of an atom's `set`: those of `setState` but `default`, which is the atom's. */
export interface AtomSetOptions {
  /** How to compare the new value with the old one (default {@link deepEqual}). */
  eqFunc?: EqualityFunction;
  /** Anything, handed to the callbacks in their event and to the trace. */
  payload?: unknown;
  /** Write without notifying. */
  skipNotify?: boolean;
}

/** Shared by both atom kinds: a path with a default, and nothing of its own (S72). */
abstract class AtomBase<T, C extends ControllerSync | ControllerAsync> {
  /** The controller it reads and writes through. */
  readonly controller: C;
  /** Its path, canonical. */
  readonly path: string;
  /** What reads of a missing node give (S73). */
  readonly default: T | undefined;

  constructor(controller: C, path: PathLike, defaultValue: T | undefined) {
    this.controller = controller;
    this.path = resolveConcretePath(path, 'atom');
    this.default = defaultValue;
  }

  /** Subscribes `cb` at the atom's path; returns its id. */
  subscribe(cb: StateCallback<C>, opts?: CallbackOptions): string {
    return (this.controller as ControllerSync).subscribe(this.path, cb as unknown as StateCallback, opts);
  }

  /** Subscribes the callback registered as `id` at the atom's path. */
  subscribeById(id: string, opts?: { ignoreMissing?: boolean }): string {
    return this.controller.subscribeById(this.path, id, opts);
  }

  /** Removes a subscription at the atom's path; returns whether there was one. */
  unsubscribe(cbOrId: StateCallback<C> | string): boolean {
    return (this.controller as ControllerSync).unsubscribe(this.path, cbOrId as StateCallback | string);
  }

  /** Subscribes `cb`; the returned function unsubscribes it. */
  onChange(cb: StateCallback<C>): () => void {
    const id = this.subscribe(cb);
    return () => {
      this.controller.unsubscribeById(this.path, id);
    };
  }

  /** The transform sees the atom's default while the path is missing (S73). */
  protected withDefault(transform: (value: T) => unknown): (value: unknown) => unknown {
    return (value) => transform((value === undefined ? this.default : value) as T);
  }

  /** The atom's path. */
  toString(): string {
    return this.path;
  }
}

/** A typed handle on one path of a ControllerSync, with a default for reads of a missing node (S72–S73). */
export class Atom<T> extends AtomBase<T, ControllerSync> {
  /** The value, or the default while the node is missing (written there with `writeDefault`). */
  get(opts?: { writeDefault?: boolean }): T {
    return this.controller.getState(this.path, { default: this.default, writeDefault: opts?.writeDefault }) as T;
  }

  /** Writes the value as setState does; returns whether it changed. */
  set(value: T, opts?: AtomSetOptions): boolean {
    return this.controller.setState(this.path, value, { ...opts, default: this.default });
  }

  /** Deletes the node as delState does; returns whether there was anything to delete. */
  delete(opts?: { payload?: unknown; skipNotify?: boolean }): boolean {
    return this.controller.delState(this.path, opts);
  }

  /** Notifies the atom's subscribers of its value without writing it. */
  ping(opts?: { payload?: unknown }): void {
    this.controller.ping(this.path, { ...opts, default: this.default });
  }

  /** Keeps `dest` equal to `transform` of this atom's value (its default while missing); returns the derivation's id. */
  derive(dest: PathLike, transform: (value: T) => unknown, opts?: { payload?: unknown }): string {
    return this.controller.derive(dest, this.path, this.withDefault(transform), opts);
  }

  /** Makes this atom's path a derivation of `sources`, as `deriveMany`; returns the derivation's id. */
  deriveFrom(sources: PathLike[], transform: (data: DeriveData) => unknown, opts?: { payload?: unknown }): string {
    return this.controller.deriveMany(this.path, sources, transform, opts);
  }
}

/** A typed handle on one path of a ControllerAsync, with a default for reads of a missing node (S72–S73). */
export class AtomAsync<T> extends AtomBase<T, ControllerAsync> {
  /** As {@link Atom.get}. */
  async get(opts?: { writeDefault?: boolean }): Promise<T> {
    return (await this.controller.getState(this.path, { default: this.default, writeDefault: opts?.writeDefault })) as T;
  }

  /** As {@link Atom.set}. */
  set(value: T, opts?: AtomSetOptions): Promise<boolean> {
    return this.controller.setState(this.path, value, { ...opts, default: this.default });
  }

  /** As {@link Atom.delete}. */
  delete(opts?: { payload?: unknown; skipNotify?: boolean }): Promise<boolean> {
    return this.controller.delState(this.path, opts);
  }

  /** As {@link Atom.ping}. */
  ping(opts?: { payload?: unknown }): Promise<void> {
    return this.controller.ping(this.path, { ...opts, default: this.default });
  }

  /** As {@link Atom.derive}. */
  derive(dest: PathLike, transform: (value: T) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return this.controller.derive(dest, this.path, this.withDefault(transform), opts);
  }

  /** As {@link Atom.deriveFrom}. */
  deriveFrom(sources: PathLike[], transform: (data: DeriveData) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return this.controller.deriveMany(this.path, sources, transform, opts);
  }
}
