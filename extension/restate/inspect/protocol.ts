/**
 * The inspector protocol: what a running app that called `inspect` tells a State Explorer about its
 * controller (its graph and its trace), how both sides find each other, and how messages are framed.
 *
 * One message is one line of JSON (newline-delimited JSON), at most MAX_MESSAGE_BYTES long. Every message
 * carries the protocol version `v`. The app sends hello, graph, trace and bye; the explorer sends only
 * subscribe and unsubscribe, so an explorer can watch an app but never change it. Both sides read what the
 * other sends as untrusted: the decoders below return `undefined` for anything they do not understand (an
 * unknown type, another version, a malformed field) instead of throwing, and the connection goes on.
 */
import type { GraphEdge, GraphNode, GraphSnapshot, RunStats } from '../graph';
import type { TraceCause, TraceRecord } from '../trace';
import { UnreadableValue } from '../unreadable';
import { MISSING, isPlainObject } from '../values';

/** The version of this protocol; messages and announcements of another version are ignored. */
export const INSPECT_PROTOCOL_VERSION = 1;
/** The longest message an app sends and an explorer accepts, in bytes of UTF-8, newline excluded; a longer one ends the connection. (An app accepts far less: explorers only subscribe and unsubscribe.) */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** The longest JSON text of one value inside a trace record; a longer value travels as a `too-large` placeholder. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** The most trace records in one trace message. */
export const MAX_TRACE_BATCH = 500;
/** The library's name, as hello reports it. */
export const LIBRARY_NAME = 'restate';
/** The library's version, as hello reports it (the package's version; a test holds them equal). */
export const LIBRARY_VERSION = '0.1.0';

// ---------------------------------------------------------------------------------------------------------
// Values

/** A value JSON can hold (S17): what a `json` WireValue carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A value of a trace record as it travels: the JSON value itself, or a placeholder saying why it is not there
 * (a missing node, `undefined`, a stored value that could not be parsed, a value JSON cannot hold, one too
 * large to send). Wrapping every value keeps a stored object that happens to look like a placeholder apart.
 */
export type WireValue =
  | {
      /** The value is JSON and travels as it is. */
      kind: 'json';
      /** The value itself. */
      json: JsonValue;
    }
  | {
      /** The value was MISSING, the backends' mark of a node that does not exist. */
      kind: 'missing';
    }
  | {
      /** The value was `undefined`: the value before a set that created the node, or a payload not given, say. */
      kind: 'undefined';
    }
  | {
      /** A stored file that is not valid JSON (an UnreadableValue, S131). */
      kind: 'unreadable';
      /** The path of that file. */
      file: string;
      /** Why it could not be parsed. */
      message: string;
    }
  | {
      /** A value JSON cannot hold (S17), such as a Map, a function or `NaN`. */
      kind: 'unserializable';
      /** What it was, such as `a Map` or `the number NaN`. */
      description: string;
    }
  | {
      /** A value whose JSON text is longer than MAX_VALUE_BYTES. */
      kind: 'too-large';
      /** The length of its JSON text in bytes of UTF-8, or a lower bound when it was too large to write out. */
      bytes: number;
    };

// ---------------------------------------------------------------------------------------------------------
// Messages from the app to the explorer

/** The trace record as it travels: TraceRecord with each value (prevValue, value, payload) a WireValue. */
export type WireTraceRecord = TraceRecord extends infer R ? (R extends TraceRecord ? WireRecordOf<R> : never) : never;
/** One kind of trace record `R` as it travels: its `prevValue`, `value` and `payload` each a WireValue, its other fields as they are. */
export type WireRecordOf<R> = { [K in keyof R]: K extends 'prevValue' | 'value' | 'payload' ? WireValue : R[K] };

/** The library an app inspects with, as its hello reports it. */
export interface LibraryInfo {
  /** The library's name: `restate` (LIBRARY_NAME). */
  name: string;
  /** Its version, such as `0.1.0`: the version of the restate-tree package. */
  version: string;
}

/** The first message of the app on every connection. */
export interface HelloMessage {
  /** The protocol version of this message, INSPECT_PROTOCOL_VERSION. */
  v: typeof INSPECT_PROTOCOL_VERSION;
  /** Says what message this is. */
  type: 'hello';
  /** The protocol version the app speaks (the same as `v`, kept apart so that later versions may list several). */
  protocol: number;
  /** The name the app gave `inspect` or `inspectOverRedis`, for the explorer to show. */
  name: string;
  /** The app's process id. */
  pid: number;
  /** The name of the machine the app runs on (`os.hostname()`). */
  host: string;
  /** When the inspector started, in ms since the epoch. */
  started: number;
  /** The library and version the app inspects with. */
  library: LibraryInfo;
  /** Whether the controller is a ControllerAsync. */
  async: boolean;
}

/** The controller's `graph()`: sent on subscribe, then whenever it differs from the last one sent. */
export interface GraphMessage {
  v: typeof INSPECT_PROTOCOL_VERSION;
  type: 'graph';
  graph: GraphSnapshot;
}

/** Trace records in the order the controller made them, while the explorer is subscribed. */
export interface TraceMessage {
  v: typeof INSPECT_PROTOCOL_VERSION;
  type: 'trace';
  records: WireTraceRecord[];
}

/** The app stops inspecting (dispose or exit); the connection closes after it. */
export interface ByeMessage {
  v: typeof INSPECT_PROTOCOL_VERSION;
  type: 'bye';
  reason: string;
}

export type AppMessage = HelloMessage | GraphMessage | TraceMessage | ByeMessage;

// ---------------------------------------------------------------------------------------------------------
// Messages from the explorer to the app: subscribe and unsubscribe, nothing else

/** Starts the graph and trace messages on this connection. */
export interface SubscribeMessage {
  v: typeof INSPECT_PROTOCOL_VERSION;
  type: 'subscribe';
}

/** Stops them; the connection stays open. */
export interface UnsubscribeMessage {
  v: typeof INSPECT_PROTOCOL_VERSION;
  type: 'unsubscribe';
}

export type ExplorerMessage = SubscribeMessage | UnsubscribeMessage;

// ---------------------------------------------------------------------------------------------------------
// Announcements

/**
 * How an inspecting app makes itself known. For a state folder it is a JSON file in the per-user runtime
 * directory (never in the state folder), named after a hash of the folder's real path; for a Redis tree it is
 * a key with a short expiry under the tree's prefix.
 */
export interface InspectAnnouncement {
  /** The protocol version the app speaks; announcements of another version are ignored. */
  protocol: number;
  /** The name the app gave `inspect` or `inspectOverRedis`, for the explorer to show. */
  name: string;
  /** The app's process id; a local announcement whose process is dead is ignored and removed. */
  pid: number;
  /** The name of the machine the app runs on (`os.hostname()`); a local announcement must name this one. */
  host: string;
  /** When the inspector started, in ms since the epoch. */
  started: number;
  /** `unix`: a Unix domain socket path; `pipe`: a Windows named pipe; `tcp`: `host:port`; `redis`: the app's channel id. */
  transport: 'unix' | 'pipe' | 'tcp' | 'redis';
  /** Where to connect, as `transport` says: the socket's path, the pipe's name, `host:port` or the app's channel id (never empty). */
  address: string;
  /** The real path of the state folder inspected, or null when the app named none (a Redis tree, say). */
  stateFolder: string | null;
}

// ---------------------------------------------------------------------------------------------------------
// Public API (implemented in ./server, ./client and ./redis)

/** What `inspect` takes. */
export interface InspectOptions {
  /** What the explorer shows for this app. */
  name: string;
  /**
   * The state folder the app works on, which the explorer has open: the inspector is announced for it. Default:
   * the controller's backend's folder (FileSystemSyncBackend / FileSystemAsyncBackend `base`); required otherwise.
   */
  stateFolder?: string;
  /** Listen on TCP as well as on the local socket, which lets anyone who can reach the port watch: off unless given. */
  tcp?: {
    /** The address to listen on, such as `127.0.0.1` to keep the port to this machine. */
    host: string;
    /** The port, from 0 to 65535; 0 lets the system pick a free one, which `Inspector.tcp` then tells. */
    port: number;
  };
  /** How often the graph is looked at for changes while an explorer is subscribed, in ms. Default 1,000. */
  graphIntervalMs?: number;
  /** The most bytes waiting to be sent to one explorer; one that reads slower is disconnected. Default 8 MiB. */
  maxBufferedBytes?: number;
}

/** A Redis tree, as the explorer's `restate.redisRoots` names it. */
export interface RedisInspectRoot {
  /** The Redis server's URL, such as `redis://localhost:6379`: one server, as the app's RedisBackend uses. */
  url: string;
  /** The tree's prefix, as its RedisBackend names it: the tree's keys are `restate:{<prefix>}:…`. */
  prefix: string;
}

/** What `inspect` returns: the running inspector. */
export interface Inspector {
  /** The announcement other processes find. */
  readonly announcement: InspectAnnouncement;
  /** How many explorers are connected now. */
  readonly connections: number;
  /** Where the TCP listener is bound, when the app asked for one; undefined otherwise, and always over Redis. */
  readonly tcp:
    | {
        /** The address it listens on, as the system reports it (`127.0.0.1`, `::1`, …). */
        host: string;
        /** The port it listens on: the one picked by the system when the app asked for port 0. */
        port: number;
      }
    | undefined;
  /** Says bye to every explorer, closes the socket and removes the announcement. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Told what a connection to an inspecting app receives. */
export interface InspectorConnectionEvents {
  /** The app's hello, the first message on the connection (before any subscribe). */
  hello: (message: HelloMessage) => void;
  /** The app's graph: once after each subscribe, then whenever it changed, while subscribed. */
  graph: (graph: GraphSnapshot) => void;
  /** Trace records in the order the controller made them, while subscribed; never an empty batch. Malformed records are left out. */
  trace: (records: WireTraceRecord[]) => void;
  /** The connection is closed (by `close`, a bye, the app going away, or the app sending too much); once. */
  close: (reason: string) => void;
}

/** A connection from an explorer to one inspecting app. */
export interface InspectorConnection {
  /** The announcement this connection was made from. */
  readonly announcement: InspectAnnouncement;
  /** The app's hello, once it came. */
  readonly hello: HelloMessage | undefined;
  /** Whether the connection is closed (the `close` event came); a closed connection sends and tells nothing more. */
  readonly closed: boolean;
  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof InspectorConnectionEvents>(event: E, listener: InspectorConnectionEvents[E]): () => void;
  /** Asks for the graph and the trace; the app sends the graph at once and trace records as they happen. */
  subscribe(): void;
  /** Stops the graph and the trace; the connection stays open and `subscribe` starts them again. */
  unsubscribe(): void;
  /** Closes the connection; the `close` event follows at once, and listeners are removed. Safe to call twice. */
  close(): void;
}

/** Lists and watches the apps that announce an inspector for one place (a state folder or a Redis tree). */
export interface InspectorDiscovery {
  /** The live announcements, oldest first; stale or foreign ones are left out. */
  list(): Promise<InspectAnnouncement[]>;
  /** Calls `onChange` with the live announcements whenever they may have changed, first at once; returns the function that stops it. */
  watch(onChange: (announcements: InspectAnnouncement[]) => void): () => void;
  /**
   * Connects to the app of one of the announcements, at once (failures come as the `close` event). A local
   * discovery takes `unix`, `pipe` and `tcp` announcements, a Redis one takes `redis` ones; another throws a TypeError.
   */
  connect(announcement: InspectAnnouncement): InspectorConnection;
  /** Stops every watch and releases what discovery holds (a Redis connection); connections stay open. */
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------------------
// Framing

/** One message as a frame: its JSON text and a newline. */
export function encodeFrame(message: AppMessage | ExplorerMessage): string {
  return JSON.stringify(message) + '\n';
}

/**
 * Splits a byte stream into lines. `push` returns the complete lines so far, or `'overflow'` once a line grew
 * past the limit without ending: the peer breaks the protocol, and the caller drops the connection.
 */
export class FrameDecoder {
  readonly #limit: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(limit = MAX_MESSAGE_BYTES) {
    this.#limit = limit;
  }

  push(chunk: Buffer): string[] | 'overflow' {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline >= 0; newline = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, newline);
      if (this.#pendingBytes + part.length > this.#limit) return 'overflow';
      const line = this.#pendingBytes === 0 ? part : Buffer.concat([...this.#pending, part]);
      this.#pending = [];
      this.#pendingBytes = 0;
      lines.push(line.toString('utf8'));
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.#pendingBytes + rest.length > this.#limit) return 'overflow';
      this.#pending.push(Buffer.from(rest));
      this.#pendingBytes += rest.length;
    }
    return lines;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding untrusted input

type Fields = Record<string, unknown>;

function parseObject(line: string): Fields | undefined {
  if (line.length === 0 || line.length > MAX_MESSAGE_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Fields;
  return fields.v === INSPECT_PROTOCOL_VERSION ? fields : undefined;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** An explorer's message, or undefined for anything else (which the app ignores). */
export function decodeExplorerMessage(line: string): ExplorerMessage | undefined {
  const fields = parseObject(line);
  if (fields === undefined) return undefined;
  if (fields.type === 'subscribe' || fields.type === 'unsubscribe') return { v: INSPECT_PROTOCOL_VERSION, type: fields.type };
  return undefined;
}

/** An app's message, or undefined for anything else (which the explorer ignores). Trace records that are malformed are left out. */
export function decodeAppMessage(line: string): AppMessage | undefined {
  const fields = parseObject(line);
  if (fields === undefined) return undefined;
  switch (fields.type) {
    case 'hello': {
      const { protocol, name, pid, host, started, library } = fields;
      if (!isFiniteNumber(protocol) || !isString(name) || !isFiniteNumber(pid) || !isString(host) || !isFiniteNumber(started)) return undefined;
      if (!isObject(library) || !isString(library.name) || !isString(library.version) || typeof fields.async !== 'boolean') return undefined;
      return { v: INSPECT_PROTOCOL_VERSION, type: 'hello', protocol, name, pid, host, started, library: { name: library.name, version: library.version }, async: fields.async };
    }
    case 'graph': {
      const graph = decodeGraph(fields.graph);
      return graph === undefined ? undefined : { v: INSPECT_PROTOCOL_VERSION, type: 'graph', graph };
    }
    case 'trace': {
      if (!Array.isArray(fields.records)) return undefined;
      const records: WireTraceRecord[] = [];
      for (const raw of fields.records) {
        const record = decodeTraceRecord(raw);
        if (record !== undefined) records.push(record);
      }
      return { v: INSPECT_PROTOCOL_VERSION, type: 'trace', records };
    }
    case 'bye':
      return { v: INSPECT_PROTOCOL_VERSION, type: 'bye', reason: isString(fields.reason) ? fields.reason : '' };
    default:
      return undefined;
  }
}

/** An announcement read from a file or a key, or undefined when it is not one of this protocol version. */
export function decodeAnnouncement(text: string): InspectAnnouncement | undefined {
  if (text.length > MAX_MESSAGE_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const { protocol, name, pid, host, started, transport, address, stateFolder } = parsed;
  if (protocol !== INSPECT_PROTOCOL_VERSION || !isString(name) || !isFiniteNumber(pid) || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (!isString(host) || !isFiniteNumber(started) || !isString(address) || address === '') return undefined;
  if (transport !== 'unix' && transport !== 'pipe' && transport !== 'tcp' && transport !== 'redis') return undefined;
  if (stateFolder !== null && !isString(stateFolder)) return undefined;
  return { protocol, name, pid, host, started, transport, address, stateFolder };
}

function decodeStats(value: unknown): RunStats | undefined {
  if (!isObject(value) || !isFiniteNumber(value.runCount)) return undefined;
  const { lastRunMs, lastError } = value;
  if (lastRunMs !== null && !isFiniteNumber(lastRunMs)) return undefined;
  if (lastError !== null && !(isObject(lastError) && isString(lastError.name) && isString(lastError.message))) return undefined;
  return { runCount: value.runCount, lastRunMs, lastError: lastError === null ? null : { name: lastError.name as string, message: lastError.message as string } };
}

function decodeGraph(value: unknown): GraphSnapshot | undefined {
  if (!isObject(value) || !Array.isArray(value.nodes) || !Array.isArray(value.edges)) return undefined;
  const nodes: GraphNode[] = [];
  for (const node of value.nodes) {
    if (!isObject(node) || !isString(node.id)) return undefined;
    if (node.kind === 'path') {
      nodes.push({ kind: 'path', id: node.id });
    } else if (node.kind === 'derivation') {
      const stats = decodeStats(node.stats);
      if (!isString(node.dest) || !isStringArray(node.sources) || stats === undefined) return undefined;
      nodes.push({ kind: 'derivation', id: node.id, dest: node.dest, sources: node.sources, stats });
    } else if (node.kind === 'tracker') {
      const stats = decodeStats(node.stats);
      if (!isStringArray(node.reads) || stats === undefined || (node.name !== undefined && !isString(node.name))) return undefined;
      nodes.push({ kind: 'tracker', id: node.id, ...(node.name === undefined ? {} : { name: node.name }), reads: node.reads, stats });
    } else {
      return undefined;
    }
  }
  const edges: GraphEdge[] = [];
  for (const edge of value.edges) {
    if (!isObject(edge) || !isString(edge.from) || !isString(edge.to)) return undefined;
    if (edge.kind !== 'source' && edge.kind !== 'dest' && edge.kind !== 'read') return undefined;
    edges.push({ from: edge.from, to: edge.to, kind: edge.kind });
  }
  return { nodes, edges };
}

const CAUSE_PREFIXES = ['derive:', 'track:', 'callback:'];
const PLAIN_CAUSES = new Set(['api', 'file', 'remote', 'initial', 'ping', 'rollback']);

function isCause(value: unknown): value is TraceCause {
  return isString(value) && (PLAIN_CAUSES.has(value) || CAUSE_PREFIXES.some((prefix) => value.startsWith(prefix)));
}

function decodeWireValue(value: unknown): WireValue | undefined {
  if (!isObject(value)) return undefined;
  switch (value.kind) {
    case 'json':
      return 'json' in value ? { kind: 'json', json: value.json as JsonValue } : undefined;
    case 'missing':
    case 'undefined':
      return { kind: value.kind };
    case 'unreadable':
      return isString(value.file) && isString(value.message) ? { kind: 'unreadable', file: value.file, message: value.message } : undefined;
    case 'unserializable':
      return isString(value.description) ? { kind: 'unserializable', description: value.description } : undefined;
    case 'too-large':
      return isFiniteNumber(value.bytes) ? { kind: 'too-large', bytes: value.bytes } : undefined;
    default:
      return undefined;
  }
}

function decodeTraceRecord(raw: unknown): WireTraceRecord | undefined {
  if (!isObject(raw)) return undefined;
  const { seq, time, cause, depth } = raw;
  if (!isFiniteNumber(seq) || !isFiniteNumber(time) || !isCause(cause) || !isFiniteNumber(depth)) return undefined;
  const common = { seq, time, cause, depth };
  const error = raw.error;
  const errorOk = error === null || isString(error);
  switch (raw.kind) {
    case 'set': {
      const prevValue = decodeWireValue(raw.prevValue), value = decodeWireValue(raw.value), payload = decodeWireValue(raw.payload);
      if (!isString(raw.path) || !prevValue || !value || !payload) return undefined;
      if (typeof raw.changed !== 'boolean' || typeof raw.notified !== 'boolean' || typeof raw.batched !== 'boolean') return undefined;
      return { ...common, kind: 'set', path: raw.path, prevValue, value, changed: raw.changed, notified: raw.notified, payload, batched: raw.batched };
    }
    case 'delete': {
      const prevValue = decodeWireValue(raw.prevValue), payload = decodeWireValue(raw.payload);
      if (!isString(raw.path) || !prevValue || !payload) return undefined;
      if (typeof raw.existed !== 'boolean' || typeof raw.notified !== 'boolean' || typeof raw.batched !== 'boolean') return undefined;
      return { ...common, kind: 'delete', path: raw.path, prevValue, existed: raw.existed, notified: raw.notified, payload, batched: raw.batched };
    }
    case 'ping': {
      const value = decodeWireValue(raw.value), payload = decodeWireValue(raw.payload);
      if (!isString(raw.path) || !value || !payload || typeof raw.batched !== 'boolean') return undefined;
      return { ...common, kind: 'ping', path: raw.path, value, payload, batched: raw.batched };
    }
    case 'derive-run':
      if (!isString(raw.id) || !isString(raw.dest) || !isString(raw.triggerPath) || !isFiniteNumber(raw.durationMs) || !errorOk) return undefined;
      return { ...common, kind: 'derive-run', id: raw.id, dest: raw.dest, triggerPath: raw.triggerPath, durationMs: raw.durationMs, error: error as string | null };
    case 'track-run':
      if (!isString(raw.id) || !isString(raw.triggerPath) || !isStringArray(raw.reads) || !isFiniteNumber(raw.durationMs) || !errorOk) return undefined;
      return { ...common, kind: 'track-run', id: raw.id, triggerPath: raw.triggerPath, reads: raw.reads, durationMs: raw.durationMs, error: error as string | null };
    case 'rollback':
      return isString(raw.path) ? { ...common, kind: 'rollback', path: raw.path } : undefined;
    case 'resync':
      return isString(raw.path) && isStringArray(raw.notified) ? { ...common, kind: 'resync', path: raw.path, notified: raw.notified } : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Encoding trace records

/**
 * A value's JSON text, or the placeholder that takes its place: `undefined`, MISSING, an UnreadableValue, a
 * value that is not JSON as S17 defines it (naming what is not), or one longer than `maxBytes` as JSON.
 */
function wireValueOrText(value: unknown, maxBytes: number): WireValue | string {
  if (value === undefined) return { kind: 'undefined' };
  if (value === MISSING) return { kind: 'missing' };
  if (value instanceof UnreadableValue) return { kind: 'unreadable', file: value.file, message: value.error.message };
  const problem = notJson(value, maxBytes);
  if (problem === 'too-large') return { kind: 'too-large', bytes: maxBytes + 1 };
  if (problem !== undefined) return { kind: 'unserializable', description: problem };
  const text = JSON.stringify(value);
  if (text.length > maxBytes) return { kind: 'too-large', bytes: Buffer.byteLength(text) };
  return text;
}

/**
 * What in a value is not JSON (S17: null, booleans, finite numbers, strings, arrays, plain objects), or
 * 'too-large' when it has more parts than its text could hold within `maxBytes`. Walked with a stack of its
 * own, so that a deep or circular value ends the walk rather than the stack.
 */
function notJson(value: unknown, maxBytes: number): string | undefined {
  const pending: unknown[] = [value];
  let parts = 0;
  while (pending.length > 0) {
    const part = pending.pop();
    if (++parts > maxBytes / 2) return 'too-large';
    switch (typeof part) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (Number.isFinite(part)) continue;
        return `the number ${String(part)}`;
      case 'object':
        if (part === null) continue;
        if (Array.isArray(part)) {
          for (const item of part as unknown[]) pending.push(item);
          continue;
        }
        if (part instanceof UnreadableValue) return `an unreadable value (${part.file})`;
        if (!isPlainObject(part)) return `a ${describeType(part)}`;
        for (const key in part) pending.push(part[key]);
        continue;
      default:
        return `a ${typeof part}`;
    }
  }
  return undefined;
}

/** A value made safe to send: JSON as it is, anything else a placeholder that says what it was. */
export function toWireValue(value: unknown, maxBytes = MAX_VALUE_BYTES): WireValue {
  const wire = wireValueOrText(value, maxBytes);
  return typeof wire === 'string' ? { kind: 'json', json: JSON.parse(wire) as JsonValue } : wire;
}

function wireValueText(value: unknown): string {
  const wire = wireValueOrText(value, MAX_VALUE_BYTES);
  return typeof wire === 'string' ? `{"kind":"json","json":${wire}}` : JSON.stringify(wire);
}

/**
 * A trace record's JSON text as a WireTraceRecord, made as the record is taken: its values are written out
 * now, as they are at the time of the change, and no copy of them is kept.
 */
export function encodeWireRecord(record: TraceRecord): string {
  switch (record.kind) {
    case 'set': {
      const { prevValue, value, payload, ...rest } = record;
      return `${JSON.stringify(rest).slice(0, -1)},"prevValue":${wireValueText(prevValue)},"value":${wireValueText(value)},"payload":${wireValueText(payload)}}`;
    }
    case 'delete': {
      const { prevValue, payload, ...rest } = record;
      return `${JSON.stringify(rest).slice(0, -1)},"prevValue":${wireValueText(prevValue)},"payload":${wireValueText(payload)}}`;
    }
    case 'ping': {
      const { value, payload, ...rest } = record;
      return `${JSON.stringify(rest).slice(0, -1)},"value":${wireValueText(value)},"payload":${wireValueText(payload)}}`;
    }
    default:
      return JSON.stringify(record);
  }
}

/** Trace records encoded by `encodeWireRecord` as one frame. */
export function encodeTraceFrame(records: readonly string[]): string {
  return `{"v":${INSPECT_PROTOCOL_VERSION},"type":"trace","records":[${records.join(',')}]}\n`;
}

/** A short text for a wire value, for a list or a tooltip. */
export function describeWireValue(value: WireValue): string {
  switch (value.kind) {
    case 'json':
      return JSON.stringify(value.json);
    case 'missing':
      return '(missing)';
    case 'undefined':
      return '(undefined)';
    case 'unreadable':
      return `(unreadable: ${value.message})`;
    case 'unserializable':
      return `(not JSON: ${value.description})`;
    case 'too-large':
      return `(too large to send: ${value.bytes} bytes)`;
  }
}

/** A trace record made safe to send. */
export function toWireRecord(record: TraceRecord): WireTraceRecord {
  switch (record.kind) {
    case 'set':
      return { ...record, prevValue: toWireValue(record.prevValue), value: toWireValue(record.value), payload: toWireValue(record.payload) };
    case 'delete':
      return { ...record, prevValue: toWireValue(record.prevValue), payload: toWireValue(record.payload) };
    case 'ping':
      return { ...record, value: toWireValue(record.value), payload: toWireValue(record.payload) };
    case 'track-run':
      return { ...record, reads: [...record.reads] };
    case 'resync':
      return { ...record, notified: [...record.notified] };
    default:
      return { ...record };
  }
}

function describeType(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : 'object';
}

/**
 * A trace record as an app sent it, with its values back as plain values: a placeholder (missing, unreadable,
 * not JSON, too large) becomes `undefined`. The inverse of toWireRecord for JSON values.
 */
export function fromWireRecord(record: WireTraceRecord): TraceRecord {
  const plain = (value: WireValue): unknown => (value.kind === 'json' ? value.json : undefined);
  switch (record.kind) {
    case 'set':
      return { ...record, prevValue: plain(record.prevValue), value: plain(record.value), payload: plain(record.payload) };
    case 'delete':
      return { ...record, prevValue: plain(record.prevValue), payload: plain(record.payload) };
    case 'ping':
      return { ...record, value: plain(record.value), payload: plain(record.payload) };
    default:
      return record;
  }
}
