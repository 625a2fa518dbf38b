import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';

/**
 * Runs workspace code (derive transforms, tracked expressions) away from the extension's own objects.
 *
 * The code runs in a worker thread, in a fresh V8 context per run whose global object has a null prototype
 * (so `this.constructor` leads to the context's own Function, never a host one), with string code generation
 * (eval, Function) switched off and microtasks run inside the time limit. Values cross as JSON strings: the
 * input is parsed inside the context and the result stringified inside it, so no object of the extension is
 * reachable from the script, and errors become text inside the context too. The host reads nothing but that
 * text, checks its form, and settles every run whatever the script did to the context's globals.
 *
 * Why a worker and not node:vm in the extension host: ending an endless promise chain at the time limit
 * corrupts Node's async-hook stack and aborts the process when async hooks are active, and the extension
 * host uses them (AsyncLocalStorage). The worker has none; and should anything still hang it, it is
 * terminated and replaced.
 *
 * A script has no timers, but it can leave work behind its result: microtasks still queued when it returns,
 * which run before the worker replies, and finalization callbacks, which V8 runs as tasks of the worker
 * whenever it collects the objects, even long after the run. Such work is marked with its run's id in
 * memory shared with the host, which blames that run when the work keeps the worker busy (see LATE_SLOT).
 */

/** What a definition's code is: an expression (its value is the result) or a function body (it returns it). */
export type CodeForm = 'expression' | 'body';

export interface CompiledCode {
  readonly form: CodeForm;
  /** The function body handed to vm.compileFunction, recompiled in every run's fresh context. */
  readonly body: string;
  readonly params: readonly string[];
}

export class SandboxSyntaxError extends Error {
  override readonly name = 'SandboxSyntaxError';
}

export class SandboxTimeoutError extends Error {
  override readonly name = 'SandboxTimeoutError';
}

export class SandboxScriptError extends Error {
  override readonly name = 'SandboxScriptError';
}

/**
 * Compiles `code` as an expression if it is one, else as a function body. An expression whose value is a
 * function is called with the parameters, so `(a, b) => a + b` over `sources` works as well.
 */
export function compileCode(code: string, params: readonly string[]): CompiledCode {
  const expression = `"use strict";\nconst __value = (\n${code.replace(/[;\s]+$/, '')}\n);\nreturn typeof __value === 'function' ? __value(${params.join(', ')}) : __value;`;
  try {
    vm.compileFunction(expression, [...params]);
    return { form: 'expression', body: expression, params };
  } catch {
    // Not an expression: try it as a function body, whose syntax error is the one worth reporting.
  }
  const body = `"use strict";\n${code}\n`;
  try {
    vm.compileFunction(body, [...params]);
  } catch (error) {
    throw new SandboxSyntaxError(error instanceof Error ? error.message : String(error));
  }
  return { form: 'body', body, params };
}

/** A value as it crosses into the sandbox: absent `v` means undefined. */
type Boxed = { v?: unknown };

interface RunInput {
  readonly values: Record<string, Boxed>;
  readonly sources: unknown[];
  /** Whether an unknown read stops the run to be retried with its value (runLazy), or gives undefined. */
  readonly lazy: boolean;
}

interface RunOutput {
  readonly value?: unknown;
  readonly error?: string;
  /** Paths `get` was asked for that the input did not hold (lazy reads, see runLazy). */
  readonly missing: readonly string[];
  /** How long the run took from when the worker began it, waiting for the worker not included. */
  readonly ranMs: number;
  /** The sandbox's id of the run, as SandboxRestart names it. */
  readonly runId: number;
}

type WorkerRequest =
  | { readonly kind: 'run'; readonly id: number; readonly body: string; readonly params: readonly string[]; readonly input: string }
  | { readonly kind: 'batch'; readonly id: number; readonly runs: readonly BatchRun[] }
  | { readonly kind: 'ping'; readonly check: number };

/** One run of a batch; its id is the batch's id plus its index. */
interface BatchRun {
  readonly body: string;
  readonly params: readonly string[];
  readonly input: string;
}

type WorkerReply =
  | { readonly kind: 'run'; readonly id: number; readonly text?: unknown; readonly failure?: string }
  | { readonly kind: 'batch'; readonly id: number; readonly done?: true; readonly index?: number; readonly text?: unknown; readonly failure?: string; readonly ranMs?: number }
  | { readonly kind: 'late'; readonly message: string };

// Memory the host shares with the worker, readable while either is busy: the id of the run the worker is
// executing and when it began it (Date.now()), which the time limit counts from and which tells a run that
// never began from one that does not end; the id of the last run it finished; the last idle check it
// answered (which a busy host reads correctly even when it gets to it late); and the id of the run whose code
// runs after that run's result (work it scheduled: microtasks, finalization callbacks) and since when, which a
// stuck worker cannot report by message.
const RUNNING_SLOT = 0;
const FINISHED_SLOT = 1;
const ANSWERED_SLOT = 2;
const LATE_SLOT = 3;
const SLOTS = 4;
const BEGAN_CLOCK = 0;
const LATE_CLOCK = 1;
const CLOCKS = 2;
const SHARED_BYTES = SLOTS * Int32Array.BYTES_PER_ELEMENT + CLOCKS * Float64Array.BYTES_PER_ELEMENT;

// Runs in each run's context as the worker makes it, before any script. It keeps its own JSON and Promise
// functions, so that nothing the script replaces changes the result's form, and leaves __restateRun, which the
// run calls (RUN): that takes what it needs from the worker (the input as one JSON string, the compiled
// function, the run's id) and deletes it, and itself, from the global object before the script runs. Only
// that call is part of the run: the rest is made with the spare context, while the worker waits. The result
// is one JSON string put together here. A lazy read of an unknown path records it in `missing` and throws,
// which ends the run there. A thenable result is awaited: the context's microtasks run before the time limit ends, and as
// the script has no timers or I/O, a promise that is still pending then never settles.
// Once the result is there, the prelude marks the shared memory (see LATE_SLOT) with the run's id: whatever
// code of the context runs from then on (the microtasks still queued, a finalization callback, which V8 runs
// as a task of the worker, even long after the run) is work the run scheduled after its result, and the host
// blames that run when such work keeps the worker busy. Finalization callbacks are wrapped to mark it so.
const PRELUDE = `(() => {
  "use strict";
  const { parse, stringify } = JSON;
  const { apply, construct } = Reflect;
  const { defineProperty } = Object;
  const { load, store } = Atomics;
  const now = Date.now;
  const resolvePromise = Promise.resolve.bind(Promise);
  const then = Promise.prototype.then;
  const marks = __marks;
  const clocks = __clocks;
  delete globalThis.__marks;
  delete globalThis.__clocks;
  let run = 0;
  const beginLate = () => {
    const before = load(marks, ${LATE_SLOT});
    clocks[${LATE_CLOCK}] = now();
    store(marks, ${LATE_SLOT}, run);
    return before;
  };
  const Registry = FinalizationRegistry;
  const registryPrototype = Registry.prototype;
  const GuardedRegistry = function FinalizationRegistry(cleanup) {
    if (new.target === undefined) throw new TypeError("Constructor FinalizationRegistry requires 'new'");
    if (typeof cleanup !== 'function') throw new TypeError('FinalizationRegistry: cleanup must be callable');
    const late = (held) => {
      const before = beginLate();
      try {
        apply(cleanup, undefined, [held]);
      } finally {
        store(marks, ${LATE_SLOT}, before);
      }
    };
    return construct(Registry, [late], new.target);
  };
  defineProperty(GuardedRegistry, 'prototype', { value: registryPrototype });
  defineProperty(registryPrototype, 'constructor', { value: GuardedRegistry, writable: true, configurable: true });
  defineProperty(globalThis, 'FinalizationRegistry', { value: GuardedRegistry, writable: true, configurable: true });
  class Missing {}
  const normalise = (path) => '/' + String(path).split('/').filter((s) => s !== '' && s !== '.').join('/');
  const describe = (error) => {
    try {
      if (error instanceof Error) return String(error.name) + ': ' + String(error.message);
      return 'thrown: ' + String(error);
    } catch {
      return 'an error that cannot be printed';
    }
  };
  const begin = () => {
    delete globalThis.__restateRun;
    const input = parse(__input);
    const fn = __fn;
    run = __run;
    delete globalThis.__input;
    delete globalThis.__fn;
    delete globalThis.__run;
    const known = new Map(Object.entries(input.values));
    const missing = [];
    Object.setPrototypeOf(missing, null);
    const get = (path) => {
      const key = normalise(path);
      const box = known.get(key);
      if (box === undefined) {
        if (!input.lazy) return undefined;
        let seen = false;
        for (let i = 0; i < missing.length; i++) if (missing[i] === key) seen = true;
        if (!seen) missing[missing.length] = key;
        throw new Missing();
      }
      return box.v;
    };
    const args = { sources: input.sources, get };
    const finish = (outcome) => {
      const text = '{"missing":' + stringify(missing) + outcome + '}';
      beginLate();
      return text;
    };
    const failed = (error) => finish(error instanceof Missing || missing.length > 0 ? '' : ',"error":' + stringify(describe(error)));
    const succeeded = (value) => {
      if (value === undefined) return finish('');
      let text;
      try {
        text = stringify(value);
      } catch (error) {
        return failed(error);
      }
      if (text === undefined) return finish(',"error":' + stringify('the result is not JSON data: ' + typeof value));
      return finish(',"value":' + text);
    };
    let result;
    defineProperty(globalThis, '__restateCollect', {
      value: () => result ?? finish(',"error":' + stringify('its promise never settled')),
      writable: false,
      configurable: false,
    });
    try {
      const value = fn(...input.params.map((name) => args[name]));
      if ((typeof value === 'object' || typeof value === 'function') && value !== null && typeof value.then === 'function') {
        apply(then, resolvePromise(value), [(settled) => { result = succeeded(settled); }, (error) => { result = failed(error); }]);
        return undefined;
      }
      return succeeded(value);
    } catch (error) {
      return failed(error);
    }
  };
  defineProperty(globalThis, '__restateRun', { value: begin, writable: false, configurable: true });
})()`;
const RUN = '__restateRun()';

// The worker's program. It owns the unhandled rejections and uncaught exceptions of the scripts, which would
// otherwise end it: one during a run fails that run (the reply waits one turn of the event loop, after which
// Node has reported them); one outside any run is reported to the host.
const WORKER_SOURCE = String.raw`
const vm = require('node:vm');
const { types } = require('node:util');
const { parentPort, workerData } = require('node:worker_threads');
const marks = new Int32Array(workerData.marks, 0, ${SLOTS});
const clocks = new Float64Array(workerData.marks, ${SLOTS * Int32Array.BYTES_PER_ELEMENT}, ${CLOCKS});
const prelude = new vm.Script(${JSON.stringify(PRELUDE)}, { filename: 'restate-sandbox' });
const begin = new vm.Script(${JSON.stringify(RUN)}, { filename: 'restate-sandbox' });
const collect = new vm.Script('__restateCollect()', { filename: 'restate-sandbox' });
let current;

// Describes a value the script threw without running any of its code: only own data properties are read,
// and proxies are not looked into.
const ownString = (object, key) => {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  return descriptor !== undefined && typeof descriptor.value === 'string' ? descriptor.value : undefined;
};
const describe = (reason) => {
  if (reason === null || (typeof reason !== 'object' && typeof reason !== 'function')) return 'thrown: ' + String(reason);
  let name;
  let message;
  let object = reason;
  for (let depth = 0; object !== null && depth < 32 && (name === undefined || message === undefined); depth++) {
    if (types.isProxy(object)) break;
    name ??= ownString(object, 'name');
    message ??= ownString(object, 'message');
    object = Object.getPrototypeOf(object);
  }
  return message === undefined ? 'thrown: an object' : (name ?? 'Error') + ': ' + message;
};

const blame = (message) => {
  if (current !== undefined) current.failure ??= message;
  else parentPort.postMessage({ kind: 'late', message });
};
process.on('unhandledRejection', (reason) => blame('an unhandled promise rejection: ' + describe(reason)));
process.on('uncaughtException', (error) => blame('an uncaught exception: ' + describe(error)));

// A context costs more than the rest of a trivial run: the next one is made while the worker waits, and the
// code of the last run is compiled in it, which the next run takes when it has the same code (a derivation's
// next run, mostly). Compiling runs none of the script's code: the context is as fresh as one made for the run.
const newContext = () => {
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  context.__marks = marks;
  context.__clocks = clocks;
  prelude.runInContext(context);
  return context;
};
let spare;
let last;
const newSpare = () => {
  const context = newContext();
  if (last === undefined) return { context };
  try {
    return { context, body: last.body, params: last.params, fn: vm.compileFunction(last.body, last.params, { parsingContext: context }) };
  } catch {
    return { context };
  }
};
const sameParams = (a, b) => a.length === b.length && a.every((name, index) => name === b[index]);

// No timeout option: Node starts a watchdog thread for every call that has one, which cost more than the
// run itself. The host holds the time limit and terminates the worker when a run exceeds it.
function execute(request) {
  const prepared = spare;
  spare = undefined;
  const context = prepared?.context ?? newContext();
  last = { body: request.body, params: request.params };
  context.__input = request.input;
  context.__run = request.id;
  context.__fn = prepared?.fn !== undefined && prepared.body === request.body && sameParams(prepared.params, request.params)
    ? prepared.fn
    : vm.compileFunction(request.body, request.params, { parsingContext: context });
  let text;
  try {
    text = begin.runInContext(context);
    if (typeof text !== 'string') text = collect.runInContext(context);
  } finally {
    Atomics.store(marks, ${LATE_SLOT}, 0);
  }
  return { kind: 'run', id: request.id, text: typeof text === 'string' ? text : undefined };
}

// A batch makes its runs one after another, each as a single run is made, and answers each as soon as it
// is over, so the host can go on with it while the next one runs: one request for the batch, and no round
// trip per run.
function executeBatch(request) {
  const run = (index) => {
    if (index === request.runs.length) {
      parentPort.postMessage({ kind: 'batch', id: request.id, done: true });
      setImmediate(() => {
        if (current === undefined) spare ??= newSpare();
      });
      return;
    }
    const id = request.id + index;
    const began = performance.now();
    clocks[${BEGAN_CLOCK}] = Date.now();
    Atomics.store(marks, ${RUNNING_SLOT}, id);
    current = { id, failure: undefined };
    let text;
    let failure;
    try {
      text = execute({ ...request.runs[index], id }).text;
    } catch (error) {
      failure = 'the sandbox could not run it: ' + describe(error);
    }
    const ranMs = performance.now() - began;
    setImmediate(() => {
      failure ??= current.failure;
      current = undefined;
      Atomics.store(marks, ${RUNNING_SLOT}, 0);
      Atomics.store(marks, ${FINISHED_SLOT}, id);
      parentPort.postMessage(failure === undefined ? { kind: 'batch', id: request.id, index, text, ranMs } : { kind: 'batch', id: request.id, index, failure, ranMs });
      run(index + 1);
    });
  };
  run(0);
}

parentPort.on('message', (request) => {
  if (request.kind === 'ping') {
    Atomics.store(marks, ${ANSWERED_SLOT}, request.check);
    return;
  }
  if (request.kind === 'batch') {
    executeBatch(request);
    return;
  }
  clocks[${BEGAN_CLOCK}] = Date.now();
  Atomics.store(marks, ${RUNNING_SLOT}, request.id);
  current = { id: request.id, failure: undefined };
  let reply;
  try {
    reply = execute(request);
  } catch (error) {
    reply = { kind: 'run', id: request.id, failure: 'the sandbox could not run it: ' + describe(error) };
  }
  setImmediate(() => {
    const { failure } = current;
    current = undefined;
    Atomics.store(marks, ${RUNNING_SLOT}, 0);
    Atomics.store(marks, ${FINISHED_SLOT}, request.id);
    parentPort.postMessage(failure !== undefined && reply.text !== undefined ? { kind: 'run', id: request.id, failure } : reply);
    setImmediate(() => {
      if (current === undefined) spare ??= newSpare();
    });
  });
});
`;

// How long a worker may take to begin a run (it may be starting) before it is deemed busy elsewhere.
const BEGIN_MARGIN_MS = 2000;
// How often an idle worker is asked whether it is idle indeed: work a script scheduled to run after its result
// (a finalization callback, which V8 runs whenever it collects the object, or something not foreseen) would
// burn a core and hold up the next run, which would be blamed for it.
const IDLE_CHECK_MS = 250;
// How long an idle worker may take to answer, at least: it may be making the next run's context meanwhile.
const IDLE_ANSWER_MS = 1000;
// How many finished runs are remembered, to blame one of them for work it scheduled after its result.
const REMEMBERED_RUNS = 1000;

/** Called with the error of a run whose result was given but whose later work the sandbox had to stop. */
export type LateWorkHandler = (error: SandboxTimeoutError) => void;

/** Why the sandbox replaced its worker, and which run's work made it, when that is known. */
export interface SandboxRestart {
  readonly reason: string;
  /** The id of the run the worker was stopped for (see RunOutput.runId); undefined when none is known. */
  readonly runId: number | undefined;
}

interface RunRecord {
  readonly limit: number;
  readonly onLateWork: LateWorkHandler | undefined;
}

interface LiveWorker {
  readonly worker: Worker;
  readonly marks: Int32Array;
  readonly clocks: Float64Array;
  /** The run in progress: how to end it with the worker's reply or exit. */
  current: { readonly id: number; readonly reply: (reply: WorkerReply & { kind: 'run' }) => void; readonly exit: () => void } | undefined;
  /** The batch in progress, likewise; its id is that of its first run. */
  batch: { readonly id: number; readonly reply: (reply: WorkerReply & { kind: 'batch' }) => void; readonly exit: () => void } | undefined;
  /** The idle check awaiting its answer, and since when. */
  check: { readonly number: number; readonly since: number } | undefined;
}

/** Marks a run the worker never began, busy with something else: it is run again on a fresh worker. */
const INTERRUPTED = Symbol('interrupted');

function lateWorkMessage(limit: number): string {
  return `work it scheduled after its result kept the sandbox busy for more than ${limit} ms`;
}

/**
 * The worker that runs the scripts, one run at a time, started on first use and replaced when stuck. Nothing a
 * script does reaches the host's handling: results are validated, every run settles, and errors go to the
 * run that caused them: a run the worker never began is run again on a fresh worker, not blamed; work a run
 * scheduled after its result that keeps the worker busy fails that run if its result is not given yet, and is
 * reported to the run's onLateWork handler if it is.
 */
export class Sandbox {
  #live: LiveWorker | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #idleTimer: ReturnType<typeof setInterval> | undefined;
  #idleLimitMs = IDLE_ANSWER_MS;
  #nextCheck = 1;
  readonly #runs = new Map<number, RunRecord>();
  readonly #restartListeners = new Set<(restart: SandboxRestart) => void>();

  /** Calls `listener` whenever a worker was stopped (once its thread has ended) to be replaced by a new one. */
  onRestart(listener: (restart: SandboxRestart) => void): () => void {
    this.#restartListeners.add(listener);
    return () => this.#restartListeners.delete(listener);
  }

  #start(): LiveWorker {
    if (this.#live) return this.#live;
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { marks: shared }, resourceLimits: { maxOldGenerationSizeMb: 128 } });
    // The worker must not keep the process (a test run, the extension host) alive.
    worker.unref();
    const live: LiveWorker = {
      worker,
      marks: new Int32Array(shared, 0, SLOTS),
      clocks: new Float64Array(shared, SLOTS * Int32Array.BYTES_PER_ELEMENT, CLOCKS),
      current: undefined,
      batch: undefined,
      check: undefined,
    };
    worker.on('message', (reply: WorkerReply) => {
      try {
        this.#receive(live, reply);
      } catch (error) {
        console.error('[restate] [sandbox] a reply could not be handled', error);
      }
    });
    worker.on('error', () => this.#stop(live));
    worker.on('exit', () => {
      this.#stop(live);
      live.current?.exit();
      live.batch?.exit();
    });
    this.#live = live;
    this.#watchIdle();
    return live;
  }

  #receive(live: LiveWorker, reply: WorkerReply): void {
    switch (reply.kind) {
      case 'run':
        if (live.current?.id === reply.id) live.current.reply(reply);
        return;
      case 'batch':
        if (live.batch?.id === reply.id) live.batch.reply(reply);
        return;
      case 'late':
        console.error(`[restate] [sandbox] outside any run: ${reply.message}`);
        return;
    }
  }

  #stop(live: LiveWorker, restart?: SandboxRestart): void {
    if (this.#live === live) this.#live = undefined;
    const ended = live.worker.terminate();
    if (restart === undefined) return;
    void ended.then(() => {
      for (const listener of this.#restartListeners) {
        try {
          listener(restart);
        } catch (error) {
          console.error('[restate] [sandbox] a restart listener failed', error);
        }
      }
    });
  }

  /** The run whose work after its result the worker is running, if any, and for how long it has been. */
  #lateWork(live: LiveWorker): { readonly runId: number; readonly ms: number } | undefined {
    const runId = Atomics.load(live.marks, LATE_SLOT);
    return runId === 0 ? undefined : { runId, ms: Date.now() - live.clocks[LATE_CLOCK] };
  }

  /** Stops a worker held up by work run `runId` scheduled after its result, and tells that run's handler. */
  #stopForLateWork(live: LiveWorker, runId: number, limit: number): void {
    const message = lateWorkMessage(limit);
    this.#stop(live, { reason: message, runId });
    const handler = this.#runs.get(runId)?.onLateWork;
    if (handler === undefined) {
      console.error(`[restate] [sandbox] ${message}; the sandbox was restarted`);
      return;
    }
    try {
      handler(new SandboxTimeoutError(message));
    } catch (error) {
      console.error('[restate] [sandbox] a late work handler failed', error);
    }
  }

  // An idle worker answers a ping at once; one that does not within the time limit is running something no
  // run accounts for, and is replaced; the run whose late work it runs, when the shared memory tells, is blamed.
  #watchIdle(): void {
    if (this.#idleTimer) return;
    this.#idleTimer = setInterval(() => {
      const live = this.#live;
      if (!live) {
        clearInterval(this.#idleTimer);
        this.#idleTimer = undefined;
        return;
      }
      if (live.current || live.batch) return;
      if (live.check === undefined || Atomics.load(live.marks, ANSWERED_SLOT) === live.check.number) {
        live.check = { number: this.#nextCheck++, since: performance.now() };
        live.worker.postMessage({ kind: 'ping', check: live.check.number } satisfies WorkerRequest);
        return;
      }
      const late = this.#lateWork(live);
      if (late !== undefined) {
        const limit = this.#runs.get(late.runId)?.limit ?? this.#idleLimitMs;
        if (late.ms > limit) this.#stopForLateWork(live, late.runId, limit);
      } else if (performance.now() - live.check.since > this.#idleLimitMs) {
        console.error('[restate] [sandbox] the sandbox was busy outside any run; it was restarted');
        this.#stop(live, { reason: 'busy outside any run', runId: undefined });
      }
    }, IDLE_CHECK_MS);
    this.#idleTimer.unref();
  }

  /**
   * Runs `code` on `input`. `onLateWork` is told when work the run scheduled after its result (such as a
   * finalization callback) kept the sandbox busy beyond the time limit after the run's result was given.
   */
  run(code: CompiledCode, input: RunInput, timeoutMs: number, onLateWork?: LateWorkHandler): Promise<RunOutput> {
    const next = this.#queue.then(() => this.#run(code, input, timeoutMs, onLateWork));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #run(code: CompiledCode, input: RunInput, timeoutMs: number, onLateWork: LateWorkHandler | undefined): Promise<RunOutput> {
    const limit = Math.max(1, Math.round(timeoutMs));
    this.#idleLimitMs = Math.max(limit, IDLE_ANSWER_MS);
    const text = JSON.stringify({ ...input, params: code.params });
    const first = await this.#attempt(code, text, limit, onLateWork);
    if (first !== INTERRUPTED) return first;
    const second = await this.#attempt(code, text, limit, onLateWork);
    if (second !== INTERRUPTED) return second;
    throw new SandboxTimeoutError(`timed out after ${limit} ms: the sandbox did not begin the run`);
  }

  #remember(id: number, record: RunRecord): void {
    this.#runs.set(id, record);
    if (this.#runs.size > REMEMBERED_RUNS) {
      const oldest = this.#runs.keys().next();
      if (oldest.done !== true) this.#runs.delete(oldest.value);
    }
  }

  #attempt(code: CompiledCode, input: string, limit: number, onLateWork: LateWorkHandler | undefined): Promise<RunOutput | typeof INTERRUPTED> {
    const live = this.#start();
    live.check = undefined;
    const id = this.#nextId++;
    this.#remember(id, { limit, onLateWork });
    return new Promise<RunOutput | typeof INTERRUPTED>((resolve, reject) => {
      const settle = (action: () => void): void => {
        if (live.current?.id !== id) return;
        live.current = undefined;
        clearTimeout(timer);
        try {
          action();
        } catch (error) {
          reject(error instanceof Error ? error : new SandboxScriptError(String(error)));
        }
      };
      live.current = {
        id,
        reply: (reply) => settle(() => {
          if (reply.failure !== undefined) reject(new SandboxScriptError(reply.failure));
          else resolve({ ...readOutput(reply.text), ranMs: Math.max(0, Date.now() - live.clocks[BEGAN_CLOCK]), runId: id });
        }),
        exit: () => settle(() => reject(new SandboxScriptError('the sandbox stopped during the run'))),
      };
      // The limit counts from when the worker began the run, not from when it was asked: a starting worker
      // or the run before is not this run's time.
      const posted = Date.now();
      const watch = (): void => {
        if (live.current?.id !== id) return;
        const now = Date.now();
        const late = this.#lateWork(live);
        if (Atomics.load(live.marks, RUNNING_SLOT) === id) {
          const left = live.clocks[BEGAN_CLOCK] + limit - now;
          if (left > 0) {
            timer = setTimeout(watch, left);
            return;
          }
          settle(() => {
            if (late !== undefined && late.runId !== id) {
              // Work an earlier run scheduled after its result runs in this run's time: that run is blamed,
              // this one runs again on a fresh worker.
              this.#stopForLateWork(live, late.runId, limit);
              resolve(INTERRUPTED);
              return;
            }
            const message = late === undefined ? `timed out after ${limit} ms` : `timed out after ${limit} ms: ${lateWorkMessage(limit)}`;
            this.#stop(live, { reason: message, runId: id });
            reject(new SandboxTimeoutError(message));
          });
          return;
        }
        // Not begun yet, held up by work an earlier run scheduled after its result: that run is blamed.
        if (late !== undefined && late.ms > limit && Atomics.load(live.marks, FINISHED_SLOT) !== id) {
          settle(() => {
            this.#stopForLateWork(live, late.runId, limit);
            resolve(INTERRUPTED);
          });
          return;
        }
        // Finished, its reply on the way; or not begun yet, the worker starting.
        if (Atomics.load(live.marks, FINISHED_SLOT) === id || now - posted < limit + BEGIN_MARGIN_MS) {
          timer = setTimeout(watch, Math.min(limit, 100));
          return;
        }
        // A worker that has not begun this run was busy with something else, which is not this run's fault.
        settle(() => {
          this.#stop(live, { reason: 'busy with something else: the run did not begin', runId: undefined });
          resolve(INTERRUPTED);
        });
      };
      let timer = setTimeout(watch, limit);
      const request: WorkerRequest = { kind: 'run', id, body: code.body, params: code.params, input };
      try {
        live.worker.postMessage(request);
      } catch (error) {
        settle(() => reject(new SandboxScriptError(`the sandbox could not take the run: ${error instanceof Error ? error.message : String(error)}`)));
      }
    });
  }

  /**
   * Makes several runs in one request to the worker, in order, each within the time limit: for a burst of runs
   * whose inputs are known ahead. Each promise resolves to its run's output as soon as the worker has made it;
   * to TIMED_OUT for a run that exceeded the limit; to undefined for a run the batch did not make (the worker
   * stopped before it) or whose result was malformed. They never reject: such a run can always be made alone,
   * which reports its error. A script error left behind (an unhandled rejection) fails its run, as in `run`.
   */
  runBatch(runs: readonly BatchRunRequest[], timeoutMs: number): Promise<BatchOutput>[] {
    const outputs = runs.map(() => {
      let resolve!: (output: BatchOutput) => void;
      const promise = new Promise<BatchOutput>((done) => { resolve = done; });
      return { promise, resolve };
    });
    const next = this.#queue.then(() => this.#runBatch(runs, timeoutMs, outputs.map((output) => output.resolve)));
    this.#queue = next.catch(() => undefined);
    // Whatever ended the batch, every run's promise settles (resolving a settled one does nothing).
    void next.catch(() => undefined).then(() => outputs.forEach((output) => output.resolve(undefined)));
    return outputs.map((output) => output.promise);
  }

  #runBatch(runs: readonly BatchRunRequest[], timeoutMs: number, settleRun: readonly ((output: BatchOutput) => void)[]): Promise<void> {
    const limit = Math.max(1, Math.round(timeoutMs));
    this.#idleLimitMs = Math.max(limit, IDLE_ANSWER_MS);
    if (runs.length === 0) return Promise.resolve();
    const request: BatchRun[] = runs.map(({ code, input }) => ({ body: code.body, params: code.params, input: JSON.stringify({ ...input, params: code.params }) }));
    const live = this.#start();
    live.check = undefined;
    const first = this.#nextId;
    this.#nextId += request.length;
    const last = first + request.length - 1;
    runs.forEach((run, index) => this.#remember(first + index, { limit, onLateWork: run.onLateWork }));
    return new Promise<void>((resolve) => {
      const settle = (): void => {
        if (live.batch?.id !== first) return;
        live.batch = undefined;
        clearTimeout(timer);
        resolve();
      };
      live.batch = {
        id: first,
        reply: (reply) => {
          if (reply.done) return settle();
          const index = reply.index ?? -1;
          if (index < 0 || index >= request.length) return;
          if (reply.failure !== undefined) settleRun[index]?.({ value: undefined, error: undefined, failure: reply.failure, missing: [], ranMs: reply.ranMs ?? 0, runId: first + index });
          else settleRun[index]?.(batchOutput(reply.text, reply.ranMs ?? 0, first + index));
        },
        exit: settle,
      };
      // As for a single run, each run's limit counts from when the worker began it.
      let progressAt = Date.now();
      const watch = (): void => {
        if (live.batch?.id !== first) return;
        const now = Date.now();
        const running = Atomics.load(live.marks, RUNNING_SLOT);
        const late = this.#lateWork(live);
        if (running >= first && running <= last) {
          progressAt = now;
          const left = live.clocks[BEGAN_CLOCK] + limit - now;
          if (left > 0) {
            timer = setTimeout(watch, left);
            return;
          }
          // As for a single run: work an earlier run left behind is that run's fault, and this run and the
          // rest are made alone on a fresh worker; otherwise this run timed out.
          if (late !== undefined && late.runId !== running) {
            this.#stopForLateWork(live, late.runId, limit);
          } else {
            settleRun[running - first]?.(TIMED_OUT);
            this.#stop(live, { reason: `timed out after ${limit} ms`, runId: running });
          }
          settle();
          return;
        }
        if (late !== undefined && late.ms > limit && Atomics.load(live.marks, FINISHED_SLOT) !== last) {
          this.#stopForLateWork(live, late.runId, limit);
          settle();
          return;
        }
        // Between runs, done (its last reply on the way), or not begun yet.
        if (Atomics.load(live.marks, FINISHED_SLOT) === last || now - progressAt < limit + BEGIN_MARGIN_MS) {
          timer = setTimeout(watch, Math.min(limit, 100));
          return;
        }
        this.#stop(live);
        settle();
      };
      let timer = setTimeout(watch, limit);
      try {
        live.worker.postMessage({ kind: 'batch', id: first, runs: request } satisfies WorkerRequest);
      } catch {
        settle();
      }
    });
  }

  dispose(): void {
    clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#restartListeners.clear();
    if (this.#live) this.#stop(this.#live);
  }
}

/** One run of a batch: what `run` takes, with the same handler for work it leaves running after its result. */
export interface BatchRunRequest {
  readonly code: CompiledCode;
  readonly input: RunInput;
  readonly onLateWork?: LateWorkHandler;
}

/** A run of a batch that exceeded the time limit. */
export const TIMED_OUT = Symbol('timed out');

/**
 * What a batch gives for each run: its output, with `failure` for a run the worker failed as a whole (see
 * `run`); TIMED_OUT; or undefined when it was not made or its result was malformed.
 */
export type BatchOutput = (RunOutput & { readonly failure?: string }) | typeof TIMED_OUT | undefined;

function batchOutput(text: unknown, ranMs: number, runId: number): RunOutput | undefined {
  try {
    return { ...readOutput(text), ranMs, runId };
  } catch {
    return undefined;
  }
}

/** The prelude's result, checked: whatever the script did, a malformed one is an error, not a host failure. */
function readOutput(text: unknown): Omit<RunOutput, 'ranMs' | 'runId'> {
  const unreadable = new SandboxScriptError('the script\'s result could not be read');
  if (typeof text !== 'string') throw new SandboxScriptError('the script did not produce a result');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unreadable;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw unreadable;
  const { value, error, missing } = parsed as Record<string, unknown>;
  if (!Array.isArray(missing) || !missing.every((path): path is string => typeof path === 'string')) throw unreadable;
  if (error !== undefined && typeof error !== 'string') throw unreadable;
  return { value, error, missing };
}

function box(value: unknown): Boxed {
  return value === undefined ? {} : { v: value };
}

/**
 * Runs a derive transform. `sources` are the source paths in order, `values` their values this run; the
 * script sees `sources` as the array of values and `get(path)` for a source's value by path.
 */
export async function runTransform(
  sandbox: Sandbox,
  code: CompiledCode,
  sources: readonly string[],
  values: readonly unknown[],
  timeoutMs: number,
  onLateWork?: LateWorkHandler,
): Promise<unknown> {
  const out = await sandbox.run(code, transformInput(sources, values), timeoutMs, onLateWork);
  if (out.error !== undefined) throw new SandboxScriptError(out.error);
  return out.value;
}

/** What a transform's run gets: see runTransform. */
export function transformInput(sources: readonly string[], values: readonly unknown[]): RunInput {
  const boxed: Record<string, Boxed> = {};
  sources.forEach((path, index) => { boxed[path] = box(values[index]); });
  return { values: boxed, sources: values.map((value) => value ?? null), lazy: false };
}

/** A transform's outcome made ahead, in a batch: its value or its error, and how long it ran in the worker. */
export type TransformOutcome = { readonly value: unknown; readonly ranMs: number } | { readonly error: Error; readonly ranMs: number };

/**
 * Runs several transforms in one batch (Sandbox.runBatch). Each outcome is what runTransform would have
 * resolved or rejected with, as soon as it is known, or undefined where the batch could not tell it: that run
 * must be made alone.
 */
export function runTransforms(
  sandbox: Sandbox,
  runs: readonly { readonly code: CompiledCode; readonly sources: readonly string[]; readonly values: readonly unknown[]; readonly onLateWork?: LateWorkHandler }[],
  timeoutMs: number,
): Promise<TransformOutcome | undefined>[] {
  const outputs = sandbox.runBatch(runs.map(({ code, sources, values, onLateWork }) => ({ code, input: transformInput(sources, values), onLateWork })), timeoutMs);
  return outputs.map((output) => output.then((out): TransformOutcome | undefined => {
    if (out === undefined) return undefined;
    if (out === TIMED_OUT) return { error: new SandboxTimeoutError(`timed out after ${Math.max(1, Math.round(timeoutMs))} ms`), ranMs: timeoutMs };
    if (out.failure !== undefined) return { error: new SandboxScriptError(out.failure), ranMs: out.ranMs };
    if (out.error !== undefined) return { error: new SandboxScriptError(out.error), ranMs: out.ranMs };
    return { value: out.value, ranMs: out.ranMs };
  }));
}

/** Reads beyond this many paths in one run are refused: each one costs a re-run. */
export const MAX_LAZY_READS = 200;

/**
 * Runs a tracked expression whose `get` must read through an asynchronous `read` (the tracker's
 * event.getState, which records the dependency). A script runs synchronously, so a read it asks for and
 * that is not known yet stops it; the value is read, and the script runs again from the start with it.
 * Reads happen in the order the script makes them, and a path is read only if the final run reads it, so the
 * recorded dependencies are exactly the final run's (a flag that switches branches drops the old branch).
 * This needs the script to be deterministic given the values it reads, which state code is. The time limit
 * covers all runs together: their own time, not the reads between them or waiting for the worker.
 */
export async function runLazy(
  sandbox: Sandbox,
  code: CompiledCode,
  read: (path: string) => Promise<unknown>,
  timeoutMs: number,
  onLateWork?: LateWorkHandler,
): Promise<{ value: unknown; reads: string[] }> {
  const values: Record<string, Boxed> = {};
  const reads: string[] = [];
  let used = 0;
  while (true) {
    const left = timeoutMs - used;
    if (left <= 0) throw new SandboxTimeoutError(`timed out after ${Math.round(timeoutMs)} ms`);
    const out = await sandbox.run(code, { values, sources: [], lazy: true }, left, onLateWork);
    used += out.ranMs;
    if (out.missing.length === 0) {
      if (out.error !== undefined) throw new SandboxScriptError(out.error);
      return { value: out.value, reads };
    }
    for (const path of out.missing) {
      if (reads.length >= MAX_LAZY_READS) throw new SandboxScriptError(`reads more than ${MAX_LAZY_READS} paths`);
      values[path] = box(await read(path));
      reads.push(path);
    }
  }
}
