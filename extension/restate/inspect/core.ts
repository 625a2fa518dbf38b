import { hostname } from 'node:os';
import type { ControllerAsync, ControllerSync } from '../controller';
import type { TraceRecord } from '../trace';
import {
  INSPECT_PROTOCOL_VERSION,
  LIBRARY_NAME,
  LIBRARY_VERSION,
  MAX_MESSAGE_BYTES,
  MAX_TRACE_BATCH,
  encodeFrame,
  encodeTraceFrame,
  encodeWireRecord,
  type HelloMessage,
  type InspectAnnouncement,
} from './protocol';

export type InspectedController = ControllerSync | ControllerAsync;

/** Where the messages for one subscribed explorer go; it enforces its own limits and never blocks. */
export interface Subscriber {
  send(frame: string): void;
}

const DEFAULT_GRAPH_INTERVAL_MS = 1_000;

/**
 * What every transport shares: the hello, the subscribers, the trace listener (attached only while someone
 * is subscribed, so an inspector nobody watches costs the app nothing), the batching of trace records and
 * the graph sent again when it changed. The app's state changes only ever append to a batch here.
 */
export class InspectorCore {
  readonly #controller: InspectedController;
  readonly #subscribers = new Set<Subscriber>();
  readonly #graphIntervalMs: number;
  readonly hello: HelloMessage;
  #detachTrace: (() => void) | undefined;
  /** The JSON text of each record not sent yet. */
  #pending: string[] = [];
  #pendingRuns = false;
  #flushScheduled = false;
  #graphTimer: NodeJS.Timeout | undefined;
  #lastGraph = '';
  #disposed = false;

  constructor(controller: InspectedController, name: string, started: number, isAsync: boolean, graphIntervalMs = DEFAULT_GRAPH_INTERVAL_MS) {
    this.#controller = controller;
    this.#graphIntervalMs = graphIntervalMs;
    this.hello = {
      v: INSPECT_PROTOCOL_VERSION,
      type: 'hello',
      protocol: INSPECT_PROTOCOL_VERSION,
      name,
      pid: process.pid,
      host: hostname(),
      started,
      library: { name: LIBRARY_NAME, version: LIBRARY_VERSION },
      async: isAsync,
    };
  }

  /** The announcement that tells explorers where this app can be reached, from its hello. */
  announcement(transport: InspectAnnouncement['transport'], address: string, stateFolder: string | null): InspectAnnouncement {
    const { name, pid, host, started } = this.hello;
    return { protocol: INSPECT_PROTOCOL_VERSION, name, pid, host, started, transport, address, stateFolder };
  }

  get helloFrame(): string {
    return encodeFrame(this.hello);
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Sends the graph to the new subscriber and starts the trace if it is the first. */
  subscribe(subscriber: Subscriber): void {
    if (this.#disposed) return;
    this.#flush();
    subscriber.send(encodeFrame({ v: INSPECT_PROTOCOL_VERSION, type: 'graph', graph: this.#controller.graph() }));
    if (this.#subscribers.has(subscriber)) return;
    this.#subscribers.add(subscriber);
    if (this.#detachTrace === undefined) {
      this.#detachTrace = this.#controller.onTrace((record) => this.#take(record));
      this.#lastGraph = JSON.stringify(this.#controller.graph());
      this.#graphTimer = setInterval(() => this.#checkGraph(), this.#graphIntervalMs);
      this.#graphTimer.unref();
    }
  }

  /** Stops sending to a subscriber; the last one leaving detaches the trace listener. */
  unsubscribe(subscriber: Subscriber): void {
    if (!this.#subscribers.delete(subscriber)) return;
    if (this.#subscribers.size === 0) this.#stopTrace();
  }

  /** Sends what is pending, then stops; subscribers are the transport's to close. */
  dispose(): void {
    if (this.#disposed) return;
    this.#flush();
    this.#disposed = true;
    this.#subscribers.clear();
    this.#stopTrace();
  }

  #stopTrace(): void {
    this.#detachTrace?.();
    this.#detachTrace = undefined;
    clearInterval(this.#graphTimer);
    this.#graphTimer = undefined;
    this.#pending = [];
    this.#pendingRuns = false;
  }

  #take(record: TraceRecord): void {
    // Values are made JSON now: the app may change an object it passed to setState after the call returns.
    this.#pending.push(encodeWireRecord(record));
    if (record.kind === 'derive-run' || record.kind === 'track-run') this.#pendingRuns = true;
    if (this.#pending.length >= MAX_TRACE_BATCH) {
      this.#flush();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const records = this.#pending;
    const hasRuns = this.#pendingRuns;
    this.#pending = [];
    this.#pendingRuns = false;
    for (const frame of traceFrames(records)) this.#broadcast(frame);
    if (hasRuns) this.#checkGraph();
  }

  #checkGraph(): void {
    if (this.#subscribers.size === 0) return;
    const graph = this.#controller.graph();
    const text = JSON.stringify(graph);
    if (text === this.#lastGraph) return;
    this.#lastGraph = text;
    this.#broadcast(encodeFrame({ v: INSPECT_PROTOCOL_VERSION, type: 'graph', graph }));
  }

  #broadcast(frame: string): void {
    for (const subscriber of [...this.#subscribers]) subscriber.send(frame);
  }
}

/** The records as trace frames, each within MAX_MESSAGE_BYTES (a batch too large is split). */
function traceFrames(records: string[]): string[] {
  const frame = encodeTraceFrame(records);
  if (frame.length <= MAX_MESSAGE_BYTES / 3 || Buffer.byteLength(frame) - 1 <= MAX_MESSAGE_BYTES) return [frame];
  if (records.length === 1) return [];
  const half = records.length >> 1;
  return [...traceFrames(records.slice(0, half)), ...traceFrames(records.slice(half))];
}
