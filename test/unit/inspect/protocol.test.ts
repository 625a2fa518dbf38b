// The inspector protocol read as untrusted input: what it does not understand is ignored, never thrown.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ControllerSync, MISSING, RestateFormatError, UnreadableValue } from '../../../extension/restate/index';
import {
  FrameDecoder,
  INSPECT_PROTOCOL_VERSION,
  LIBRARY_VERSION,
  MAX_MESSAGE_BYTES,
  MAX_VALUE_BYTES,
  decodeAnnouncement,
  decodeAppMessage,
  decodeExplorerMessage,
  encodeFrame,
  encodeTraceFrame,
  encodeWireRecord,
  fromWireRecord,
  toWireRecord,
  toWireValue,
  type InspectAnnouncement,
  type TraceMessage,
} from '../../../extension/restate/inspect/protocol';
import type { TraceRecord } from '../../../extension/restate/index';

const v = INSPECT_PROTOCOL_VERSION;
const line = (value: unknown): string => JSON.stringify(value);

const hello = { v, type: 'hello', protocol: v, name: 'app', pid: 42, host: 'h', started: 1, library: { name: 'restate', version: '0.1.0' }, async: false };

describe('inspector protocol: explorer messages', () => {
  it('S138 takes subscribe and unsubscribe, dropping fields it does not know', () => {
    assert.deepEqual(decodeExplorerMessage(line({ v, type: 'subscribe', extra: [1, 2] })), { v, type: 'subscribe' });
    assert.deepEqual(decodeExplorerMessage(line({ v, type: 'unsubscribe' })), { v, type: 'unsubscribe' });
  });

  it('S139 ignores other versions, unknown types, non-objects and text that is not JSON', () => {
    for (const input of [
      line({ v: v + 1, type: 'subscribe' }),
      line({ type: 'subscribe' }),
      line({ v: String(v), type: 'subscribe' }),
      line({ v, type: 'setState', path: '/a', value: 1 }),
      line({ v, type: 'hello' }),
      line([{ v, type: 'subscribe' }]),
      'null',
      '42',
      '"subscribe"',
      '{"v":1,"type":"subscribe"',
      '\u0000\u00ff garbage',
      '',
    ]) {
      assert.equal(decodeExplorerMessage(input), undefined, input);
    }
  });
});

describe('inspector protocol: app messages', () => {
  it('S138 takes a well-formed hello and ignores one with a malformed field', () => {
    assert.deepEqual(decodeAppMessage(line(hello)), hello);
    assert.equal(decodeAppMessage(line({ ...hello, pid: '42' })), undefined);
    assert.equal(decodeAppMessage(line({ ...hello, library: 'restate' })), undefined);
    assert.equal(decodeAppMessage(line({ ...hello, v: 0 })), undefined);
    assert.equal(decodeAppMessage(line({ ...hello, type: 'welcome' })), undefined);
  });

  it('S138 ignores a graph with a malformed node or edge', () => {
    const graph = {
      nodes: [
        { kind: 'derivation', id: 'd', dest: '/b', sources: ['/a'], stats: { runCount: 1, lastRunMs: 0.5, lastError: null } },
        { kind: 'path', id: '/a' },
      ],
      edges: [{ from: '/a', to: 'd', kind: 'source' }],
    };
    assert.deepEqual(decodeAppMessage(line({ v, type: 'graph', graph })), { v, type: 'graph', graph });
    assert.equal(decodeAppMessage(line({ v, type: 'graph', graph: { ...graph, nodes: [{ kind: 'planet', id: 'x' }] } })), undefined);
    assert.equal(decodeAppMessage(line({ v, type: 'graph', graph: { ...graph, edges: [{ from: '/a', to: 3, kind: 'source' }] } })), undefined);
    assert.equal(decodeAppMessage(line({ v, type: 'graph', graph: { nodes: [{ kind: 'tracker', id: 't', reads: [], stats: { runCount: 'x' } }], edges: [] } })), undefined);
    assert.equal(decodeAppMessage(line({ v, type: 'graph' })), undefined);
    const tracker = { kind: 'tracker', id: 't', reads: ['/a'], stats: { runCount: 1, lastRunMs: null, lastError: null } };
    const named = { nodes: [{ ...tracker, name: 'summary' }], edges: [] };
    assert.deepEqual(decodeAppMessage(line({ v, type: 'graph', graph: named })), { v, type: 'graph', graph: named });
    assert.equal(decodeAppMessage(line({ v, type: 'graph', graph: { nodes: [{ ...tracker, name: 7 }], edges: [] } })), undefined);
  });

  it('S139 keeps the well-formed records of a trace message and leaves out the malformed ones', () => {
    const good = { seq: 1, time: 2, cause: 'derive:d', depth: 1, kind: 'derive-run', id: 'd', dest: '/b', triggerPath: '/a', durationMs: 0.2, error: 'Error: boom' };
    const set = { seq: 2, time: 3, cause: 'api', depth: 0, kind: 'set', path: '/a', prevValue: { kind: 'missing' }, value: { kind: 'json', json: { x: 1 } }, changed: true, notified: true, payload: { kind: 'undefined' }, batched: false };
    const decoded = decodeAppMessage(line({
      v,
      type: 'trace',
      records: [good, { ...good, cause: 'someone' }, { ...set, value: 5 }, { ...good, kind: 'teleport' }, null, 'x', set],
    }));
    assert.deepEqual(decoded, { v, type: 'trace', records: [good, set] });
  });

  it('S138 takes a bye with or without its reason', () => {
    assert.deepEqual(decodeAppMessage(line({ v, type: 'bye', reason: 'done' })), { v, type: 'bye', reason: 'done' });
    assert.deepEqual(decodeAppMessage(line({ v, type: 'bye', reason: 7 })), { v, type: 'bye', reason: '' });
  });
});

describe('inspector protocol: framing', () => {
  it('S138 splits lines that arrive in pieces and several at once', () => {
    const decoder = new FrameDecoder(100);
    assert.deepEqual(decoder.push(Buffer.from('{"a"')), []);
    assert.deepEqual(decoder.push(Buffer.from(':1}\n{"b":2}\n{"c"')), ['{"a":1}', '{"b":2}']);
    assert.deepEqual(decoder.push(Buffer.from(':3}\n')), ['{"c":3}']);
  });

  it('S138 keeps a character split between two chunks whole', () => {
    const decoder = new FrameDecoder(100);
    const bytes = Buffer.from('"é"\n');
    assert.deepEqual(decoder.push(bytes.subarray(0, 2)), []);
    assert.deepEqual(decoder.push(bytes.subarray(2)), ['"é"']);
  });

  it('S138 reports overflow for a line over the limit, whether or not it has ended', () => {
    assert.equal(new FrameDecoder(10).push(Buffer.from('x'.repeat(11) + '\n')), 'overflow');
    const decoder = new FrameDecoder(10);
    assert.deepEqual(decoder.push(Buffer.from('x'.repeat(6))), []);
    assert.equal(decoder.push(Buffer.from('x'.repeat(6))), 'overflow');
    assert.deepEqual(new FrameDecoder(10).push(Buffer.from('x'.repeat(10) + '\n')), ['x'.repeat(10)]);
  });

  it('S138 encodes a message as one line that decodes to itself', () => {
    const frame = encodeFrame({ v, type: 'subscribe' });
    assert.ok(frame.endsWith('\n') && !frame.slice(0, -1).includes('\n'));
    assert.deepEqual(decodeExplorerMessage(frame.slice(0, -1)), { v, type: 'subscribe' });
  });

  it('S138 ignores a message longer than the limit even without framing', () => {
    assert.equal(decodeAppMessage(JSON.stringify({ ...hello, name: 'x'.repeat(MAX_MESSAGE_BYTES) })), undefined);
  });
});

describe('inspector protocol: values', () => {
  it('S138 sends JSON values as they are and a placeholder for anything else', () => {
    const unreadable = new UnreadableValue(new RestateFormatError('fs', '/a', '/s/a.json', 'Unexpected token'));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.deepEqual(toWireValue({ a: [1, 'x', null, true] }), { kind: 'json', json: { a: [1, 'x', null, true] } });
    assert.deepEqual(toWireValue(MISSING), { kind: 'missing' });
    assert.deepEqual(toWireValue(undefined), { kind: 'undefined' });
    assert.deepEqual(toWireValue(unreadable), { kind: 'unreadable', file: '/s/a.json', message: unreadable.error.message });
    for (const value of [10n, () => 1, Symbol('s'), { f: () => 1 }, { n: Number.NaN }, [Infinity], { u: unreadable }, new Date(0), new Map(), { toJSON: () => 1 }]) {
      const wire = toWireValue(value);
      assert.equal(wire.kind, 'unserializable', String(typeof value));
    }
    assert.deepEqual(toWireValue({ when: new Date(0) }), { kind: 'unserializable', description: 'a Date' });
    assert.deepEqual(toWireValue('x'.repeat(MAX_VALUE_BYTES + 1)), { kind: 'too-large', bytes: MAX_VALUE_BYTES + 3 });
    // A circular value never ends, and one nested deeper than the stack is no trouble: both are too large.
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(toWireValue(circular).kind, 'too-large');
    assert.equal(toWireValue(deep).kind, 'too-large');
    assert.deepEqual(toWireValue({ a: [[[1]]], b: { c: 'x' } }, 100), { kind: 'json', json: { a: [[[1]]], b: { c: 'x' } } });
  });

  it('S138 sends the records of a real trace so that they decode to what was sent', () => {
    const controller = new ControllerSync();
    const records: TraceRecord[] = [];
    controller.onTrace((record) => records.push(record));
    controller.deriveMany('/b', ['/a'], (data) => {
      if (data.get('/a') === 'bad') throw new Error('bad input');
      return { doubled: data.get('/a') };
    });
    controller.setState('/a', 1, { payload: 10n });
    try {
      controller.setState('/a', 'bad');
    } catch {
      // The derivation's failure comes back to the writer; the trace keeps its run.
    }
    controller.delState('/a');
    controller.ping('/b');
    const wire = records.map(toWireRecord);
    const message: TraceMessage = { v, type: 'trace', records: wire };
    assert.deepEqual(decodeAppMessage(encodeFrame(message).slice(0, -1)), message);
    // The text the app sends, written out record by record, is the same message.
    assert.deepEqual(decodeAppMessage(encodeTraceFrame(records.map(encodeWireRecord)).slice(0, -1)), message);
    assert.ok(wire.some((record) => record.kind === 'derive-run' && record.error !== null && record.error.includes('bad input')));
    assert.ok(wire.some((record) => record.kind === 'set' && record.payload.kind === 'unserializable'));
    // Back on the explorer's side: JSON values as they were, placeholders (the bigint payload, an object holding
    // undefined) as undefined, and records without values unchanged.
    const back = wire.map(fromWireRecord);
    const ofA = (list: TraceRecord[]) => list.filter((record) => record.kind !== 'derive-run' && record.kind !== 'track-run' && 'path' in record && record.path === '/a');
    assert.deepEqual(ofA(back), ofA(records).map((record) => ('payload' in record && typeof record.payload === 'bigint' ? { ...record, payload: undefined } : record)));
    assert.deepEqual(back.filter((record) => record.kind === 'derive-run'), records.filter((record) => record.kind === 'derive-run'));
    const firstWriteOfB = back.find((record) => record.kind === 'set' && record.path === '/b');
    assert.equal(firstWriteOfB?.kind === 'set' ? firstWriteOfB.value : 'none', undefined);
  });
});

describe('inspector protocol: hello', () => {
  it('S138 reports the package version as the library version', () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(LIBRARY_VERSION, version);
  });
});

describe('inspector protocol: announcements', () => {
  const announcement: InspectAnnouncement = { protocol: v, name: 'app', pid: 42, host: 'h', started: 1, transport: 'unix', address: '/run/x.sock', stateFolder: '/s' };

  it('S138 takes a well-formed announcement and ignores others', () => {
    assert.deepEqual(decodeAnnouncement(JSON.stringify(announcement)), announcement);
    for (const broken of [
      { ...announcement, protocol: v + 1 },
      { ...announcement, pid: -1 },
      { ...announcement, pid: 1.5 },
      { ...announcement, transport: 'carrier-pigeon' },
      { ...announcement, address: '' },
      { ...announcement, stateFolder: 3 },
    ]) {
      assert.equal(decodeAnnouncement(JSON.stringify(broken)), undefined, JSON.stringify(broken));
    }
    assert.equal(decodeAnnouncement('not json'), undefined);
  });
});
