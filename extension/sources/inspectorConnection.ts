import { connectInspector, type InspectAnnouncement, type InspectorConnection } from '../restate';

/** `the first 80 characters…` of a line, for a log line. */
function excerpt(line: string): string {
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify(shown);
}

/**
 * Connects to an app's local socket (or TCP listener). `warn` is told, once per connection, of the first line
 * that is not a message of the protocol; the library disconnects a peer that sends many such lines.
 */
export function connectToInspector(announcement: InspectAnnouncement, warn: (line: string) => void): InspectorConnection {
  return connectInspector(announcement, {
    onIgnored: (line) => warn(`${announcement.name} (pid ${announcement.pid}) sent a line that is not an inspector message, ignored: ${excerpt(line)}`),
  });
}
