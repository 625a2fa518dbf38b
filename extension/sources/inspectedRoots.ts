import { createHash } from 'node:crypto';
import { folderRoot, type InspectedRoot } from './inspectedApps';
import { RedisStateHost, withPassword } from './redisStateHost';
import { hasFiles, type StateHost } from './stateHost';

/**
 * Where the running apps of a state source announce themselves: a state folder on this machine (its
 * announcements sit in a local directory, so a folder of a remote file system has none), or a Redis root's
 * tree, whose apps announce themselves on the server. Undefined for a source that has neither.
 */
export function inspectedRootOf(host: StateHost): InspectedRoot | undefined {
  if (hasFiles(host)) return host.stateFolder.scheme === 'file' ? folderRoot(host.id, host.stateFolder.fsPath) : undefined;
  if (!(host instanceof RedisStateHost)) return undefined;
  const url = withPassword(host.root.url, host.password);
  const prefix = host.root.prefix;
  return {
    id: host.id,
    where: host.address,
    // A new password is another connection: the key changes with it, without holding it in plain text.
    key: createHash('sha256').update(`${url}\u0000${prefix}`).digest('hex'),
    // The Redis client loads only when a Redis root is configured.
    discover: async () => (await import('../restate/redis')).redisInspectorDiscovery({ url, prefix }),
  };
}
