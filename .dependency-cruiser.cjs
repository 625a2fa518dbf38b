// Which folder of the extension may import which (run by `npm run lint`). Imports only go down the layers:
//
//   extension.ts                                  the wiring: activate() builds everything
//   explorer/  graph/  changes/  commands/        what the user sees and does: views, panels, commands
//   definitions/                                  the definitions file (.vscode/restate.jsonc) and its runs
//   sources/                                      state sources: StateHost, the state folders and their watching
//   workspace/                                    VS Code's workspace as the extension reads it: files, URIs
//   restate/                                      the library, editor-independent
//
// Folders of one layer may import each other, as long as no module cycle forms. webview/ is the graph panel's
// browser side, a bundle of its own: of the extension it imports only the panel's message types (protocol.ts)
// and the diffing of graph views (graph/graphDiff.ts), which in turn import nothing else.
// Type-only imports count: a type that a lower layer takes from a higher one ties them just the same.
//
// No cycle is excused, the library's own modules included: where a lower module needs something of a higher
// one, it declares the interface it uses and the higher one implements it (as notification.ts, write.ts,
// syncPath.ts, system.ts and batch.ts do for what they need of engine.ts, and events.ts for the controller).

const views = '^extension/(explorer|graph|changes|commands)/';
/** The modules of the extension that the webview bundle includes as well. */
const sharedWithWebview = '^extension/(protocol|graph/graphDiff)\\.ts$';

/** The extension's and the webview's modules except those of the given folders under extension/. */
function outside(...folders) {
  return { path: '^(extension|webview)/', pathNot: `^extension/(${folders.join('|')})/` };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules of the extension and the webview must not import each other in a cycle (type-only imports included): '
        + 'a cycle makes the order of initialisation fragile and the code impossible to read bottom-up.',
      severity: 'error',
      from: { path: '^(extension|webview)/' },
      to: { circular: true },
    },
    {
      name: 'library-imports-only-itself',
      comment: 'extension/restate/ is the editor-independent library: it must not import the extension around it '
        + '(ESLint also keeps vscode out of it).',
      severity: 'error',
      from: { path: '^extension/restate/' },
      to: outside('restate'),
    },
    {
      name: 'workspace-imports-only-the-library',
      comment: 'extension/workspace/ (files and URIs of the VS Code workspace) sits right above the library: '
        + 'it must not import state sources, definitions, views, commands or the wiring.',
      severity: 'error',
      from: { path: '^extension/workspace/' },
      to: outside('restate', 'workspace'),
    },
    {
      name: 'sources-import-no-definitions-views-or-commands',
      comment: 'extension/sources/ (StateHost and the state folders) is what definitions, views and commands '
        + 'build on: it must not import them.',
      severity: 'error',
      from: { path: '^extension/sources/' },
      to: outside('restate', 'workspace', 'sources'),
    },
    {
      name: 'definitions-import-no-views-or-commands',
      comment: 'extension/definitions/ runs the definitions file against the state sources; the commands and the '
        + 'graph that edit and show it live above it.',
      severity: 'error',
      from: { path: '^extension/definitions/' },
      to: outside('restate', 'workspace', 'sources', 'definitions'),
    },
    {
      name: 'views-and-commands-import-no-wiring',
      comment: 'explorer/, graph/, changes/ and commands/ are wired together by extension.ts: they must not import '
        + 'it, nor the webview, which is a separate browser bundle.',
      severity: 'error',
      from: { path: views },
      to: { path: '^(extension/extension\\.ts$|webview/)' },
    },
    {
      name: 'nothing-imports-the-wiring',
      comment: 'extension.ts is the entry point that VS Code loads; nothing inside the extension imports it.',
      severity: 'error',
      from: { pathNot: '^extension/extension\\.ts$' },
      to: { path: '^extension/extension\\.ts$' },
    },
    {
      name: 'webview-shares-only-protocol-and-graph-diff',
      comment: 'webview/ runs in the browser: from the extension it may import only the modules bundled for both '
        + 'sides, extension/protocol.ts and extension/graph/graphDiff.ts.',
      severity: 'error',
      from: { path: '^webview/' },
      to: { path: '^extension/', pathNot: sharedWithWebview },
    },
    {
      name: 'shared-with-webview-imports-only-the-protocol',
      comment: 'extension/protocol.ts and extension/graph/graphDiff.ts are bundled into the browser as well: '
        + 'they import nothing but the protocol\'s types.',
      severity: 'error',
      from: { path: sharedWithWebview },
      to: { pathNot: '^extension/protocol\\.ts$' },
    },
  ],
  options: {
    includeOnly: '^(extension|webview)/',
    // The library package's build output (node esbuild.mjs --package) is not part of the source.
    exclude: { path: '^extension/restate/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
