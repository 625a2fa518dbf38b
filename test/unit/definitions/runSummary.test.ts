import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeRuns, RunSummary } from '../../../extension/definitions/runSummary';

describe('run summary', () => {
  it('describes a burst by its count, median, slowest run and failures', () => {
    assert.equal(describeRuns([3, 1, 2], 1, 12.4), 'runs: 3 within 12 ms, median 2.00 ms, slowest 3.00 ms, 1 failed');
    assert.equal(describeRuns([4, 1, 2, 10], 0, 0), 'runs: 4 within 0 ms, median 3.00 ms, slowest 10.00 ms, 0 failed');
  });

  it('reports a burst once, after it went quiet, and the next burst on its own', async () => {
    const lines: string[] = [];
    const summary = new RunSummary((line) => lines.push(line), { quietMs: 30 });
    summary.add(1, false);
    summary.add(3, true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    summary.add(2, false);
    assert.deepEqual(lines, []);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^runs: 3 within \d+ ms, median 2\.00 ms, slowest 3\.00 ms, 1 failed$/);
    summary.add(5, false);
    summary.flush();
    assert.match(lines[1] ?? '', /^runs: 1 within 0 ms, median 5\.00 ms/);
    summary.dispose();
  });

  it('reports a stream of runs that never goes quiet at least every maxAgeMs', async () => {
    const lines: string[] = [];
    const summary = new RunSummary((line) => lines.push(line), { quietMs: 40, maxAgeMs: 100 });
    const started = performance.now();
    while (performance.now() - started < 250) {
      summary.add(1, false);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(lines.length >= 1, 'a line while the stream went on');
    summary.dispose();
  });
});
