import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open as openFile, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FileSystemAsyncBackend } from '../backends/filesystem/async';
import { pythonJsonParse, pythonJsonStringify } from '../backends/filesystem/json';
import { checkWritableName } from '../backends/filesystem/names';
import { redactedUrl } from '../backends/redisUrl';
import { childOf, resolveConcretePath } from '../path';
import { MISSING, isPlainObject } from '../values';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, readAll, usageError, type CliIo } from './io';
import { folderExists, openStore, redisSpec, type OpenStore, type StoreSpec } from './store';
import { formatValue, readTree, valuesOf, type TreeNode } from './tree';

/** What `copy` reads from or writes to. */
type Place =
  | { readonly kind: 'store'; readonly store: StoreSpec; readonly shown: string }
  | { readonly kind: 'file'; readonly file: string; readonly shown: string }
  | { readonly kind: 'stdio'; readonly shown: string };

/** The JSON file format: `{"format": "restate-tree", "version": 1, "root": NODE}`, NODE = `{"value"?: any, "children"?: {name: NODE}}`. */
const FORMAT = 'restate-tree';
const VERSION = 1;

export function parsePlace(spec: string, cwd: string, role: 'SRC' | 'DEST'): Place {
  if (spec === '-') return { kind: 'stdio', shown: role === 'SRC' ? 'standard input' : 'standard output' };
  if (spec.startsWith('folder:')) {
    const folder = spec.slice('folder:'.length);
    if (folder === '') throw usageError(`${role} ${spec}: folder: needs a folder, as in folder:./.state`);
    const full = resolve(cwd, folder);
    return { kind: 'store', store: { kind: 'folder', folder: full }, shown: `the state folder ${full}` };
  }
  if (/^rediss?:\/\//.test(spec)) {
    const hash = spec.indexOf('#');
    const prefix = hash < 0 ? '' : decodeURIComponent(spec.slice(hash + 1));
    const url = hash < 0 ? spec : spec.slice(0, hash);
    if (prefix === '') throw usageError(`${role} ${redactedUrl(url)}: name the tree after a #, as in redis://localhost:6379/0#myapp`);
    const store = redisSpec(url, prefix);
    return { kind: 'store', store, shown: `the Redis tree ${prefix} at ${redactedUrl(url)}` };
  }
  if (spec.startsWith('file:') || spec.endsWith('.json')) {
    const file = spec.startsWith('file:') ? spec.slice('file:'.length) : spec;
    if (file === '') throw usageError(`${role} ${spec}: file: needs a file name`);
    const full = resolve(cwd, file);
    return { kind: 'file', file: full, shown: `the file ${full}` };
  }
  throw usageError(`${role} ${JSON.stringify(spec)}: expected folder:DIR, redis://host[:port][/db]#PREFIX, FILE.json, file:FILE or -`);
}

export async function copyCommand(io: CliIo, sourceSpec: string, destSpec: string, replace: boolean, warn: (message: string) => void): Promise<number> {
  const source = parsePlace(sourceSpec, io.cwd, 'SRC');
  const dest = parsePlace(destSpec, io.cwd, 'DEST');
  if (source.kind === 'stdio' && dest.kind === 'stdio') throw usageError('SRC and DEST cannot both be -');
  const tree = (await readPlace(io, source, warn)) ?? emptyTree();
  checkTree(tree, source.shown);
  await writePlace(io, dest, tree, replace, warn);
  return EXIT_OK;
}

function emptyTree(): TreeNode {
  return { hasValue: false, value: undefined, children: new Map() };
}

async function readPlace(io: CliIo, place: Place, warn: (message: string) => void): Promise<TreeNode | undefined> {
  if (place.kind === 'stdio') return decodeTree(await readAll(io.stdin), place.shown);
  if (place.kind === 'file') {
    let text: string;
    try {
      text = await readFile(place.file, 'utf8');
    } catch (error) {
      throw new CliError(EXIT_FAILURE, `cannot read ${place.shown}: ${messageOf(error)}`);
    }
    return decodeTree(text, place.shown);
  }
  return withOpen(place.store, warn, async (open) => {
    if (!open.exists()) throw new CliError(EXIT_FAILURE, `${open.description} does not exist`);
    return readTree(open.backend, '/');
  });
}

async function withOpen<T>(spec: StoreSpec, warn: (message: string) => void, step: (open: OpenStore) => Promise<T>): Promise<T> {
  const open = await openStore(spec, warn);
  try {
    return await step(open);
  } finally {
    await open.close();
  }
}

/**
 * Every name and value must be storable wherever the tree goes: names are checked as the file backends
 * check them (Redis checks them the same way, so trees stay portable), values as their JSON is written.
 */
function checkTree(tree: TreeNode, shown: string): void {
  const walk = (node: TreeNode, path: string): void => {
    if (node.hasValue) {
      try {
        pythonJsonStringify(node.value);
      } catch (error) {
        throw new CliError(EXIT_USAGE, `${shown}: the value at ${path} cannot be stored: ${messageOf(error)}`);
      }
    }
    for (const [name, child] of node.children) {
      const childPath = childOf(path, name);
      try {
        if (name.includes('/') || resolveConcretePath(childPath, 'cli') !== childPath) throw new Error(`${JSON.stringify(name)} is not a name of one node`);
        checkWritableName(name, childPath, '.json', 'cli');
      } catch (error) {
        throw new CliError(EXIT_USAGE, `${shown}: the name ${JSON.stringify(name)} under ${path} cannot be stored: ${messageOf(error)}`);
      }
      walk(child, childPath);
    }
  };
  walk(tree, '/');
}

async function writePlace(io: CliIo, place: Place, tree: TreeNode, replace: boolean, warn: (message: string) => void): Promise<void> {
  if (place.kind === 'stdio') {
    io.stdout.write(encodeTree(tree));
    return;
  }
  if (place.kind === 'file') {
    if (!replace && existsSync(place.file)) throw new CliError(EXIT_FAILURE, `${place.shown} exists; give --replace to overwrite it`);
    await writeFileAtomically(place.file, encodeTree(tree), place.shown);
    return;
  }
  if (place.store.kind === 'folder') {
    await replaceFolder(place.store.folder, tree, replace, place.shown);
    return;
  }
  await withOpen(place.store, warn, async (open) => {
    if (!replace && (await open.backend.read('/', MISSING)) !== MISSING) {
      throw new CliError(EXIT_FAILURE, `${open.description} is not empty; give --replace to replace its tree`);
    }
    await writeStoreNodeByNode(open, tree, replace);
  });
}

/** Redis has no write of a whole tree: nodes go one by one, each atomic, and a failure says how far it got. */
async function writeStoreNodeByNode(open: OpenStore, tree: TreeNode, replace: boolean): Promise<void> {
  const total = [...valuesOf(tree, '/')].length;
  let written = 0;
  let cleared = false;
  try {
    if (replace) {
      await open.backend.delete('/');
      cleared = true;
    }
    for (const { path, value } of valuesOf(tree, '/')) {
      await open.backend.write(path, value);
      written++;
    }
  } catch (error) {
    const changed = cleared || written > 0;
    const state = changed ? `: ${open.description} is incomplete (${written} of ${total} values written${cleared ? ', its old tree deleted' : ''}); run the copy again with --replace` : ', and changed nothing';
    throw new CliError(EXIT_FAILURE, `copying into ${open.description} failed: ${messageOf(error)}${state}`);
  }
}

/**
 * Writes the tree into a new folder beside `folder` (its root value beside that, as `<folder>.json`), then
 * renames the old folder away and the new one into place. If anything fails before the swap, the new
 * folder is removed and `folder` is as it was; if a rename of the swap fails, the old folder is put back.
 */
async function replaceFolder(folder: string, tree: TreeNode, replace: boolean, shown: string): Promise<void> {
  if (!replace && folderExists(folder)) {
    const backend = new FileSystemAsyncBackend(folder, { removeStaleTemporaryFiles: false });
    if ((await backend.read('/', MISSING)) !== MISSING) throw new CliError(EXIT_FAILURE, `${shown} is not empty; give --replace to replace its tree`);
  }
  const parent = dirname(folder);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const fresh = join(parent, `.${basename(folder)}.copy-${tag}`);
  const old = join(parent, `.${basename(folder)}.old-${tag}`);
  await mkdir(parent, { recursive: true });
  try {
    const backend = new FileSystemAsyncBackend(fresh, { removeStaleTemporaryFiles: false });
    await mkdir(fresh);
    for (const { path, value } of valuesOf(tree, '/')) await backend.write(path, value);
  } catch (error) {
    await removeQuietly(fresh, fresh + '.json');
    throw error;
  }
  const moved: [string, string][] = [];
  const move = async (from: string, to: string): Promise<void> => {
    await rename(from, to);
    moved.push([from, to]);
  };
  try {
    if (existsSync(folder)) await move(folder, old);
    if (existsSync(folder + '.json')) await move(folder + '.json', old + '.json');
    await move(fresh, folder);
    if (existsSync(fresh + '.json')) await move(fresh + '.json', folder + '.json');
  } catch (error) {
    for (const [from, to] of moved.reverse()) await rename(to, from).catch(() => undefined);
    await removeQuietly(fresh, fresh + '.json');
    throw new CliError(EXIT_FAILURE, `cannot put the copy in place of ${shown}, which is left as it was: ${messageOf(error)}`);
  }
  await removeQuietly(old, old + '.json');
}

async function removeQuietly(...paths: string[]): Promise<void> {
  for (const path of paths) await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/** A temporary file beside `file`, written and flushed, then renamed over it: readers see the old file or the new one. */
async function writeFileAtomically(file: string, text: string, shown: string): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(file), { recursive: true });
    const handle = await openFile(temporary, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CliError(EXIT_FAILURE, `cannot write ${shown}: ${messageOf(error)}`);
  }
}

export function encodeTree(tree: TreeNode): string {
  return formatValue({ format: FORMAT, version: VERSION, root: encodeNode(tree) }, 2) + '\n';
}

function encodeNode(node: TreeNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (node.hasValue) out.value = node.value;
  if (node.children.size > 0) {
    const children: Record<string, unknown> = {};
    for (const [name, child] of node.children) {
      Object.defineProperty(children, name, { value: encodeNode(child), enumerable: true, writable: true, configurable: true });
    }
    out.children = children;
  }
  return out;
}

export function decodeTree(text: string, shown: string): TreeNode {
  let document: unknown;
  try {
    document = pythonJsonParse(text);
  } catch (error) {
    throw new CliError(EXIT_USAGE, `${shown} is not JSON: ${messageOf(error)}`);
  }
  if (!isPlainObject(document) || document.format !== FORMAT) {
    throw new CliError(EXIT_USAGE, `${shown} is not a restate tree: expected {"format": "${FORMAT}", "version": ${VERSION}, "root": …}`);
  }
  if (document.version !== VERSION) throw new CliError(EXIT_USAGE, `${shown} is a restate tree of version ${formatValue(document.version)}; this restate reads version ${VERSION}`);
  const decode = (node: unknown, where: string): TreeNode => {
    if (!isPlainObject(node)) throw new CliError(EXIT_USAGE, `${shown}: ${where} must be an object with "value" and/or "children"`);
    const extra = Object.keys(node).find((key) => key !== 'value' && key !== 'children');
    if (extra !== undefined) throw new CliError(EXIT_USAGE, `${shown}: ${where} has the unknown key ${JSON.stringify(extra)}; a node has only "value" and "children"`);
    const children = new Map<string, TreeNode>();
    if (Object.hasOwn(node, 'children')) {
      const given = node.children;
      if (!isPlainObject(given)) throw new CliError(EXIT_USAGE, `${shown}: ${where}.children must be an object`);
      for (const name of Object.keys(given).sort(compareCodeUnits)) children.set(name, decode(given[name], `${where}.children[${JSON.stringify(name)}]`));
    }
    const hasValue = Object.hasOwn(node, 'value');
    if (!hasValue && children.size === 0 && where !== 'root') throw new CliError(EXIT_USAGE, `${shown}: ${where} has neither a value nor children, and such a node cannot exist`);
    return { hasValue, value: hasValue ? node.value : undefined, children };
  };
  return decode(document.root ?? {}, 'root');
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^\[restate\] \[[^\]]*\] /, '').split('\n', 1)[0];
}
