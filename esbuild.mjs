// Builds the extension host bundle (Node, CommonJS, vscode external) and the webview bundle (browser).
// With --tests it also builds the integration tests (test/integration/) into out/test/, one file per
// test file next to the runner, index.js, which the extension host loads.
// With --cli it builds only the `restate` command line (extension/restate/cli/) into out/cli/restate.cjs.
// With --bench it builds only the benchmarks (bench/), into out/bench/: restate is measured bundled, as the
// extension ships it, while the peer libraries stay external and load from their published builds.
// With --package it builds only the library's npm package (extension/restate/package.json), the library and
// its `restate` command, into extension/restate/dist/: see buildPackage below.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');
const bench = process.argv.includes('--bench');
const packageBuild = process.argv.includes('--package');
const cli = process.argv.includes('--cli');

if (packageBuild) {
  await buildPackage();
  process.exit(0);
}

/**
 * The Redis client is two thirds of what the extension would bundle (1.4 of 2.1 MB), and the extension host
 * parses a bundle whole when it loads it, before activation. It goes into a bundle of its own beside the
 * extension's, dist/redisClient.js, which the extension requires only when a Redis root or a Redis inspector
 * is used: the modules that import it are initialised on first use (they are reached through `import()`).
 * @type {import('esbuild').Plugin}
 */
const redisClientApart = {
  name: 'redis-client-apart',
  setup(build) {
    build.onResolve({ filter: /^@redis\/client$/ }, () => ({ path: './redisClient.js', external: true }));
  },
};

/**
 * proper-lockfile (with graceful-fs, which copies and patches node:fs when it loads, and signal-exit) is
 * evaluated when the bundle loads, since the file-system backend imports it; the extension never takes its
 * locks (its adapter is not node:fs's default one), yet it cost 130 ms of a loaded extension host's start-up.
 * In the extension's bundle the import gets a stand-in that loads the package on first use.
 * @type {import('esbuild').Plugin}
 */
const lockfileOnFirstUse = {
  name: 'lockfile-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^proper-lockfile$/ }, (args) => (args.namespace === 'on-first-use' ? undefined : { path: args.path, namespace: 'on-first-use' }));
    build.onLoad({ filter: /.*/, namespace: 'on-first-use' }, (args) => ({
      contents: `let loaded;\nmodule.exports = new Proxy({}, { get: (_, key) => (loaded ??= require(${JSON.stringify(args.path)}))[key] });\n`,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = bench || cli ? [] : [
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
    plugins: [redisClientApart, lockfileOnFirstUse],
    metafile: true,
  },
  {
    stdin: { contents: "module.exports = require('@redis/client');", resolveDir: '.', sourcefile: 'redisClient.js', loader: 'js' },
    outfile: 'dist/redisClient.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
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
} else if (cli) {
  builds.push({
    entryPoints: ['extension/restate/cli/bin.ts'],
    outfile: 'out/cli/restate.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    // The dependencies load from node_modules, as an installed package has them; the Redis client only
    // when a command names a Redis server.
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

/**
 * The library's npm package. The CommonJS build is the real code: every module of extension/restate/ compiled
 * on its own (not bundled) into dist/cjs/, with tsc's declarations beside it. The ES module entries in dist/esm/
 * only re-export it, so a program that both imports and requires the package still gets one copy of every
 * module: one MISSING, one class per error, whichever way each part of it loaded the package.
 */
async function buildPackage() {
  const library = 'extension/restate';
  const dist = join(library, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const sources = findFiles(library, '.ts').filter((file) => !file.startsWith(dist + '/') && !file.endsWith('.d.ts'));
  await esbuild.build({
    entryPoints: sources,
    outbase: library,
    outdir: join(dist, 'cjs'),
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  // The `restate` command (the manifest's bin) runs as a program: it starts with the line that says so.
  const bin = join(dist, 'cjs', 'cli', 'bin.js');
  writeFileSync(bin, '#!/usr/bin/env node\n' + readFileSync(bin, 'utf8'));
  chmodSync(bin, 0o755);
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(library, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc could not write the package's declarations (exit code ${tsc.status ?? tsc.signal})`);

  const require = createRequire(import.meta.url);
  mkdirSync(join(dist, 'esm'), { recursive: true });
  for (const entry of ['index', 'redis']) {
    const names = Object.keys(require(resolve(dist, 'cjs', `${entry}.js`))).filter((name) => name !== '__esModule').sort();
    const header = `// The ES module entry of restate-tree${entry === 'index' ? '' : '/' + entry}: the CommonJS build's exports, so that\n`
      + '// import and require share one copy of the library.\n';
    writeFileSync(join(dist, 'esm', `${entry}.mjs`), `${header}import library from '../cjs/${entry}.js';\n\n`
      + `export const {\n${names.map((name) => `  ${name},\n`).join('')}} = library;\n`);
    writeFileSync(join(dist, 'esm', `${entry}.d.mts`), `${header}export * from '../cjs/${entry}.js';\n`);
  }
  console.log(`[package] built ${dist}/ (${sources.length} modules)`);
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
  const results = await Promise.all(builds.map((options) => esbuild.build({ ...options, ...common })));
  // What the extension host parses before activation: a package that grows the bundle shows up here.
  const extension = results.find((result) => result.metafile?.outputs['dist/extension.js'] !== undefined);
  if (extension !== undefined) {
    const byPackage = new Map();
    for (const [file, { bytesInOutput }] of Object.entries(extension.metafile.outputs['dist/extension.js'].inputs)) {
      const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? 'extension';
      byPackage.set(owner, (byPackage.get(owner) ?? 0) + bytesInOutput);
    }
    const kb = (bytes) => `${(bytes / 1024).toFixed(0)} kB`;
    console.log(`dist/extension.js by package: ${[...byPackage].sort((a, b) => b[1] - a[1]).map(([owner, bytes]) => `${owner} ${kb(bytes)}`).join(', ')}`);
  }
}
