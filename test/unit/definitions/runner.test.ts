import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDefinitions } from '../../../extension/definitions/config';
import { DefinitionRunner } from '../../../extension/definitions/runner';
import { compileCode, runTransform, Sandbox } from '../../../extension/definitions/sandbox';
import { TraceLog } from '../../../extension/sources/traceLog';
import { buildGraphView } from '../../../extension/graph/graphModel';
import { ControllerAsync, InMemoryBackend } from '../../../extension/restate/index';

const sandbox = new Sandbox();
after(() => sandbox.dispose());

function setup(timeoutMs = 500): { controller: ControllerAsync; runner: DefinitionRunner } {
  const controller = new ControllerAsync(new InMemoryBackend());
  return { controller, runner: new DefinitionRunner(controller, { timeoutMs: () => timeoutMs, sandbox }) };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

const file = (body: object): string => JSON.stringify(body);

describe('definition runner', () => {
  it('derives from the file, and underives what the file no longer has', async () => {
    const { controller, runner } = setup();
    await controller.setState('/a', 2);
    await controller.setState('/b', 3);
    const definitions = parseDefinitions(file({ derivations: [{ dest: '/sum', sources: ['/a', '/b'], transform: 'sources[0] + sources[1]' }] }));
    assert.deepEqual(await runner.apply(definitions, true), []);
    assert.equal(await controller.getState('/sum'), 5);
    await controller.setState('/a', 10);
    await settle();
    assert.equal(await controller.getState('/sum'), 13);
    await runner.apply(parseDefinitions('{}'), true);
    assert.deepEqual(controller.graph().nodes, []);
    await controller.setState('/a', 0);
    assert.equal(await controller.getState('/sum'), 13, 'the value stays, the derivation is gone');
  });

  it('runs nothing in an untrusted workspace, and everything once trusted', async () => {
    const { controller, runner } = setup();
    await controller.setState('/a', 1);
    const definitions = parseDefinitions(file({
      derivations: [{ dest: '/d', sources: ['/a'], transform: 'sources[0] + 1' }],
      trackers: [{ name: 't', expression: "get('/a') * 10", dest: '/t' }],
    }));
    await runner.apply(definitions, false);
    assert.equal(runner.registeredCount, 0);
    assert.deepEqual(controller.graph().nodes, []);
    assert.equal(await controller.getState('/d'), undefined);
    const view = buildGraphView(controller.graph(), definitions, (id) => runner.definitionIdOf(id));
    assert.deepEqual(view.nodes.filter((n) => n.kind !== 'path').map((n) => [n.id, n.inactive]), [['derive:/d', true], ['tracker:t', true]]);
    await runner.apply(definitions, true);
    assert.equal(await controller.getState('/d'), 2);
    assert.equal(await controller.getState('/t'), 10);
    await runner.apply(definitions, false);
    assert.equal(runner.registeredCount, 0);
  });

  it('follows a feature flag: the tracker\'s reads, and so its graph edges, change with it', async () => {
    const { controller, runner } = setup();
    await controller.setState('/flags/new', false);
    await controller.setState('/legacy/data', 'old');
    await controller.setState('/new/data', 'new');
    const definitions = parseDefinitions(file({ trackers: [{ name: 'view', expression: "get('/flags/new') ? get('/new/data') : get('/legacy/data')", dest: '/view' }] }));
    await runner.apply(definitions, true);
    const reads = (): string[] => buildGraphView(controller.graph(), definitions, (id) => runner.definitionIdOf(id)).edges.filter((e) => e.kind === 'read').map((e) => e.from);
    assert.equal(await controller.getState('/view'), 'old');
    assert.deepEqual(reads(), ['/flags/new', '/legacy/data']);
    await controller.setState('/flags/new', true);
    await settle();
    assert.equal(await controller.getState('/view'), 'new');
    assert.deepEqual(reads(), ['/flags/new', '/new/data']);
    await controller.setState('/legacy/data', 'ignored');
    await settle();
    assert.equal(await controller.getState('/view'), 'new');
  });

  it('stops an endless transform with an error on that derivation only', async () => {
    const { controller, runner } = setup(100);
    await controller.setState('/a', 1);
    const definitions = parseDefinitions(file({
      derivations: [
        { dest: '/stuck', sources: ['/a'], transform: 'while (true) {}' },
        { dest: '/fine', sources: ['/a'], transform: 'sources[0] * 2' },
      ],
    }));
    const failures = await runner.apply(definitions, true);
    assert.deepEqual(failures.map((f) => f.id), ['derive:/stuck']);
    assert.match(failures[0]!.message, /timed out after 100 ms/);
    assert.equal(await controller.getState('/fine'), 2);
    const stuck = controller.graph().nodes.find((n) => n.id === 'derive:/stuck');
    assert.ok(stuck && stuck.kind === 'derivation' && stuck.stats.lastError);
    assert.match(stuck.stats.lastError.message, /timed out/);
  });

  it('reports work a transform left looping after its result on that derivation, and the others run on', async () => {
    const own = new Sandbox();
    const told: string[] = [];
    try {
      const controller = new ControllerAsync(new InMemoryBackend());
      const runner = new DefinitionRunner(controller, { timeoutMs: () => 5000, sandbox: own, onLateError: (id) => told.push(id) });
      await controller.setState('/a', 1);
      // The allocations make V8 collect the registered object; its cleanup callback, which loops, runs later.
      const late = `(() => {
        const registry = new FinalizationRegistry(() => { for (;;) {} });
        (() => { registry.register({}, 'gone'); })();
        globalThis.registry = registry;
        let junk;
        for (let i = 0; i < 20; i++) junk = new Array(1e6).fill(i);
        return sources[0];
      })()`;
      const fine = { dest: '/fine', sources: ['/a'], transform: 'sources[0] * 2' };
      const failures = await runner.apply(parseDefinitions(file({ derivations: [{ dest: '/late', sources: ['/a'], transform: late }, fine] })), true);
      const lateWork = /work it scheduled after its result kept the sandbox busy for more than 5000 ms/;
      if (failures.length > 0) {
        // The callback ran before the run's result was handed over: the run itself failed.
        assert.deepEqual(failures.map((f) => f.id), ['derive:/late']);
        assert.match(failures[0]!.message, lateWork);
      } else {
        const by = Date.now() + 20_000;
        while (runner.lateErrorOf('derive:/late') === undefined && Date.now() < by) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.match(runner.lateErrorOf('derive:/late') ?? 'none', lateWork);
        assert.deepEqual(told, ['derive:/late']);
        assert.deepEqual([...runner.lateErrors().keys()], ['derive:/late']);
      }
      assert.equal(await controller.getState('/fine'), 2);
      await runner.apply(parseDefinitions(file({ derivations: [fine] })), true);
      assert.equal(runner.lateErrorOf('derive:/late'), undefined);
      await controller.setState('/a', 5);
      await settle();
      assert.equal(await controller.getState('/fine'), 10);
    } finally {
      own.dispose();
    }
  });

  it('reports a derivation cycle instead of looping', async () => {
    const { controller, runner } = setup();
    await controller.setState('/x', 1);
    const definitions = parseDefinitions(file({
      derivations: [
        { dest: '/y', sources: ['/x'], transform: 'sources[0] + 1' },
        { dest: '/x', sources: ['/y'], transform: 'sources[0] + 1' },
      ],
    }));
    const failures = await runner.apply(definitions, true);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /Cycle/i);
  });

  it('logs runs with trigger, duration and error in a bounded ring per definition', async () => {
    const { controller, runner } = setup();
    const log = new TraceLog(controller, (id) => runner.definitionIdOf(id) ?? id, 3);
    await controller.setState('/a', 1);
    await runner.apply(parseDefinitions(file({ derivations: [{ dest: '/d', sources: ['/a'], transform: "if (sources[0] === 3) throw new Error('three'); return sources[0]" }] })), true);
    // The failing run is also rethrown by the write that triggered it (S45).
    for (const value of [2, 3, 4, 5]) await controller.setState('/a', value).catch(() => undefined);
    await settle();
    const runs = log.runsOf('derive:/d');
    assert.equal(runs.length, 3);
    assert.deepEqual(runs.map((r) => r.error === null ? 'ok' : r.error), ['SandboxScriptError: Error: three', 'ok', 'ok']);
    assert.ok(runs.every((r) => r.triggerPath === '/a' && r.durationMs >= 0));
    log.dispose();
  });
});

/** A sandbox that counts the runs made one at a time and the batches. */
class CountingSandbox extends Sandbox {
  single = 0;
  batches = 0;

  override run(...args: Parameters<Sandbox['run']>): ReturnType<Sandbox['run']> {
    this.single++;
    return super.run(...args);
  }

  override runBatch(...args: Parameters<Sandbox['runBatch']>): ReturnType<Sandbox['runBatch']> {
    this.batches++;
    return super.runBatch(...args);
  }
}

describe('definition runner: transforms run ahead for a burst of changes', () => {
  const counting = new CountingSandbox();
  after(() => counting.dispose());

  // The state as another process leaves it: changed in storage, then notified.
  let storage = new InMemoryBackend();

  async function setupBurst(count: number, transform = 'sources[0] * 2'): Promise<{ controller: ControllerAsync; runner: DefinitionRunner; log: TraceLog }> {
    storage = new InMemoryBackend();
    const controller = new ControllerAsync(storage, { timeRuns: 'always' });
    const runner = new DefinitionRunner(controller, { timeoutMs: () => 500, sandbox: counting });
    const log = new TraceLog(controller, (id) => runner.definitionIdOf(id) ?? id, 50, (id) => runner.ranAheadMs(id));
    for (let index = 0; index < count; index++) await controller.setState(`/s${index}`, index);
    const derivations = Array.from({ length: count }, (_, index) => ({ dest: `/d${index}`, sources: [`/s${index}`], transform }));
    assert.deepEqual(await runner.apply(parseDefinitions(file({ derivations })), true), []);
    counting.single = 0;
    counting.batches = 0;
    return { controller, runner, log };
  }

  /** Notifies `changes` as the explorer's watcher does, with the transforms run ahead for them. */
  async function notifyBurst(controller: ControllerAsync, runner: DefinitionRunner, changes: { path: string; newValue: unknown }[], notified = changes, workerAhead = false): Promise<void> {
    for (const change of notified) storage.write(change.path, change.newValue);
    const done = runner.runAhead(changes);
    if (workerAhead) {
      // A run queued behind the batch ends after it: every outcome is in by then, as when the worker is ahead.
      await runTransform(counting, compileCode('0', ['sources', 'get']), [], [], 500);
      counting.single--;
    }
    try {
      await controller.batch(async () => {
        for (const change of notified) await controller.notifyChange(change.path, { prevValue: undefined, newValue: change.newValue, cause: 'file' });
      });
    } finally {
      done();
    }
  }

  it('runs the burst\'s transforms in one batch, and each run takes its outcome', async () => {
    const { controller, runner, log } = await setupBurst(20);
    const changes = Array.from({ length: 20 }, (_, index) => ({ path: `/s${index}`, newValue: 100 + index }));
    await notifyBurst(controller, runner, changes, changes, true);
    for (let index = 0; index < 20; index++) assert.equal(await controller.getState(`/d${index}`), 2 * (100 + index));
    assert.equal(counting.batches, 1);
    assert.equal(counting.single, 0, 'no run went to the sandbox on its own');
    // A run that took a settled outcome counts the transform's time in its duration.
    const last = log.runsOf('derive:/d19').at(-1);
    const ahead = runner.ranAheadMs('derive:/d19');
    assert.ok(last && ahead !== undefined && last.durationMs >= ahead && last.error === null);
    const graphNode = buildGraphView(controller.graph(), parseDefinitions('{}'), () => undefined, (id) => runner.ranAheadMs(id)).nodes.find((node) => node.id === 'derive:/d19');
    const controllerNode = controller.graph().nodes.find((node) => node.id === 'derive:/d19');
    assert.ok(graphNode && controllerNode?.kind === 'derivation' && graphNode.lastRunMs === (controllerNode.stats.lastRunMs ?? 0) + ahead);
    log.dispose();
  });

  it('runs a transform alone when its run gets another input than the one run ahead', async () => {
    const { controller, runner } = await setupBurst(2);
    await notifyBurst(controller, runner, [{ path: '/s0', newValue: 5 }, { path: '/s1', newValue: 6 }], [{ path: '/s0', newValue: 7 }, { path: '/s1', newValue: 6 }]);
    assert.equal(await controller.getState('/d0'), 14);
    assert.equal(await controller.getState('/d1'), 12);
    assert.equal(counting.single, 1);
    assert.equal(runner.ranAheadMs('derive:/d0'), undefined);
  });

  it('gives a run the error its transform threw ahead, as when run alone', async () => {
    const { controller, runner, log } = await setupBurst(1, "if (sources[0] === 3) throw new Error('three'); return sources[0]");
    await notifyBurst(controller, runner, [{ path: '/s0', newValue: 3 }]).catch(() => undefined);
    await controller.setState('/s0', 4);
    await controller.setState('/s0', 3).catch(() => undefined);
    const runs = log.runsOf('derive:/d0');
    // The first run is the one registering the derivation made.
    assert.deepEqual(runs.map((run) => run.error), [null, 'SandboxScriptError: Error: three', null, 'SandboxScriptError: Error: three']);
    assert.equal(counting.batches, 1);
    assert.equal(counting.single, 2);
    log.dispose();
  });

  it('drops the outcomes once the burst was notified: a later run with the same input runs its transform', async () => {
    const { controller, runner } = await setupBurst(1, 'sources[0] + 1');
    runner.runAhead([{ path: '/s0', newValue: 1 }])();
    await controller.setState('/s0', 1);
    assert.equal(counting.single, 1);
  });

  it('runs nothing ahead for derivations whose sources did not all change', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    const runner = new DefinitionRunner(controller, { timeoutMs: () => 500, sandbox: counting });
    await controller.setState('/a', 1);
    await controller.setState('/b', 2);
    await runner.apply(parseDefinitions(file({ derivations: [{ dest: '/sum', sources: ['/a', '/b'], transform: 'sources[0] + sources[1]' }] })), true);
    counting.batches = 0;
    runner.runAhead([{ path: '/a', newValue: 5 }])();
    assert.equal(counting.batches, 0);
  });
});
