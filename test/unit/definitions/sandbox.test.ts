import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileCode, runLazy, runTransform, runTransforms, Sandbox, SandboxScriptError, SandboxSyntaxError, SandboxTimeoutError } from '../../../extension/definitions/sandbox';
import type { SandboxRestart } from '../../../extension/definitions/sandbox';

const params = ['sources', 'get'];
const sandbox = new Sandbox();
after(() => sandbox.dispose());
const run = (code: string, timeoutMs = 500): Promise<unknown> => runTransform(sandbox, compileCode(code, params), ['/a', '/b'], [2, 3], timeoutMs);

/** `promise`, or a rejection once `ms` passed without it settling: a run that never settles fails the test. */
function settlesWithin<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

describe('sandbox', () => {
  it('runs an expression, a function body and a function over the sources', async () => {
    assert.equal(await run('sources[0] + sources[1]'), 5);
    assert.equal(await run("const a = get('/a'); return a * get('b');"), 6);
    assert.equal(await run('(values) => values.length'), 2);
    assert.equal(await run("get('/elsewhere')"), undefined);
    assert.deepEqual(await run('({ sum: sources[0] + sources[1], list: [...sources] })'), { sum: 5, list: [2, 3] });
  });

  it('reports a syntax error at compile time', () => {
    assert.throws(() => compileCode('sources[0] +', params), SandboxSyntaxError);
  });

  it('stops an endless loop at the time limit instead of freezing the host', async () => {
    const started = performance.now();
    await assert.rejects(run('while (true) {}', 100), SandboxTimeoutError);
    assert.ok(performance.now() - started < 1000);
    // The sandbox still works after it.
    assert.equal(await run('sources[1]'), 3);
    await assert.rejects(run('Promise.resolve().then(function again() { return Promise.resolve().then(again); }); 1', 100), SandboxTimeoutError);
  });

  it('counts the time limit from when the worker begins the run, not while it starts', async () => {
    const fresh = new Sandbox();
    try {
      const started = performance.now();
      assert.equal(await runTransform(fresh, compileCode('sources[0] * 2', params), ['/a'], [21], 30), 42);
      assert.ok(performance.now() - started < 10_000);
      await assert.rejects(runTransform(fresh, compileCode('while (true) {}', params), [], [], 30), SandboxTimeoutError);
      assert.equal(await runTransform(fresh, compileCode('sources[0] * 2', params), ['/a'], [4], 30), 8);
    } finally {
      fresh.dispose();
    }
  });

  it('reports thrown errors as text, without running a thrown object\'s getters outside the limit', async () => {
    await assert.rejects(run("throw new TypeError('bad input')"), (error: unknown) => error instanceof SandboxScriptError && error.message === 'TypeError: bad input');
    await assert.rejects(run('throw { get message() { while (true) {} } }'), /thrown: \[object Object\]/);
    await assert.rejects(run("throw Object.defineProperty(new Error('x'), 'message', { get() { while (true) {} } })", 100), SandboxTimeoutError);
  });

  it('gives the script no way to the host: no process, no require, no host Function', async () => {
    assert.equal(await run('typeof process'), 'undefined');
    assert.equal(await run('typeof require'), 'undefined');
    assert.equal(await run('typeof globalThis.process'), 'undefined');
    assert.equal(await run('typeof __input + typeof __fn'), 'undefinedundefined');
    await assert.rejects(run("this.constructor.constructor('return process')()"), SandboxScriptError);
    await assert.rejects(run("get.constructor('return process')()"), /Code generation from strings disallowed/);
    await assert.rejects(run("sources.constructor.constructor('return process')()"), /Code generation from strings disallowed/);
    await assert.rejects(run("Object.getPrototypeOf(get).constructor('return this')()"), /Code generation from strings disallowed/);
    assert.equal(await run("eval === undefined ? 'none' : (() => { try { return eval('process') } catch (e) { return e.name } })()"), 'EvalError');
  });

  it('copies values in and out: the script cannot change the caller\'s objects', async () => {
    const value = { items: [1, 2] };
    const result = await runTransform(sandbox, compileCode('(sources[0].items.push(3), sources[0])', params), ['/a'], [value], 500);
    assert.deepEqual(value, { items: [1, 2] });
    assert.deepEqual(result, { items: [1, 2, 3] });
  });

  it('starts every run in a fresh context', async () => {
    assert.equal(await run('globalThis.leftover = 1'), 1);
    assert.equal(await run('typeof leftover'), 'undefined');
  });

  it('leaves none of its own names on the global object but the one that collects an async result', async () => {
    assert.deepEqual(await run("Object.getOwnPropertyNames(globalThis).filter((name) => name.startsWith('__'))"), ['__restateCollect']);
    assert.equal(await run('typeof __restateRun + typeof __marks + typeof __clocks + typeof __run'), 'undefinedundefinedundefinedundefined');
  });

  it('runs the code it compiled ahead for the next run only when that run has the same code and parameters', async () => {
    // The worker compiles the last run's code in the next run's context while it waits: give it the time to.
    const idle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
    const counted = compileCode('globalThis.runs = (globalThis.runs ?? 0) + 1', params);
    assert.equal(await runTransform(sandbox, counted, ['/a'], [1], 500), 1);
    await idle();
    assert.equal(await runTransform(sandbox, counted, ['/a'], [1], 500), 1);
    await idle();
    assert.equal(await run('sources[0]'), 2);
    await idle();
    assert.equal(await run('sources[1]'), 3);
    await idle();
    const body = '"use strict";\nreturn typeof get;';
    assert.equal(await runTransform(sandbox, { form: 'body', body, params: ['sources', 'get'] }, ['/a'], [1], 500), 'function');
    await idle();
    assert.equal(await runTransform(sandbox, { form: 'body', body, params: ['get', 'sources'] }, ['/a'], [1], 500), 'function');
  });

  it('reads lazily through an async reader, recording exactly the final run\'s reads in order', async () => {
    const state: Record<string, unknown> = { '/flag': true, '/new': 'N', '/old': 'O' };
    const asked: string[] = [];
    const read = async (path: string): Promise<unknown> => {
      asked.push(path);
      return state[path];
    };
    const code = compileCode("get('/flag') ? get('/new') : get('/old')", ['get']);
    assert.deepEqual(await runLazy(sandbox, code, read, 500), { value: 'N', reads: ['/flag', '/new'] });
    state['/flag'] = false;
    assert.deepEqual(await runLazy(sandbox, code, read, 500), { value: 'O', reads: ['/flag', '/old'] });
    assert.deepEqual(asked, ['/flag', '/new', '/flag', '/old']);
  });

  it('keeps a lazy script\'s own error, and its time limit across re-runs', async () => {
    const read = async (): Promise<unknown> => 1;
    await assert.rejects(runLazy(sandbox, compileCode("if (get('/a')) throw new Error('nope')", ['get']), read, 500), /Error: nope/);
    await assert.rejects(runLazy(sandbox, compileCode("get('/a'); while (true) {}", ['get']), read, 100), SandboxTimeoutError);
  });

  it('reads a result whatever the script did to JSON and the prototypes, and settles every run', async () => {
    assert.equal(await settlesWithin(run("(JSON.stringify = () => 'not json', 1)")), 1);
    assert.equal(await settlesWithin(run("(JSON.parse = () => ({ value: 'forged' }), 2)")), 2);
    assert.equal(await settlesWithin(run("(Object.prototype.toJSON = () => 'forged', Array.prototype.toJSON = () => [], 3)")), 3);
    assert.deepEqual(await settlesWithin(run("(Object.defineProperty(Object.prototype, 'missing', { set() {} }), { kept: sources[0] })")), { kept: 2 });
    await assert.rejects(settlesWithin(run('() => () => 1')), /the result is not JSON data: function/);
    assert.equal(await settlesWithin(run('sources[1]')), 3);
  });

  it('fails the run that leaves a promise rejection unhandled, and never the next run', async () => {
    await assert.rejects(settlesWithin(run("Promise.reject(new RangeError('lost')); 1")), (error: unknown) => error instanceof SandboxScriptError && /unhandled promise rejection: RangeError: lost/.test(error.message));
    assert.equal(await settlesWithin(run('sources[0]')), 2);
    await assert.rejects(settlesWithin(run("import('fs'); 1")), /unhandled promise rejection/);
    assert.equal(await settlesWithin(run('sources[0]')), 2);
    await assert.rejects(settlesWithin(run('Promise.reject(); 1')), /unhandled promise rejection: thrown: undefined/);
    assert.equal(await settlesWithin(run('sources[0]')), 2);
    assert.equal(await settlesWithin(run('(Promise.reject(new Error("handled")).catch(() => {}), 4)')), 4);
  });

  it('awaits an async result within the time limit', async () => {
    assert.equal(await settlesWithin(run('(async () => sources[0] * 2)()')), 4);
    assert.equal(await settlesWithin(run('async (values) => { await null; return values[1]; }')), 3);
    assert.deepEqual(await settlesWithin(run('Promise.resolve({ list: [...sources] })')), { list: [2, 3] });
    await assert.rejects(settlesWithin(run("(async () => { await null; throw new TypeError('later'); })()")), /TypeError: later/);
    await assert.rejects(settlesWithin(run('new Promise(() => {})')), /its promise never settled/);
    await assert.rejects(settlesWithin(run('(async () => { while (true) await null; })()', 100)), SandboxTimeoutError);
    const read = async (): Promise<unknown> => 7;
    assert.deepEqual(await settlesWithin(runLazy(sandbox, compileCode("(async () => get('/a') + 1)()", ['get']), read, 500)), { value: 8, reads: ['/a'] });
  });

  describe('work a run schedules after its result', () => {
    const lateWork = /work it scheduled after its result kept the sandbox busy for more than \d+ ms/;
    // The allocations make V8 collect the registered object during the run; its cleanup callback runs later, as
    // a task of the worker: after the run's result, or while the worker settles it.
    const loopingFinalizer = `(() => {
      const registry = new FinalizationRegistry(() => { for (;;) {} });
      (() => { registry.register({}, 'gone'); })();
      globalThis.registry = registry;
      let junk;
      for (let i = 0; i < 20; i++) junk = new Array(1e6).fill(i);
      return junk.length;
    })()`;

    /** A sandbox of its own, and the restarts of its worker, each told once the stopped worker's thread has ended. */
    function watched(): { sandbox: Sandbox; restarts: SandboxRestart[]; restarted: () => Promise<SandboxRestart> } {
      const own = new Sandbox();
      const restarts: SandboxRestart[] = [];
      let waiting: ((restart: SandboxRestart) => void) | undefined;
      own.onRestart((restart) => {
        restarts.push(restart);
        waiting?.(restart);
      });
      const restarted = (): Promise<SandboxRestart> => {
        const seen = restarts.length;
        return settlesWithin(new Promise<SandboxRestart>((resolve) => {
          if (restarts.length > seen) resolve(restarts[seen]!);
          else waiting = resolve;
        }), 20_000);
      };
      return { sandbox: own, restarts, restarted };
    }

    it('has no timers to schedule it with', async () => {
      const { sandbox: own, restarts } = watched();
      try {
        await assert.rejects(runTransform(own, compileCode('setTimeout(() => { for (;;) {} }, 0); 1', params), [], [], 200), /ReferenceError: setTimeout is not defined/);
        await assert.rejects(runTransform(own, compileCode('queueMicrotask(() => { for (;;) {} }); 1', params), [], [], 200), /ReferenceError: queueMicrotask is not defined/);
        assert.equal(await runTransform(own, compileCode('sources[0]', params), ['/a'], [5], 200), 5);
        assert.deepEqual(restarts, []);
        // Finalization registries still work as ever within a run.
        assert.equal(await runTransform(own, compileCode("const r = new FinalizationRegistry(() => {}); r.register({}, 1); return [r instanceof FinalizationRegistry, r.constructor === FinalizationRegistry, FinalizationRegistry.name, r.unregister({})]", params), [], [], 200).then(JSON.stringify), '[true,true,"FinalizationRegistry",false]');
        await assert.rejects(runTransform(own, compileCode('FinalizationRegistry(() => {})', params), [], [], 200), /TypeError/);
      } finally {
        own.dispose();
      }
    });

    it('fails the run whose endless microtask runs after its result, restarts the worker, and runs the next one', async () => {
      const { sandbox: own, restarts, restarted } = watched();
      try {
        assert.equal(await runTransform(own, compileCode('sources[0]', params), ['/a'], [1], 200), 1);
        for (const code of ['Promise.resolve().then(() => { for (;;) {} }); 1', '(Promise.resolve().then(() => Promise.resolve().then(() => { for (;;) {} })), 2)', '(async () => { let chain = Promise.resolve(); for (let i = 0; i < 5; i++) chain = chain.then(() => {}); chain.then(() => { for (;;) {} }); return 3; })()']) {
          const restart = restarted();
          const late: unknown[] = [];
          await assert.rejects(runTransform(own, compileCode(code, params), [], [], 200, (error) => late.push(error)), (error: unknown) => error instanceof SandboxTimeoutError && lateWork.test(error.message));
          assert.match((await restart).reason, lateWork);
          // The run's own rejection tells it; the late handler is for runs whose result was given already.
          assert.deepEqual(late, []);
          assert.equal(await runTransform(own, compileCode('sources[0]', params), ['/a'], [4], 200), 4);
        }
        assert.equal(restarts.length, 3);
        // Each restart names the run it was for.
        assert.equal(new Set(restarts.map((restart) => restart.runId)).size, 3);
      } finally {
        own.dispose();
      }
    });

    it('blames the run whose finalization callback loops after its result, not the next run', async () => {
      const { sandbox: own, restarts, restarted } = watched();
      try {
        const restart = restarted();
        const late: Error[] = [];
        const code = loopingFinalizer;
        const outcome = await runTransform(own, compileCode(code, params), [], [], 5000, (error) => late.push(error)).then((value) => value, (error: unknown) => error);
        if (outcome instanceof Error) {
          // The callback ran before the result was handed over: the run itself fails.
          assert.ok(outcome instanceof SandboxTimeoutError && lateWork.test(outcome.message), String(outcome));
        } else {
          assert.equal(outcome, 1e6);
        }
        // Innocent runs meanwhile succeed: one held up by the callback runs again on a fresh worker.
        const innocent = compileCode('sources[0] * 2', params);
        const by = Date.now() + 20_000;
        while (restarts.length === 0 && Date.now() < by) {
          assert.equal(await settlesWithin(runTransform(own, innocent, ['/a'], [21], 5000), 20_000), 42);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const { runId } = await restart;
        assert.ok(runId !== undefined);
        if (!(outcome instanceof Error)) {
          assert.equal(late.length, 1);
          assert.ok(late[0] instanceof SandboxTimeoutError);
          assert.match(late[0].message, lateWork);
        }
        assert.equal(await runTransform(own, innocent, ['/a'], [4], 3000), 8);
        assert.equal(restarts.length, 1);
      } finally {
        own.dispose();
      }
    });

    it('blames the run of a batch whose finalization callback loops after its result, not the batch\'s other runs', async () => {
      const { sandbox: own, restarted } = watched();
      try {
        const restart = restarted();
        const lateOf = { first: [] as Error[], looping: [] as Error[] };
        const looping = loopingFinalizer;
        const [first, second] = runTransforms(own, [
          { code: compileCode('sources[0] + 1', params), sources: ['/a'], values: [1], onLateWork: (error) => lateOf.first.push(error) },
          { code: compileCode(looping, params), sources: [], values: [], onLateWork: (error) => lateOf.looping.push(error) },
        ], 5000);
        assert.deepEqual(await settlesWithin(first!, 20_000).then((outcome) => outcome !== undefined && 'value' in outcome ? outcome.value : outcome), 2);
        const outcome = await settlesWithin(second!, 20_000);
        const { runId } = await restart;
        assert.ok(runId !== undefined);
        assert.equal(lateOf.first.length, 0);
        if (outcome !== undefined && 'value' in outcome) {
          assert.equal(outcome.value, 1e6);
          assert.equal(lateOf.looping.length, 1);
          assert.match(lateOf.looping[0]!.message, lateWork);
        } else {
          // The callback ran before the run's result was handed over: the run itself timed out.
          assert.ok(outcome !== undefined && 'error' in outcome && outcome.error instanceof SandboxTimeoutError, String(outcome));
        }
        assert.equal(await runTransform(own, compileCode('sources[0] * 2', params), ['/a'], [4], 3000), 8);
      } finally {
        own.dispose();
      }
    });
  });
});

describe('sandbox batches', () => {
  const transform = (code: string, values: unknown[]): { code: ReturnType<typeof compileCode>; sources: string[]; values: unknown[] } =>
    ({ code: compileCode(code, params), sources: values.map((_, index) => `/s${index}`), values });
  const valueOf = (outcome: Awaited<ReturnType<typeof runTransforms>[number]>): unknown => (outcome && 'value' in outcome ? outcome.value : undefined);

  it('makes several runs in one batch, each with its own input, value or error, and time', async () => {
    const outcomes = await settlesWithin(Promise.all(runTransforms(sandbox, [
      transform('sources[0] * 2', [21]),
      transform("get('/s1') ?? 'none'", [1, undefined]),
      transform('sources[0].missing.field', [{}]),
      transform('globalThis.leak = 1; return 7;', []),
      transform('typeof leak', []),
    ], 500)));
    assert.deepEqual(outcomes.map(valueOf), [42, 'none', undefined, 7, 'undefined']);
    const failed = outcomes[2];
    assert.ok(failed && 'error' in failed && failed.error instanceof SandboxScriptError && failed.error.message.startsWith('TypeError'));
    assert.ok(outcomes.every((outcome) => outcome !== undefined && outcome.ranMs >= 0 && outcome.ranMs < 500));
  });

  it('hands over each outcome as soon as it is made, before the batch is over', async () => {
    const [quick, slow] = runTransforms(sandbox, [transform('1', []), transform('{ const until = Date.now() + 300; while (Date.now() < until) {} return 2; }', [])], 1000);
    let slowDone = false;
    void slow!.then(() => { slowDone = true; });
    assert.equal(valueOf(await settlesWithin(quick!)), 1);
    assert.equal(slowDone, false);
    assert.equal(valueOf(await settlesWithin(slow!)), 2);
  });

  it('gives the run that exceeds the time limit a timeout, leaves the runs after it to be made alone, and goes on working', async () => {
    const started = performance.now();
    const outcomes = await settlesWithin(Promise.all(runTransforms(sandbox, [transform('1', []), transform('while (true) {}', []), transform('3', [])], 100)));
    assert.ok(performance.now() - started < 2000);
    assert.equal(valueOf(outcomes[0]), 1);
    const timedOut = outcomes[1];
    assert.ok(timedOut && 'error' in timedOut && timedOut.error instanceof SandboxTimeoutError);
    assert.equal(outcomes[2], undefined);
    assert.equal(await run('sources[0]'), 2);
    assert.deepEqual((await Promise.all(runTransforms(sandbox, [transform('4', [])], 500))).map(valueOf), [4]);
  });

  it('fails the run of a batch that leaves a promise rejection unhandled, and never the next run', async () => {
    const outcomes = await settlesWithin(Promise.all(runTransforms(sandbox, [transform('Promise.reject(new Error("x")); return 1;', []), transform('2', [])], 500)));
    const failed = outcomes[0];
    assert.ok(failed && 'error' in failed && failed.error instanceof SandboxScriptError && /unhandled promise rejection/.test(failed.error.message));
    assert.equal(valueOf(outcomes[1]), 2);
  });
});
