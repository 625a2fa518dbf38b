// An app that inspects its controller, for the inspector tests:
//   node --import tsx test/unit/inspect/inspectedApp.mts <sync|async> <state folder> <name>
// Derives /out from /in (a run fails when /in is "bad"), calls inspect, writes {"ready":announcement}, then
// reads commands from stdin, one JSON object a line: {"op":"set","path","value"} | {"op":"exit"}, and
// writes {"done":n} after command n (with "error" when it threw).
import { createInterface } from 'node:readline';
import { ControllerAsync, ControllerSync, FileSystemAsyncBackend, FileSystemSyncBackend, inspect } from '../../../extension/restate/index';

const [kind, folder, name] = process.argv.slice(2);
const controller = kind === 'sync' ? new ControllerSync(new FileSystemSyncBackend(folder)) : new ControllerAsync(new FileSystemAsyncBackend(folder));
const send = (message: unknown): void => {
  process.stdout.write(JSON.stringify(message) + '\n');
};
const double = (value: unknown): unknown => {
  if (value === 'bad') throw new Error('cannot double bad');
  return typeof value === 'number' ? value * 2 : null;
};
await controller.derive('/out', '/in', double);
const inspector = await inspect(controller, { name, graphIntervalMs: 100 });
send({ ready: inspector.announcement });

let done = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { op: string; path: string; value?: unknown };
  let error: string | undefined;
  try {
    if (command.op === 'set') await controller.setState(command.path, command.value);
    else if (command.op === 'exit') process.exit(0);
  } catch (thrown) {
    error = String(thrown);
  }
  send({ done: ++done, error });
}
