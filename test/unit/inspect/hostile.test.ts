// The inspector against peers that break the rules, and the places it refuses to trust.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  ControllerAsync,
  ControllerSync,
  FileSystemSyncBackend,
  InMemoryBackend,
  MAX_UNDECODABLE_LINES,
  RestateUsageError,
  connectInspector,
  inspect,
  inspectorDiscovery,
  type Inspector,
} from '../../../extension/restate/index';
import { Recorded, inspectFixture, until } from './helpers';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The engine's trace hub, to see whether the inspector listens: `active` is true while any listener is attached. */
function traceActive(controller: ControllerSync | ControllerAsync): boolean {
  return (controller as unknown as { engine: { trace: { active: boolean } } }).engine.trace.active;
}

function rawConnection(inspector: Inspector): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: inspector.announcement.address });
    let text = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
    });
    socket.once('connect', () => resolve({ socket, received: () => text, closed: () => closed }));
    socket.once('error', reject);
  });
}

describe('inspector against hostile peers', () => {
  let fixture: ReturnType<typeof inspectFixture>;
  let controller: ControllerSync;
  let inspector: Inspector;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    fixture = inspectFixture();
    controller = new ControllerSync(new InMemoryBackend());
    controller.derive('/b', '/a', (value) => value);
    inspector = await inspect(controller, { name: 'target', stateFolder: fixture.stateFolder, maxBufferedBytes: 256 * 1024 });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await inspector.dispose();
    fixture.dispose();
  });

  it('S139 attaches its trace listener only while an explorer is subscribed', async () => {
    assert.equal(traceActive(controller), false);
    const connection = inspectorDiscovery(fixture.stateFolder).connect(inspector.announcement);
    const recorded = new Recorded(connection);
    await until(() => recorded.hello, 'the hello');
    assert.equal(traceActive(controller), false, 'a connection alone does not listen');
    connection.subscribe();
    await until(() => recorded.graphs[0], 'the graph');
    assert.equal(traceActive(controller), true);
    connection.unsubscribe();
    await until(() => !traceActive(controller), 'the listener to be detached on unsubscribe');
    connection.subscribe();
    await until(() => traceActive(controller), 'the listener again');
    connection.close();
    await until(() => !traceActive(controller), 'the listener to be detached on close');
  });

  it('S139 ignores garbage and still serves the explorer that sent it', async () => {
    const peer = await rawConnection(inspector);
    sockets.push(peer.socket);
    peer.socket.write(Buffer.from([0, 255, 10, 123, 10, 0x7b, 0x22, 10]));
    peer.socket.write('{"v":1,"type":"setState","path":"/a","value":666}\n[1,2]\n{"v":99,"type":"subscribe"}\nnull\n');
    peer.socket.write('{"v":1,"type":"subscribe"}\n');
    await until(() => peer.received().includes('"type":"graph"'), 'the graph after the garbage');
    controller.setState('/a', 1);
    await until(() => peer.received().includes('"type":"trace"'), 'the trace after the garbage');
    assert.equal(controller.getState('/a'), 1, 'nothing an explorer sends changes the state');
    assert.equal(peer.closed(), false);
  });

  it('S139 drops an explorer that floods it with lines, however short or well-formed', async () => {
    for (const flood of ['x\n'.repeat(1000), '{"v":1,"type":"subscribe"}\n'.repeat(1000)]) {
      const peer = await rawConnection(inspector);
      sockets.push(peer.socket);
      peer.socket.write(flood);
      await until(() => peer.closed(), 'the app to drop the flooding peer');
    }
    const polite = inspectorDiscovery(fixture.stateFolder).connect(inspector.announcement);
    const recorded = new Recorded(polite);
    polite.subscribe();
    await until(() => recorded.graphs[0], 'the graph for a polite explorer');
    polite.close();
  });

  it('S139 drops an explorer that sends a message over the limit, and serves the others', async () => {
    const huge = await rawConnection(inspector);
    const polite = inspectorDiscovery(fixture.stateFolder).connect(inspector.announcement);
    const recorded = new Recorded(polite);
    sockets.push(huge.socket);
    huge.socket.write('{"v":1,"type":"subscribe","pad":"' + 'x'.repeat(64 * 1024));
    await until(() => huge.closed(), 'the app to drop the peer');
    polite.subscribe();
    await until(() => recorded.graphs[0], 'the graph for the other explorer');
    polite.close();
  });

  it('S139 drops an explorer that does not read while the app writes 100,000 times, without stalling or growing', async () => {
    const peer = await rawConnection(inspector);
    sockets.push(peer.socket);
    peer.socket.write('{"v":1,"type":"subscribe"}\n');
    await until(() => peer.received().includes('"type":"graph"'), 'the graph');
    peer.socket.pause();
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const value = 'v'.repeat(200);
    for (let i = 0; i < 100_000; i++) controller.setState('/a', `${value}${i}`);
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(controller.getState('/b'), `${value}99999`);
    // Unbounded, the peer's buffer would hold every record (three values each): some 60 MB.
    assert.ok(grown < 16 * 1024 * 1024, `the heap grew by ${Math.round(grown / 1024)} KiB`);
    peer.socket.resume();
    await until(() => peer.closed(), 'the app to drop the peer that did not read');
    await until(() => !traceActive(controller), 'the listener to be detached');
  });

  it('S139 turns away connections past its limit and goes on serving', async () => {
    const many = await Promise.all(Array.from({ length: 60 }, () => rawConnection(inspector)));
    sockets.push(...many.map((peer) => peer.socket));
    await until(() => many.filter((peer) => peer.closed()).length >= 28, 'the connections past the limit to be closed');
    assert.ok(inspector.connections <= 32, `${inspector.connections} connections`);
    for (const peer of many) peer.socket.destroy();
    await until(() => inspector.connections === 0, 'the connections to end');
    const connection = inspectorDiscovery(fixture.stateFolder).connect(inspector.announcement);
    const recorded = new Recorded(connection);
    await until(() => recorded.hello, 'a hello after the crowd left');
    connection.close();
  });

  it('S139 says bye, closes and removes its socket and announcement on dispose', async () => {
    const connection = inspectorDiscovery(fixture.stateFolder).connect(inspector.announcement);
    const recorded = new Recorded(connection);
    await until(() => recorded.hello, 'the hello');
    assert.equal(readdirSync(fixture.directory).length, 2);
    await inspector.dispose();
    await until(() => recorded.closed, 'the close');
    assert.equal(recorded.closed, 'the app stopped inspecting');
    assert.deepEqual(readdirSync(fixture.directory), []);
    assert.deepEqual(await inspectorDiscovery(fixture.stateFolder).list(), []);
  });
});

describe('inspector trust', () => {
  let fixture: ReturnType<typeof inspectFixture>;

  beforeEach(() => {
    fixture = inspectFixture();
  });

  afterEach(() => {
    fixture.dispose();
  });

  it('S137 announces for the folder of a file backend, never inside it, with private modes', async () => {
    const controller = new ControllerSync(new FileSystemSyncBackend(fixture.stateFolder));
    controller.setState('/a', 1);
    const inspector = await inspect(controller, { name: 'files' });
    try {
      assert.deepEqual(readdirSync(fixture.stateFolder), ['a.json']);
      const names = readdirSync(fixture.directory).sort();
      assert.equal(names.length, 2);
      assert.ok(names[0].endsWith('.json') && names[1].endsWith('.sock'));
      if (process.platform !== 'win32') {
        const { statSync } = await import('node:fs');
        assert.equal(statSync(fixture.directory).mode & 0o777, 0o700);
        assert.equal(statSync(join(fixture.directory, names[0])).mode & 0o777, 0o600);
        assert.equal(statSync(join(fixture.directory, names[1])).mode & 0o777, 0o600);
      }
      assert.equal((await inspectorDiscovery(fixture.stateFolder).list()).length, 1);
      assert.deepEqual(await inspectorDiscovery(join(fixture.root, 'elsewhere')).list(), []);
    } finally {
      await inspector.dispose();
    }
  });

  it('S137 refuses a controller without a folder, and bad options, with a clear error', async () => {
    await assert.rejects(inspect(new ControllerSync(), { name: 'x' }), (error: unknown) => error instanceof RestateUsageError && /stateFolder/.test(error.message));
    await assert.rejects(inspect(new ControllerSync(), { name: '' , stateFolder: fixture.stateFolder }), RestateUsageError);
    await assert.rejects(inspect(new ControllerSync(), { name: 'x', stateFolder: join(fixture.root, 'missing') }), /missing/);
    await assert.rejects(inspect(new ControllerSync(), { name: 'x', stateFolder: fixture.stateFolder, maxBufferedBytes: -1 }), /maxBufferedBytes/);
  });

  it('S139 refuses a runtime directory that others can use or that is a symbolic link', { skip: process.platform === 'win32' }, async () => {
    const controller = new ControllerSync();
    const inspector = await inspect(controller, { name: 'x', stateFolder: fixture.stateFolder });
    await inspector.dispose();
    chmodSync(fixture.directory, 0o755);
    assert.deepEqual(await inspectorDiscovery(fixture.stateFolder).list(), []);
    await assert.rejects(inspect(controller, { name: 'x', stateFolder: fixture.stateFolder }), /can be used by other users/);
    rmSync(fixture.directory, { recursive: true });
    const real = join(fixture.root, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, fixture.directory);
    await assert.rejects(inspect(controller, { name: 'x', stateFolder: fixture.stateFolder }), /symbolic link/);
  });

  it('S139 ignores announcements that are foreign, misplaced or links', { skip: process.platform === 'win32' }, async () => {
    const controller = new ControllerSync();
    const inspector = await inspect(controller, { name: 'real', stateFolder: fixture.stateFolder });
    try {
      const discovery = inspectorDiscovery(fixture.stateFolder);
      const [genuine] = await discovery.list();
      const file = readdirSync(fixture.directory).find((name) => name.endsWith('.json'))!;
      const key = file.split('-')[0];
      const forge = (name: string, changes: object): string => {
        const path = join(fixture.directory, `${key}-${name}.json`);
        writeFileSync(path, JSON.stringify({ ...genuine, ...changes }), { mode: 0o600 });
        return path;
      };
      // A socket outside the runtime directory, and one in it that is not a socket.
      forge('1-outside', { address: join(fixture.root, 'evil.sock') });
      writeFileSync(join(fixture.directory, `${key}-2-plain.sock`), '');
      forge('2-plain', { address: join(fixture.directory, `${key}-2-plain.sock`) });
      // Another state folder's path under this folder's key.
      forge('3-other-folder', { stateFolder: fixture.root });
      // A link to a genuine announcement.
      symlinkSync(join(fixture.directory, file), join(fixture.directory, `${key}-4-link.json`));
      // Garbage.
      writeFileSync(join(fixture.directory, `${key}-5-garbage.json`), '\u0000{{{', { mode: 0o600 });
      if (process.getuid?.() === 0) {
        // A copy owned by someone else (only root can make one here).
        const foreign = join(fixture.directory, `${key}-6-foreign.json`);
        copyFileSync(join(fixture.directory, file), foreign);
        chownSync(foreign, 12345, 12345);
      }
      assert.deepEqual(await discovery.list(), [genuine]);
      // A file not named for this folder is not even read.
      renameSync(join(fixture.directory, file), join(fixture.directory, `0000000000000000-${file}`));
      assert.deepEqual(await discovery.list(), []);
    } finally {
      await inspector.dispose();
    }
  });

  it('S139 refuses a runtime directory owned by another user', { skip: process.getuid?.() !== 0 }, async () => {
    const controller = new ControllerSync();
    const inspector = await inspect(controller, { name: 'x', stateFolder: fixture.stateFolder });
    try {
      chownSync(fixture.directory, 12345, 12345);
      assert.deepEqual(await inspectorDiscovery(fixture.stateFolder).list(), []);
      await assert.rejects(inspect(controller, { name: 'y', stateFolder: fixture.stateFolder }), /owned by user 12345/);
    } finally {
      chownSync(fixture.directory, 0, 0);
      await inspector.dispose();
    }
  });

  it('S137 listens on TCP only when asked, and serves the same messages there', async () => {
    const controller = new ControllerSync();
    const local = await inspect(controller, { name: 'local only', stateFolder: fixture.stateFolder });
    assert.equal(local.tcp, undefined);
    await local.dispose();
    const inspector = await inspect(controller, { name: 'tcp too', stateFolder: fixture.stateFolder, tcp: { host: '127.0.0.1', port: 0 } });
    try {
      const bound = inspector.tcp;
      assert.ok(bound !== undefined && bound.port > 0);
      const connection = connectInspector({ ...inspector.announcement, transport: 'tcp', address: `${bound.host}:${bound.port}` });
      const recorded = new Recorded(connection);
      await until(() => recorded.hello, 'the hello over TCP');
      connection.subscribe();
      await until(() => recorded.graphs[0], 'the graph over TCP');
      connection.close();
    } finally {
      await inspector.dispose();
    }
    await assert.rejects(inspect(controller, { name: 'x', stateFolder: fixture.stateFolder, tcp: { host: '127.0.0.1', port: 70000 } }), /tcp must be/);
  });

  it('S139 works for an async controller as well', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    const inspector = await inspect(controller, { name: 'async', stateFolder: fixture.stateFolder });
    try {
      const connection = inspectorDiscovery(fixture.stateFolder).connect(inspector.announcement);
      const recorded = new Recorded(connection);
      connection.subscribe();
      await until(() => recorded.graphs[0], 'the graph');
      await controller.setState('/x', { deep: [1, 2] });
      const write = await until(() => recorded.records.find((record) => record.kind === 'set'), 'the write');
      assert.ok(write.kind === 'set');
      assert.deepEqual(write.value, { kind: 'json', json: { deep: [1, 2] } });
      assert.deepEqual(write.prevValue, { kind: 'undefined' });
      connection.close();
    } finally {
      await inspector.dispose();
    }
  });
});

describe('explorer against a hostile app', () => {
  it('S139 tells of the first line that is no message, passes over the others, and drops an app that sends many', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write('not json\n');
      socket.write(`${JSON.stringify({ v: 99, type: 'hello' })}\n`.repeat(MAX_UNDECODABLE_LINES + 10));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const ignored: string[] = [];
    try {
      const connection = connectInspector(
        { protocol: 1, name: 'noisy', pid: process.pid, host: 'here', started: Date.now(), transport: 'tcp', address: `127.0.0.1:${port}`, stateFolder: null },
        { onIgnored: (line) => ignored.push(line) },
      );
      const reason = await new Promise<string>((resolve) => connection.on('close', resolve));
      assert.deepEqual(ignored, ['not json']);
      assert.match(reason, new RegExp(`noisy sent ${MAX_UNDECODABLE_LINES} lines that are not inspector messages`));
      assert.equal(connection.hello, undefined);
    } finally {
      server.close();
    }
  });
});
