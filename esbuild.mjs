// Builds the extension host bundle (Node, CommonJS, vscode external) and the webview bundle (browser).
// With --tests it also builds the integration tests (test/integration/) into out/test/, one file per
// test file next to the runner, index.js, which the extension host loads.
// With --bench it builds only the benchmarks (bench/), into out/bench/: restate is measured bundled, as the
// extension ships it, while the peer libraries stay external and load from their published builds.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');
const bench = process.argv.includes('--bench');

/** @type {import('esbuild').BuildOptions[]} */
const builds = bench ? [] : [
  {
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    // jsonc-parser's UMD main build loads its parts with a dynamic require that bundling breaks; its ESM build bundles.
    mainFields: ['module', 'main'],
  },
];
if (bench) {
  rmSync('out/bench', { recursive: true, force: true });
  builds.push({
    entryPoints: ['bench/run.ts', 'bench/peers.ts', 'bench/core.ts', 'bench/batch.ts', 'bench/fs.ts', 'bench/count.ts', 'bench/sandbox.ts', 'bench/redis.ts', 'bench/inspect.ts'],
    outdir: 'out/bench',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
  });
} else if (existsSync('webview/main.ts')) {
  builds.push({
    entryPoints: ['webview/main.ts'],
    outfile: 'media/dist/webview.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
}
if (tests) {
  rmSync('out/test', { recursive: true, force: true });
  builds.push({
    entryPoints: ['test/integration/index.ts', ...findFiles('test/integration', '.test.ts')],
    outbase: 'test/integration',
    outdir: 'out/test',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // mocha is loaded from node_modules at run time: it does not bundle cleanly.
    external: ['vscode', 'mocha'],
    // The tests import extension code that uses jsonc-parser: see the extension build above.
    mainFields: ['module', 'main'],
  });
}

function findFiles(dir, suffix) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const common = { minify: production, sourcemap: true, logLevel: 'info' };
if (watch) {
  for (const options of builds) {
    const context = await esbuild.context({ ...options, ...common });
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build({ ...options, ...common })));
}
