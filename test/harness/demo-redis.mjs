// The Redis root of the demo and of its end-to-end test: a redis-server of their own (the tests' helper,
// test/backends/redisServer.ts), the root written into a workspace's settings, and a small tree that changes
// as an app's would. The TypeScript parts load through tsx, so that this stays plain .mjs like the harness.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits, modify, parse } from 'jsonc-parser';
import { tsImport } from 'tsx/esm/api';

/** Whether Debian's redis-server is on the PATH (test/vscode-host/install.sh installs it). */
export function redisServerInstalled() {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
}

/** A redis-server on a free loopback port in a temporary folder; `dispose()` stops it and removes the folder. */
export async function startRedisServer() {
  const { startRedisServer: start } = await tsImport('../backends/redisServer.ts', import.meta.url);
  return start();
}

/** restate's RedisBackend on one tree (`prefix`) of the server at `url`. */
export async function openRedisBackend(url, prefix) {
  const { RedisBackend } = await tsImport('../../extension/restate/redis.ts', import.meta.url);
  return new RedisBackend({ url, prefix });
}

/**
 * Adds `root` to `restate.redisRoots` in the workspace's .vscode/settings.json, keeping the file's other
 * settings and comments and the roots listed there already.
 */
export function addRedisRoot(workspace, root) {
  const folder = join(workspace, '.vscode');
  const file = join(folder, 'settings.json');
  mkdirSync(folder, { recursive: true });
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '{}\n';
  const listed = parse(text)?.['restate.redisRoots'];
  const roots = [...(Array.isArray(listed) ? listed : []), root];
  const edits = modify(text, ['restate.redisRoots'], roots, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } });
  writeFileSync(file, applyEdits(text, edits));
  return file;
}

const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const maxSessions = 3;

/**
 * The demo tree: what a service sharing its state through Redis might keep. Its names differ from the demo
 * state folder's, so that both roots side by side read apart.
 */
export async function seedDemoTree(backend) {
  await backend.write('/service/name', 'checkout');
  await backend.write('/service/region', 'eu-west-1');
  await backend.write('/requests', 0);
  for (let id = 1; id <= maxSessions; id++) await backend.write(`/sessions/s${id}`, sessionOf(id, new Date()));
}

/**
 * One second of the service's life (`tick` counts from 1): /requests counts, a session starts and the oldest ends,
 * so that the list of /sessions keeps its length but changes its members.
 */
export async function tickDemoTree(backend, tick) {
  await backend.write('/requests', tick);
  const id = maxSessions + tick;
  await backend.write(`/sessions/s${id}`, sessionOf(id, new Date()));
  await backend.delete(`/sessions/s${id - maxSessions}`);
}

function sessionOf(id, started) {
  return { user: users[id % users.length], started: started.toTimeString().slice(0, 8) };
}
