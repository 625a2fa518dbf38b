import { createConnection, type Socket } from 'node:net';
import type { InspectAnnouncement, InspectorConnection } from '../restate';
import { ConnectionBase } from '../restate/inspect/client';
import { FrameDecoder, MAX_MESSAGE_BYTES, decodeAppMessage, encodeFrame } from '../restate/inspect/protocol';

/*
 * The explorer's connection to a local inspector, as the library makes it (connectInspector), but telling
 * what the library's decoder passes over in silence: a line that is not a message of the protocol. Nothing
 * here depends on VS Code.
 */

/** After this many lines that are not messages of the protocol, the peer is taken for something else and dropped. */
export const MAX_UNDECODABLE_LINES = 100;

/** `the first 80 characters…` of a line, for a log line. */
function excerpt(line: string): string {
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify(shown);
}

/**
 * Connects to an app's local socket (or TCP listener). `warn` is told, once per connection, of the first line
 * that is not a message of the protocol; a peer that sends many such lines is disconnected.
 */
export function connectToInspector(announcement: InspectAnnouncement, warn: (line: string) => void): InspectorConnection {
  let socket: Socket;
  if (announcement.transport === 'tcp') {
    const colon = announcement.address.lastIndexOf(':');
    socket = createConnection({ host: announcement.address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(announcement.address.slice(colon + 1)) });
  } else if (announcement.transport === 'unix' || announcement.transport === 'pipe') {
    socket = createConnection({ path: announcement.address });
  } else {
    throw new TypeError(`${announcement.name} is announced over ${announcement.transport}, which is not a local socket`);
  }
  const connection = new ConnectionBase(
    announcement,
    (message) => {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    },
    () => socket.destroy(),
  );
  const decoder = new FrameDecoder(MAX_MESSAGE_BYTES);
  let undecodable = 0;
  socket.on('data', (chunk: Buffer) => {
    const lines = decoder.push(chunk);
    if (lines === 'overflow') {
      connection.ended(`${announcement.name} sent a message over ${MAX_MESSAGE_BYTES} bytes`);
      return;
    }
    for (const line of lines) {
      const message = decodeAppMessage(line);
      if (message !== undefined) {
        connection.received(message);
        continue;
      }
      if (++undecodable === 1) warn(`${announcement.name} (pid ${announcement.pid}) sent a line that is not an inspector message, ignored: ${excerpt(line)}`);
      if (undecodable >= MAX_UNDECODABLE_LINES) {
        connection.ended(`${announcement.name} sent ${undecodable} lines that are not inspector messages`);
        return;
      }
    }
  });
  socket.on('error', (error) => connection.ended(`the connection to ${announcement.name} failed: ${error.message}`));
  socket.on('close', () => connection.ended(`${announcement.name} closed the connection`));
  return connection;
}
