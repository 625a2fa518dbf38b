// Builds the extension host bundle (Node, CommonJS, vscode external) and the webview bundle (browser).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
];
if (existsSync('webview/main.ts')) {
  builds.push({
    entryPoints: ['webview/main.ts'],
    outfile: 'media/dist/webview.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
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
