import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDefinitions } from '../../../extension/definitions/config';
import { DefinitionRunner } from '../../../extension/definitions/runner';
import { Sandbox } from '../../../extension/definitions/sandbox';
import { TraceLog } from '../../../extension/definitions/traceLog';
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
