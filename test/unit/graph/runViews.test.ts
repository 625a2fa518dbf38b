import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TraceLog } from '../../../extension/sources/traceLog';
import { causeChainOf, runViewsFor } from '../../../extension/graph/runViews';
import { ControllerAsync, InMemoryBackend } from '../../../extension/restate/index';

//   /counter ──▶ derive:/doubled ──▶ /doubled ──▶ derive:/quad ──▶ /quad ┄┄▶ track:1 ··▶ /out
//
// A write by a run sets off the next run inside it, so the trace has the inner run's record first (S121):
// set /counter, set /doubled, set /quad, set /out, track-run, derive-run /quad, derive-run /doubled.
async function chainSetup(capacity = 50): Promise<{ controller: ControllerAsync; log: TraceLog }> {
  const controller = new ControllerAsync(new InMemoryBackend());
  const log = new TraceLog(controller, (id) => (id === 'track:1' ? 'tracker:out' : id), capacity);
  await controller.setState('/counter', 1);
  await controller.deriveMany('/doubled', ['/counter'], (data) => (data.get('/counter') as number) * 2);
  await controller.deriveMany('/quad', ['/doubled'], (data) => (data.get('/doubled') as number) * 2);
  await controller.track(async (event) => {
    const quad = await event.getState('/quad');
    await event.setState('/out', `quad is ${String(quad)}`);
  });
  return { controller, log };
}

describe('the runs the graph lists', () => {
  it('follows a run back through the runs whose writes set it off, to the file change', async () => {
    const { controller, log } = await chainSetup();
    await controller.setState('/counter', 5, { cause: 'file' });
    const [run] = runViewsFor(log, 'tracker:out', 'tracker');
    assert.ok(run);
    assert.equal(run.triggerPath, '/quad');
    assert.equal(run.causeKind, 'derive');
    assert.equal(run.causeNode, 'derive:/quad');
    assert.equal(run.error, null);
    assert.deepEqual(run.chain, {
      origin: 'file',
      steps: ['/counter', 'derive:/doubled', '/doubled', 'derive:/quad', '/quad', 'tracker:out'],
      writes: ['/out'],
      complete: true,
    });
    const [doubled] = runViewsFor(log, 'derive:/doubled', 'derivation');
    assert.deepEqual(doubled?.chain, { origin: 'file', steps: ['/counter', 'derive:/doubled'], writes: ['/doubled'], complete: true });
    assert.equal(doubled?.causeKind, 'file');
    log.dispose();
  });

  it('starts a first run\'s chain at the run itself, and an API write\'s at the written path', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    const log = new TraceLog(controller, (id) => id);
    await controller.setState('/a', 1);
    await controller.deriveMany('/b', ['/a'], (data) => data.get('/a'));
    await controller.setState('/a', 2);
    const [second, first] = runViewsFor(log, 'derive:/b', 'derivation');
    assert.deepEqual(first?.chain, { origin: 'initial', steps: ['derive:/b'], writes: ['/b'], complete: true });
    assert.deepEqual(second?.chain, { origin: 'api', steps: ['/a', 'derive:/b'], writes: ['/b'], complete: true });
    log.dispose();
  });

  it('lists a path\'s runs: those it set off and those that wrote it, newest first', async () => {
    const { controller, log } = await chainSetup();
    await controller.setState('/counter', 2);
    await controller.setState('/counter', 3);
    const atDoubled = runViewsFor(log, '/doubled', 'path');
    // Each change: derive:/doubled wrote /doubled, derive:/quad was set off by it.
    assert.deepEqual(atDoubled.slice(0, 4).map((run) => run.subject), ['derive:/doubled', 'derive:/quad', 'derive:/doubled', 'derive:/quad']);
    assert.ok(atDoubled.every((run, index) => index === 0 || run.seq < (atDoubled[index - 1]?.seq ?? Infinity)), 'newest first');
    log.dispose();
  });

  it('marks a chain incomplete when the run that set it off has left the log', async () => {
    const { controller, log } = await chainSetup(1);
    await controller.setState('/counter', 2);
    const [run] = log.runsOf('tracker:out');
    assert.ok(run);
    assert.equal(causeChainOf(log, run).complete, true);
    // derive:/quad runs again from a ping of /doubled: the one run of it kept is no longer the one that set the tracker's run off.
    await controller.ping('/doubled');
    assert.equal(log.runsOf('derive:/quad')[0]?.cause, 'ping');
    const kept = causeChainOf(log, run);
    assert.deepEqual(kept, { origin: undefined, steps: ['/quad', 'tracker:out'], writes: ['/out'], complete: false });
    log.dispose();
  });

  it('gives a failed run\'s error', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    const log = new TraceLog(controller, (id) => id);
    await controller.setState('/a', 1);
    await controller.deriveMany('/b', ['/a'], (data) => {
      if (data.get('/a') === 2) throw new Error('two');
      return data.get('/a');
    });
    await controller.setState('/a', 2).catch(() => undefined);
    const [failed] = runViewsFor(log, 'derive:/b', 'derivation');
    assert.match(failed?.error ?? '', /two/);
    log.dispose();
  });
});
