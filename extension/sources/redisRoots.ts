// The `restate.redisRoots` setting, read without vscode so that its checks are tested in plain Node. It does
// not import the Redis backend: the Redis client is loaded only once a root is configured, not at activation.
import { redactedUrl } from '../restate';

export const redisRootsSetting = 'restate.redisRoots';

/** One Redis state root as configured: a tree of a RedisBackend, shown beside the state folders. */
export interface RedisRootSetting {
  /** `redis://host:port[/db]` or `rediss://…`; never with a password. */
  readonly url: string;
  readonly prefix: string;
  /** What the State Explorer calls the root; by default `prefix @ host:port`. */
  readonly label: string;
  /** No command writes to the root, and the menus offer none that would. */
  readonly readOnly: boolean;
  /** Whether the derivations and trackers of `.vscode/restate.jsonc` run over this root (and write to it). */
  readonly allowWorkspaceWrites: boolean;
  /** Stable across reloads: the server without credentials, the prefix, and what may write to it. */
  readonly id: string;
}

export interface ParsedRedisRoots {
  readonly roots: readonly RedisRootSetting[];
  /** One sentence per refused entry, naming it and what is wrong. */
  readonly problems: readonly string[];
}

/**
 * The usable entries of the setting, and why the others were refused. A URL that carries a password is
 * refused: settings are plain text files, often committed, and the workspace's own settings may come from
 * anyone.
 */
export function parseRedisRoots(value: unknown): ParsedRedisRoots {
  if (value === undefined || value === null) return { roots: [], problems: [] };
  if (!Array.isArray(value)) return { roots: [], problems: [`${redisRootsSetting} must be a list of { url, prefix } objects, got ${describe(value)}`] };
  const roots: RedisRootSetting[] = [];
  const problems: string[] = [];
  value.forEach((entry: unknown, index) => {
    const problem = (what: string): void => {
      problems.push(`${redisRootsSetting}[${index}]${nameOf(entry)}: ${what}`);
    };
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problem(`must be an object with url and prefix, got ${describe(entry)}`);
      return;
    }
    const { url, prefix, label, readOnly, allowWorkspaceWrites } = entry as Record<string, unknown>;
    if (typeof url !== 'string' || url.trim() === '') return problem('has no url (a redis:// or rediss:// URL)');
    if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
      return problem(`its prefix must be a non-empty string without braces, got ${describe(prefix)}`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return problem('its url is not a redis:// or rediss:// URL');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      return problem(`its url ${redactedUrl(url)} is not a redis:// or rediss:// URL`);
    }
    if (parsed.password !== '') {
      return problem(`its url carries a password, and passwords are never read from settings: remove it from ${redactedUrl(url)}`);
    }
    if (label !== undefined && typeof label !== 'string') return problem(`its label must be a string, got ${describe(label)}`);
    if (readOnly !== undefined && typeof readOnly !== 'boolean') return problem(`readOnly must be true or false, got ${describe(readOnly)}`);
    if (allowWorkspaceWrites !== undefined && typeof allowWorkspaceWrites !== 'boolean') {
      return problem(`allowWorkspaceWrites must be true or false, got ${describe(allowWorkspaceWrites)}`);
    }
    const where = `redis|${redactedUrl(url)}|${prefix}`;
    if (roots.some((root) => root.id.startsWith(`${where}|`))) return problem(`${prefix} on ${redactedUrl(url)} is listed twice`);
    const writes = readOnly === true ? 'readOnly' : allowWorkspaceWrites === true ? 'workspaceWrites' : 'commands';
    const id = `${where}|${writes}`;
    roots.push({
      url,
      prefix,
      label: label !== undefined && label.trim() !== '' ? label : `${prefix} @ ${parsed.host}`,
      readOnly: readOnly === true,
      allowWorkspaceWrites: allowWorkspaceWrites === true && readOnly !== true,
      id,
    });
  });
  return { roots, problems };
}

/** Where the password of a root's server (and user) is kept in VS Code's secret storage. */
export function passwordKey(root: RedisRootSetting): string {
  return `restate.redisPassword|${redactedUrl(root.url)}`;
}

/** How a problem names the entry: its label, else its prefix, when it has one. */
function nameOf(entry: unknown): string {
  if (entry === null || typeof entry !== 'object') return '';
  const { label, prefix } = entry as Record<string, unknown>;
  if (typeof label === 'string' && label !== '') return ` (${JSON.stringify(label)})`;
  if (typeof prefix === 'string' && prefix !== '') return ` (prefix ${JSON.stringify(prefix)})`;
  return '';
}


function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
