// Shared by the filesystem backend tests: fresh temporary bases, and the backends behind one async face.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after } from 'node:test';
import { FileSystemAsyncBackend, FileSystemSyncBackend, nodeFileAdapter } from '../../../extension/restate/index';
import { localFolderAdapter } from '../../../extension/workspace/localFolderAdapter';
import type { FileAdapter, Serializer } from '../../../extension/restate/index';

export interface FsBackendOptions {
  serializer?: Serializer;
  durability?: 'rename' | 'fsync';
  adapter?: FileAdapter;
}

/** Either backend, with every call awaited, so one scenario runs against both. */
export interface AnyFsBackend {
  read(path: string, dflt?: unknown): Promise<unknown>;
  write(path: string, value: unknown): Promise<void>;
  delete(path: string): Promise<void>;
  listChildren(path: string): Promise<string[]>;
}

export interface FsBackendKind {
  readonly name: string;
  make(base: string, options?: FsBackendOptions): AnyFsBackend;
}

export const fsBackendKinds: readonly FsBackendKind[] = [
  {
    name: 'FileSystemSyncBackend',
    make(base, options = {}) {
      const backend = new FileSystemSyncBackend(base, { serializer: options.serializer, durability: options.durability });
      return {
        read: async (...args: [string, unknown?]) => (args.length < 2 ? backend.read(args[0]) : backend.read(args[0], args[1])),
        write: async (path, value) => backend.write(path, value),
        delete: async (path) => backend.delete(path),
        listChildren: async (path) => backend.listChildren(path),
      };
    },
  },
  {
    name: 'FileSystemAsyncBackend',
    make(base, options = {}) {
      const backend = new FileSystemAsyncBackend(base, options);
      return {
        read: (...args: [string, unknown?]) => (args.length < 2 ? backend.read(args[0]) : backend.read(args[0], args[1])),
        write: (path, value) => backend.write(path, value),
        delete: (path) => backend.delete(path),
        listChildren: (path) => backend.listChildren(path),
      };
    },
  },
  {
    name: "FileSystemAsyncBackend over the extension's adapter for local folders",
    make(base, options = {}) {
      const backend = new FileSystemAsyncBackend(base, { ...options, adapter: options.adapter ?? extensionLocalAdapter() });
      return {
        read: (...args: [string, unknown?]) => (args.length < 2 ? backend.read(args[0]) : backend.read(args[0], args[1])),
        write: (path, value) => backend.write(path, value),
        delete: (path) => backend.delete(path),
        listChildren: (path) => backend.listChildren(path),
      };
    },
  },
];

/** The extension's adapter for state folders on this machine, on plain paths. */
export function extensionLocalAdapter(): FileAdapter {
  return localFolderAdapter({ join: nodeFileAdapter.join, dirname: nodeFileAdapter.dirname, basename: nodeFileAdapter.basename, toFsPath: (path) => path, fromFsPath: (path) => path });
}

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A fresh temporary folder; the base of a test usually goes inside it as `state`. */
export function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'restate-fs-test-'));
  roots.push(dir);
  return dir;
}

/** Every file below `dir` with its content, keyed by the relative path with `/` separators. */
export function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      const full = join(current, name);
      if (statSync(full).isDirectory()) {
        files.set(relative(dir, full).split('\\').join('/') + '/', '');
        walk(full);
      } else {
        files.set(relative(dir, full).split('\\').join('/'), readFileSync(full, 'latin1'));
      }
    }
  };
  walk(dir);
  return files;
}
