import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';

/**
 * Runs workspace code (derive transforms, tracked expressions) away from the extension's own objects.
 *
 * The code runs in a worker thread, in a fresh V8 context per run whose global object has a null prototype
 * (so `this.constructor` leads to the context's own Function, never a host one), with string code generation
 * (eval, Function) switched off and microtasks run inside the time limit. Values cross as JSON strings: the
 * input is parsed inside the context and the result stringified inside it, so no object of the extension is
 * reachable from the script, and errors become text inside the context too.
 *
 * Why a worker and not node:vm in the extension host: ending an endless promise chain at the time limit
 * corrupts Node's async-hook stack and aborts the process when async hooks are active, and the extension
 * host uses them (AsyncLocalStorage). The worker has none; and should anything still hang it, it is
 * terminated and replaced.
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
}

type WorkerRequest = { readonly id: number; readonly body: string; readonly params: readonly string[]; readonly input: string; readonly timeoutMs: number };
type WorkerReply = { readonly id: number; readonly text?: string; readonly timedOut?: boolean };

// The worker's program. The prelude runs inside each run's context: it receives the input as one JSON string
// and returns one JSON string. A lazy read of an unknown path records it in `missing` and throws, which ends
// the run there.
const WORKER_SOURCE = String.raw`
const vm = require('node:vm');
const { parentPort } = require('node:worker_threads');
const prelude = new vm.Script(${JSON.stringify(`(() => {
  "use strict";
  const input = JSON.parse(__input);
  const known = new Map(Object.entries(input.values));
  const missing = [];
  class Missing {}
  const normalise = (path) => '/' + String(path).split('/').filter((s) => s !== '' && s !== '.').join('/');
  const get = (path) => {
    const key = normalise(path);
    const box = known.get(key);
    if (box === undefined) {
      if (!input.lazy) return undefined;
      if (!missing.includes(key)) missing.push(key);
      throw new Missing();
    }
    return box.v;
  };
  const args = { sources: input.sources, get };
  const describe = (error) => {
    try {
      if (error instanceof Error) return String(error.name) + ': ' + String(error.message);
      return 'thrown: ' + String(error);
    } catch {
      return 'an error that cannot be printed';
    }
  };
  let out;
  try {
    const value = __fn(...input.params.map((name) => args[name]));
    out = { value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) };
  } catch (error) {
    out = error instanceof Missing || missing.length > 0 ? {} : { error: describe(error) };
  }
  out.missing = missing;
  return JSON.stringify(out);
})()`)}, { filename: 'restate-sandbox' });
parentPort.on('message', (request) => {
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  context.__input = JSON.stringify({ ...JSON.parse(request.input), params: request.params });
  let text;
  try {
    context.__fn = vm.compileFunction(request.body, request.params, { parsingContext: context });
    text = prelude.runInContext(context, { timeout: request.timeoutMs });
  } catch {
    // The prelude catches what the script throws; what gets out is the time limit ending it. The thrown
    // object is not inspected: it may come from the script.
    parentPort.postMessage({ id: request.id, timedOut: true });
    return;
  }
  parentPort.postMessage({ id: request.id, text: typeof text === 'string' ? text : undefined });
});
`;

// How much longer than the time limit a run may take before the worker is deemed stuck and replaced.
const WATCHDOG_MARGIN_MS = 2000;

/** The worker that runs the scripts, one run at a time, started on first use and restarted when stuck. */
export class Sandbox {
  #worker: Worker | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 128 } });
    // The worker must not keep the process (a test run, the extension host) alive.
    worker.unref();
    worker.on('error', () => this.#stop(worker));
    worker.on('exit', () => this.#stop(worker));
    this.#worker = worker;
    return worker;
  }

  #stop(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
    void worker.terminate();
  }

  run(code: CompiledCode, input: RunInput, timeoutMs: number): Promise<RunOutput> {
    const next = this.#queue.then(() => this.#run(code, input, timeoutMs));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #run(code: CompiledCode, input: RunInput, timeoutMs: number): Promise<RunOutput> {
    const limit = Math.max(1, Math.round(timeoutMs));
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<RunOutput>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(watchdog);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) return;
        finish();
        if (reply.timedOut) reject(new SandboxTimeoutError(`timed out after ${limit} ms`));
        else if (reply.text === undefined) reject(new SandboxScriptError('the script did not produce a result'));
        else {
          const out = JSON.parse(reply.text) as RunOutput;
          resolve({ value: out.value, error: out.error, missing: out.missing });
        }
      };
      const onExit = (): void => {
        finish();
        reject(new SandboxScriptError('the sandbox stopped during the run'));
      };
      const watchdog = setTimeout(() => {
        finish();
        this.#stop(worker);
        reject(new SandboxTimeoutError(`timed out after ${limit} ms (the sandbox was restarted)`));
      }, limit + WATCHDOG_MARGIN_MS);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      const request: WorkerRequest = { id, body: code.body, params: code.params, input: JSON.stringify(input), timeoutMs: limit };
      worker.postMessage(request);
    });
  }

  dispose(): void {
    if (this.#worker) this.#stop(this.#worker);
  }
}

function box(value: unknown): Boxed {
  return value === undefined ? {} : { v: value };
}

/**
 * Runs a derive transform. `sources` are the source paths in order, `values` their values this run; the
 * script sees `sources` as the array of values and `get(path)` for a source's value by path.
 */
export async function runTransform(sandbox: Sandbox, code: CompiledCode, sources: readonly string[], values: readonly unknown[], timeoutMs: number): Promise<unknown> {
  const boxed: Record<string, Boxed> = {};
  sources.forEach((path, index) => { boxed[path] = box(values[index]); });
  const out = await sandbox.run(code, { values: boxed, sources: values.map((value) => value ?? null), lazy: false }, timeoutMs);
  if (out.error !== undefined) throw new SandboxScriptError(out.error);
  return out.value;
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
 * covers all runs together.
 */
export async function runLazy(
  sandbox: Sandbox,
  code: CompiledCode,
  read: (path: string) => Promise<unknown>,
  timeoutMs: number,
): Promise<{ value: unknown; reads: string[] }> {
  const values: Record<string, Boxed> = {};
  const reads: string[] = [];
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const left = deadline - performance.now();
    if (left <= 0) throw new SandboxTimeoutError(`timed out after ${Math.round(timeoutMs)} ms`);
    const out = await sandbox.run(code, { values, sources: [], lazy: true }, left);
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
