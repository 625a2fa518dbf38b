import type { CallbackOptions, ControllerAsync, ControllerSync, StateCallback } from './controller';
import type { DeriveData } from './derive';
import { resolveConcretePath, type PathLike } from './path';
import type { EqualityFunction } from './options';

interface AtomSetOptions {
  eqFunc?: EqualityFunction;
  payload?: unknown;
  skipNotify?: boolean;
}

/** Shared by both atom kinds: a path with a default, and nothing of its own (S72). */
abstract class AtomBase<T, C extends ControllerSync | ControllerAsync> {
  readonly controller: C;
  readonly path: string;
  readonly default: T | undefined;

  constructor(controller: C, path: PathLike, defaultValue: T | undefined) {
    this.controller = controller;
    this.path = resolveConcretePath(path, 'atom');
    this.default = defaultValue;
  }

  subscribe(cb: StateCallback<C>, opts?: CallbackOptions): string {
    return (this.controller as ControllerSync).subscribe(this.path, cb as unknown as StateCallback, opts);
  }

  subscribeById(id: string, opts?: { ignoreMissing?: boolean }): string {
    return this.controller.subscribeById(this.path, id, opts);
  }

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

  toString(): string {
    return this.path;
  }
}

export class Atom<T> extends AtomBase<T, ControllerSync> {
  get(opts?: { writeDefault?: boolean }): T {
    return this.controller.getState(this.path, { default: this.default, writeDefault: opts?.writeDefault }) as T;
  }

  set(value: T, opts?: AtomSetOptions): boolean {
    return this.controller.setState(this.path, value, { ...opts, default: this.default });
  }

  delete(opts?: { payload?: unknown; skipNotify?: boolean }): boolean {
    return this.controller.delState(this.path, opts);
  }

  ping(opts?: { payload?: unknown }): void {
    this.controller.ping(this.path, { ...opts, default: this.default });
  }

  derive(dest: PathLike, transform: (value: T) => unknown, opts?: { payload?: unknown }): string {
    return this.controller.derive(dest, this.path, this.withDefault(transform), opts);
  }

  deriveFrom(sources: PathLike[], transform: (data: DeriveData) => unknown, opts?: { payload?: unknown }): string {
    return this.controller.deriveMany(this.path, sources, transform, opts);
  }
}

export class AtomAsync<T> extends AtomBase<T, ControllerAsync> {
  async get(opts?: { writeDefault?: boolean }): Promise<T> {
    return (await this.controller.getState(this.path, { default: this.default, writeDefault: opts?.writeDefault })) as T;
  }

  set(value: T, opts?: AtomSetOptions): Promise<boolean> {
    return this.controller.setState(this.path, value, { ...opts, default: this.default });
  }

  delete(opts?: { payload?: unknown; skipNotify?: boolean }): Promise<boolean> {
    return this.controller.delState(this.path, opts);
  }

  ping(opts?: { payload?: unknown }): Promise<void> {
    return this.controller.ping(this.path, { ...opts, default: this.default });
  }

  derive(dest: PathLike, transform: (value: T) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return this.controller.derive(dest, this.path, this.withDefault(transform), opts);
  }

  deriveFrom(sources: PathLike[], transform: (data: DeriveData) => unknown, opts?: { payload?: unknown }): Promise<string> {
    return this.controller.deriveMany(this.path, sources, transform, opts);
  }
}
