import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AsyncBackend } from '../backends/backend';
import { FileSystemAsyncBackend } from '../backends/filesystem/async';
import { redactedUrl } from '../backends/redisUrl';
import { CliError, EXIT_FAILURE, usageError } from './io';

/** Where a command reads and writes: a state folder, or a tree on a Redis server. */
export type StoreSpec =
  | { readonly kind: 'folder'; readonly folder: string }
  | { readonly kind: 'redis'; readonly url: string; readonly prefix: string };

/** An open store: its backend, a name for messages (never with a password), and how to release it. */
export interface OpenStore {
  readonly backend: AsyncBackend & { listChildren(path: string): Promise<string[]> };
  readonly description: string;
  /** Only a folder can be missing; a Redis tree without nodes is just empty. */
  exists(): boolean;
  close(): Promise<void>;
}

export const DEFAULT_FOLDER = '.state';

export async function openStore(spec: StoreSpec, onWarning: (message: string) => void): Promise<OpenStore> {
  if (spec.kind === 'folder') {
    const backend = new FileSystemAsyncBackend(spec.folder, { removeStaleTemporaryFiles: false });
    return {
      backend,
      description: `the state folder ${backend.base}`,
      exists: () => folderExists(backend.base),
      close: () => backend.close(),
    };
  }
  const backend = await openRedis(spec.url, spec.prefix, onWarning);
  return {
    backend,
    description: `the Redis tree ${spec.prefix} at ${backend.address}`,
    exists: () => true,
    close: () => backend.close(),
  };
}

/** A state folder exists when its folder does, or only its root value file (`<folder>.json`). */
export function folderExists(base: string): boolean {
  return isFolder(base) || existsSync(base + '.json');
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

type RedisModule = typeof import('../redis');
type RedisBackend = InstanceType<RedisModule['RedisBackend']>;

/**
 * The Redis backend, and with it the Redis client, is loaded here, on first use, so that the folder commands
 * need no client installed. The specifier names the file as Node's import() needs it in the package's
 * unbundled build; TypeScript and esbuild map it to redis.ts.
 */
async function openRedis(url: string, prefix: string, onWarning: (message: string) => void): Promise<RedisBackend> {
  let module: RedisModule;
  try {
    module = await import('../redis.js');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const clientMissing = /@redis\/client/.test(message);
    throw new CliError(EXIT_FAILURE, clientMissing ? `cannot load the Redis client (@redis/client): ${message.split('\n', 1)[0]}` : `cannot load the Redis backend: ${message.split('\n', 1)[0]}`);
  }
  return new module.RedisBackend({ url, prefix, onWarning, evictionPolicy: 'warn' });
}

export function folderSpec(folder: string, cwd: string): StoreSpec {
  if (folder === '') throw usageError('--folder needs a folder');
  return { kind: 'folder', folder: resolve(cwd, folder) };
}

export function redisSpec(url: string, prefix: string | undefined): StoreSpec {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--redis ${redactedUrl(url)}: not a URL; expected redis://[user[:password]@]host[:port][/db]`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw usageError(`--redis ${redactedUrl(url)}: expected a redis:// or rediss:// URL`);
  }
  if (prefix === undefined || prefix === '') throw usageError(`--redis needs --prefix, the name of the tree on the server`);
  if (/[{}]/.test(prefix)) throw usageError(`--prefix ${JSON.stringify(prefix)}: a prefix cannot contain braces`);
  return { kind: 'redis', url, prefix };
}
