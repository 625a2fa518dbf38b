// Runs one scenario against both controllers (house style: every scenario runs sync and async).
import { describe } from 'node:test';
import { ControllerAsync, ControllerSync, InMemoryBackend } from '../../../extension/restate/index';
import type { AsyncBackend, Backend, ControllerOptions } from '../../../extension/restate/index';

export type AnyController = ControllerSync | ControllerAsync;

export interface ControllerKind {
  readonly name: string;
  readonly isAsync: boolean;
  make(backend?: Backend, options?: ControllerOptions): AnyController;
}

/** Wraps a sync backend so that every call returns a promise, to drive ControllerAsync through the async path. */
export function promisedBackend(inner: Backend): AsyncBackend {
  return {
    read: async (...args: [path: string, dflt?: unknown]) => (args.length < 2 ? inner.read(args[0]) : inner.read(args[0], args[1])),
    write: async (path, value) => inner.write(path, value),
    delete: async (path) => inner.delete(path),
    listChildren: async (path) => inner.listChildren?.(path) ?? [],
    ...(inner.watch === undefined ? {} : { watch: inner.watch.bind(inner) }),
  };
}

export const controllerKinds: readonly ControllerKind[] = [
  { name: 'ControllerSync', isAsync: false, make: (backend, options) => new ControllerSync(backend ?? new InMemoryBackend(), options) },
  { name: 'ControllerAsync', isAsync: true, make: (backend, options) => new ControllerAsync(backend ?? new InMemoryBackend(), options) },
  {
    name: 'ControllerAsync over an async backend',
    isAsync: true,
    make: (backend, options) => new ControllerAsync(promisedBackend(backend ?? new InMemoryBackend()), options),
  },
];

/** `describe(title)` once per controller kind; the body gets the kind. */
export function forEachController(title: string, body: (kind: ControllerKind) => void): void {
  for (const kind of controllerKinds) {
    describe(`${title} [${kind.name}]`, () => body(kind));
  }
}
