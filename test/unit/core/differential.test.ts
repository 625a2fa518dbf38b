// Differential property test: random sequences of writes, deletes, pings, subscriptions with wildcards,
// derivations, trackers, batches and failing callbacks run through ControllerSync, ControllerSync with a
// trace listener, ControllerAsync with a trace listener and ControllerAsync over an async backend. All four
// must deliver the same notifications, return or throw the same for every call and end in the same
// state; the two controllers with trace listeners must trace the same records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ControllerAsync, ControllerSync, InMemoryBackend, RestateError } from '../../../extension/restate/index';
import type { StateEvent, TraceRecord } from '../../../extension/restate/index';
import { promisedBackend } from './controllers';

const writablePaths = ['/a', '/a/b', '/a/c', '/b', '/b/x', '/c'] as const;
const patterns = ['/', '/a', '/a/b', '/b', '/*', '/a/*', '/*/b', '/*/x'] as const;
const sources = ['/a', '/a/b', '/b', '/a/*', '/*/x'] as const;

type Behaviour = 'log' | 'fail' | 'write' | 'stop';

type Step =
  | { op: 'set'; path: string; value: unknown }
  | { op: 'del'; path: string }
  | { op: 'ping'; path: string }
  | { op: 'subscribe'; pattern: string; behaviour: Behaviour }
  | { op: 'unsubscribe'; index: number }
  | { op: 'derive'; dest: number; source: string }
  | { op: 'underive'; dest: number }
  | { op: 'track'; slot: number }
  | { op: 'untrack'; index: number }
  | { op: 'batch'; steps: BatchStep[]; fails: boolean };

type BatchStep = Extract<Step, { op: 'set' | 'del' | 'ping' }>;

const value = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('x', 'y'), fc.record({ n: fc.integer({ min: 0, max: 2 }) }), fc.constant(null));
const writable = fc.constantFrom(...writablePaths);
const write: fc.Arbitrary<BatchStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), path: writable, value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('del' as const), path: writable }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ping' as const), path: writable }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: write },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('subscribe' as const), pattern: fc.constantFrom(...patterns), behaviour: fc.constantFrom<Behaviour>('log', 'log', 'fail', 'write', 'stop') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unsubscribe' as const), index: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('derive' as const), dest: fc.nat(1), source: fc.constantFrom(...sources) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('underive' as const), dest: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('track' as const), slot: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('untrack' as const), index: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('batch' as const), steps: fc.array(write, { minLength: 1, maxLength: 4 }), fails: fc.boolean() }) },
);

/** What a run produced: the calls' outcomes and notifications in order, the final state, the trace. */
interface Observed {
  log: string[];
  state: string;
  trace: string[] | undefined;
}

type Controller = ControllerSync | ControllerAsync;
type Variant = { readonly name: string; readonly traced: boolean; make(): Controller };

const variants: readonly Variant[] = [
  { name: 'ControllerSync', traced: false, make: () => new ControllerSync(new InMemoryBackend()) },
  { name: 'ControllerSync with a trace listener', traced: true, make: () => new ControllerSync(new InMemoryBackend()) },
  { name: 'ControllerAsync with a trace listener', traced: true, make: () => new ControllerAsync(new InMemoryBackend()) },
  { name: 'ControllerAsync over an async backend', traced: false, make: () => new ControllerAsync(promisedBackend(new InMemoryBackend())) },
];

function text(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function outcomeOf(error: unknown): string {
  if (error instanceof RestateError) return `threw ${error.name} (${error.code}): ${error.message}`;
  return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** A trace record without what differs between runs by nature: its time and how long a run took. */
function traced(record: TraceRecord): string {
  const { time: _time, ...rest } = record;
  void _time;
  if ('durationMs' in rest) rest.durationMs = 0;
  return JSON.stringify(rest, (_key, v: unknown) => (v === undefined ? '<undefined>' : v));
}

async function run(variant: Variant, steps: readonly Step[]): Promise<Observed> {
  const c = variant.make();
  const log: string[] = [];
  const trace: string[] = [];
  if (variant.traced) c.onTrace((record) => trace.push(traced(record)));
  const subscriptions: { pattern: string; id: string }[] = [];
  const trackers: string[] = [];

  const callback = (index: number, behaviour: Behaviour) => (event: StateEvent<Controller>): unknown => {
    log.push(`s${index} ${event.emittingPath}@${event.currentPath} ${text(event.prevValue)}→${text(event.newValue)}`);
    if (behaviour === 'fail') throw new Error(`s${index} fails`);
    if (behaviour === 'stop') event.stopBubbling();
    // Settles: the second write of the same text is equal and notifies nobody.
    if (behaviour === 'write') return event.setState(`/w/s${index}`, event.emittingPath);
    return undefined;
  };

  const tracked = (slot: number) => {
    const body = (flag: unknown, read: (path: string) => unknown, then: (chosen: unknown) => unknown): unknown => then(read(flag === 1 ? '/b' : '/a/c'));
    if (c instanceof ControllerSync) {
      return (event: StateEvent<ControllerSync>): void => {
        const flag = event.getState('/a/b');
        const chosen = body(flag, (path) => event.getState(path), (v) => v);
        log.push(`t${slot} ${text(flag)} ${text(chosen)}`);
        event.setState(`/t/${slot}`, text(chosen));
      };
    }
    return async (event: StateEvent<ControllerAsync>): Promise<void> => {
      const flag = await event.getState('/a/b');
      const chosen = await (flag === 1 ? event.getState('/b') : event.getState('/a/c'));
      log.push(`t${slot} ${text(flag)} ${text(chosen)}`);
      await event.setState(`/t/${slot}`, text(chosen));
    };
  };

  const writeStep = async (s: BatchStep): Promise<unknown> => {
    if (s.op === 'set') return c.setState(s.path, s.value);
    if (s.op === 'del') return c.delState(s.path);
    return c.ping(s.path);
  };

  for (const [i, s] of steps.entries()) {
    try {
      let result: unknown;
      switch (s.op) {
        case 'set':
        case 'del':
        case 'ping':
          result = await writeStep(s);
          break;
        case 'subscribe': {
          const index = subscriptions.length;
          const id = c.subscribe(s.pattern, callback(index, s.behaviour) as never);
          subscriptions.push({ pattern: s.pattern, id });
          result = id;
          break;
        }
        case 'unsubscribe': {
          const subscription = subscriptions[s.index];
          result = subscription === undefined ? 'none' : c.unsubscribe(subscription.pattern, subscription.id);
          break;
        }
        case 'derive':
          result = await c.derive(`/d/${s.dest}`, s.source, (v) => `${s.source}=${text(v)}`);
          break;
        case 'underive':
          result = c.underive(`/d/${s.dest}`);
          break;
        case 'track':
          result = await c.track(tracked(s.slot) as never);
          trackers.push(String(result));
          break;
        case 'untrack': {
          const id = trackers[s.index];
          result = id === undefined ? 'none' : c.untrack(id);
          break;
        }
        case 'batch': {
          const fails = (): string => {
            if (s.fails) throw new Error('the batch fails');
            return 'done';
          };
          if (c instanceof ControllerSync) {
            result = c.batch(() => {
              for (const inner of s.steps) {
                if (inner.op === 'set') c.setState(inner.path, inner.value);
                else if (inner.op === 'del') c.delState(inner.path);
                else c.ping(inner.path);
              }
              return fails();
            });
          } else {
            result = await c.batch(async () => {
              for (const inner of s.steps) await writeStep(inner);
              return fails();
            });
          }
          break;
        }
      }
      log.push(`#${i} ${s.op} → ${text(result)}`);
    } catch (error) {
      log.push(`#${i} ${s.op} ${outcomeOf(error)}`);
    }
  }
  const state = text(await c.getState('/'));
  return { log, state, trace: variant.traced ? trace : undefined };
}

/** Runs every variant and returns the first difference to the first variant, described; `undefined` if none. */
export async function firstDifference(steps: readonly Step[]): Promise<string | undefined> {
  const [reference, ...others] = variants;
  const expected = await run(reference, steps);
  let expectedTrace: { name: string; trace: string[] } | undefined;
  for (const variant of [reference, ...others]) {
    const observed = variant === reference ? expected : await run(variant, steps);
    const at = observed.log.findIndex((line, i) => line !== expected.log[i]);
    if (at >= 0 || observed.log.length !== expected.log.length) {
      const index = at >= 0 ? at : Math.min(observed.log.length, expected.log.length);
      return `${variant.name} differs from ${reference.name} at log line ${index}:\n  ${reference.name}: ${expected.log[index]}\n  ${variant.name}: ${observed.log[index]}`;
    }
    if (observed.state !== expected.state) return `${variant.name} ends in ${observed.state}, ${reference.name} in ${expected.state}`;
    if (observed.trace === undefined) continue;
    if (expectedTrace === undefined) {
      expectedTrace = { name: variant.name, trace: observed.trace };
      continue;
    }
    const t = observed.trace.findIndex((line, i) => line !== expectedTrace?.trace[i]);
    if (t >= 0 || observed.trace.length !== expectedTrace.trace.length) {
      const index = t >= 0 ? t : Math.min(observed.trace.length, expectedTrace.trace.length);
      return `${variant.name} traces differently from ${expectedTrace.name} at record ${index}:\n  ${expectedTrace.name}: ${expectedTrace.trace[index]}\n  ${variant.name}: ${observed.trace[index]}`;
    }
  }
  return undefined;
}

describe('the controllers agree (differential, property-based)', () => {
  it('random sequences give the same notifications, results, final state and trace on every controller', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const difference = await firstDifference(steps);
        assert.equal(difference, undefined, difference);
      }),
      { numRuns: Number(process.env.RESTATE_DIFFERENTIAL_RUNS ?? 150), seed: process.env.RESTATE_DIFFERENTIAL_SEED === undefined ? undefined : Number(process.env.RESTATE_DIFFERENTIAL_SEED) },
    );
  });

  it('the comparison sees a difference in what is delivered', async () => {
    // Guards the test itself: two runs of different sequences must compare as different.
    const a = await run(variants[0], [{ op: 'subscribe', pattern: '/a', behaviour: 'log' }, { op: 'set', path: '/a', value: 1 }]);
    const b = await run(variants[2], [{ op: 'subscribe', pattern: '/a', behaviour: 'log' }, { op: 'set', path: '/a', value: 2 }]);
    assert.notDeepEqual(a.log, b.log);
    assert.notEqual(a.state, b.state);
  });
});
