import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphSnapshot, HelloMessage, InspectorConnection, WireTraceRecord } from '../../../extension/restate/index';
export { until } from '../until';

/**
 * A temporary runtime directory (as XDG_RUNTIME_DIR, for this process and the apps it starts) and a state
 * folder; `dispose` restores the environment and removes both.
 */
export function inspectFixture(): { runtime: string; directory: string; stateFolder: string; root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'restate-inspect-test-'));
  const runtime = join(root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  const stateFolder = join(root, 'state');
  mkdirSync(stateFolder);
  const previous = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = runtime;
  return {
    root,
    runtime,
    directory: join(runtime, 'restate-inspect'),
    stateFolder,
    dispose: () => {
      if (previous === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = previous;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Everything a connection reported, in order. */
export class Recorded {
  hello: HelloMessage | undefined;
  readonly graphs: GraphSnapshot[] = [];
  readonly records: WireTraceRecord[] = [];
  closed: string | undefined;

  constructor(connection: InspectorConnection) {
    connection.on('hello', (message) => {
      this.hello = message;
    });
    connection.on('graph', (graph) => this.graphs.push(graph));
    connection.on('trace', (records) => this.records.push(...records));
    connection.on('close', (reason) => {
      this.closed = reason;
    });
  }
}

