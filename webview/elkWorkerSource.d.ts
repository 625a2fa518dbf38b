// The web worker script of elkjs, imported as text (`with { type: 'text' }`, which esbuild bundles as a
// string) to start the layout worker from a blob URL: see layoutWorker.ts.
declare module 'elkjs/lib/elk-worker.min.js' {
  const source: string;
  export default source;
}
