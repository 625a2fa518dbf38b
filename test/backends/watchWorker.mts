// One of two processes sharing a state folder, for the tests of the file backends' watch (S126, S127):
//   node --import tsx test/backends/watchWorker.mts <fs|fs-sync> <folder>
// Reads commands from stdin, one JSON object a line: {"op":"subscribe","path"} | {"op":"set","path","value"}
// | {"op":"delete","path"} | {"op":"close"}. Writes one JSON line per notification its subscribers get
// ({"event":…}), per trace record of a set or delete ({"trace":…}), and {"done":n} after command n.
import { createInterface } from 'node:readline';
import { ControllerAsync, ControllerSync, FileSystemAsyncBackend, FileSystemSyncBackend, UnreadableValue } from '../../extension/restate/index';

const [kind, folder] = process.argv.slice(2);
const backend = kind === 'fs-sync' ? new FileSystemSyncBackend(folder) : new FileSystemAsyncBackend(folder);
const controller = backend instanceof FileSystemSyncBackend ? new ControllerSync(backend) : new ControllerAsync(backend);
const send = (message: unknown): void => {
  process.stdout.write(JSON.stringify(message) + '\n');
};
const shown = (value: unknown): unknown => (value instanceof UnreadableValue ? { unreadable: value.file } : value === undefined ? null : value);
controller.onTrace((record) => {
  if (record.kind === 'set' || record.kind === 'delete') send({ trace: { kind: record.kind, path: record.path, cause: record.cause } });
});
await backend.watching();
send({ ready: true });

let done = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { op: string; path: string; value?: unknown };
  if (command.op === 'subscribe') {
    controller.subscribe(command.path, (event) => {
      send({ event: { at: event.currentPath, from: event.emittingPath, newValue: shown(event.newValue) } });
    });
  } else if (command.op === 'set') {
    await controller.setState(command.path, command.value);
  } else if (command.op === 'delete') {
    await controller.delState(command.path);
  } else if (command.op === 'close') {
    await backend.close();
  }
  send({ done: ++done });
}
