import ElkConstructor from 'elkjs/lib/elk-api.js';
import type { ELK } from 'elkjs/lib/elk-api.js';
import elkWorkerSource from 'elkjs/lib/elk-worker.min.js' with { type: 'text' };
import type { LayoutEngine } from './layout';

// elkjs's layout runs in a web worker, so that a big graph's layout, which takes seconds, never holds up the
// page: panning, zooming, selecting and flashes go on meanwhile. A webview cannot start a worker from the
// extension's files (they are served from another origin than the page's), so the worker's script is bundled
// as text and started from a blob URL, which the panel's Content-Security-Policy allows (worker-src blob:).

let workerUrl: string | undefined;

function startWorker(): Worker {
  workerUrl ??= URL.createObjectURL(new Blob([elkWorkerSource], { type: 'text/javascript' }));
  return new Worker(workerUrl, { name: 'graph layout' });
}

/**
 * Lays graphs out in a worker. A layout asked for while another still runs stops the older one (the worker is
 * ended and a new one started): the page only ever wants the newest graph's layout, and would otherwise wait
 * for every stale one queued before it. The stopped layout's promise never settles.
 */
export function workerLayoutEngine(): LayoutEngine {
  // The first worker starts at once: loading elkjs's script in it (about half a second of a loaded machine's
  // time) overlaps with the host's sending of the graph, instead of delaying the first layout.
  let elk: ELK | undefined = new ElkConstructor({ workerFactory: startWorker });
  let running = 0;
  return {
    layout: (graph, args) => {
      if (elk !== undefined && running > 0) {
        elk.terminateWorker();
        elk = undefined;
      }
      if (elk === undefined) {
        elk = new ElkConstructor({ workerFactory: startWorker });
        running = 0;
      }
      const current = elk;
      running++;
      return current.layout(graph, args).finally(() => {
        if (elk === current) running--;
      });
    },
  };
}
