/**
 * Redis URLs as messages show them. A module of its own, without the Redis client, so that code which only
 * names a server (the command line's argument checks) need not load the client.
 */

/** The URL with any password replaced, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}
