// The library's npm package, proved from the outside: built and packed as it would be published, installed
// from the tarball into a new project (its dependencies from the registry or npm's cache), and used there as a
// developer would: the README's example as an ES module, as CommonJS, and type-checked under both module
// resolutions TypeScript offers for packages with `exports`; publint and Are The Types Wrong on the tarball.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { assertExampleRan, libraryExample, packageName, repositoryRoot as root } from './readmeExample';

const library = join(root, 'extension', 'restate');
const manifest = JSON.parse(readFileSync(join(library, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };

/** The environment of a child npm: without the variables the npm running this test sets for its own script. */
function childEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_(package|lifecycle|config_(?!cache$|registry$|userconfig$))/.test(name)));
}

/** Runs a command and returns its standard output; a failure fails the test with everything it printed. */
function run(command: string, args: string[], cwd: string, timeout = 300_000): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: childEnvironment() });
  assert.equal(result.status, 0, `\`${[command, ...args].join(' ')}\` in ${cwd} failed (${result.error?.message ?? result.signal ?? result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function node(args: string[], cwd: string): string {
  return run(process.execPath, args, cwd, 60_000);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/** The oldest TypeScript the package's declarations are held to (the README names it). */
const OLDEST_TYPESCRIPT = '5.0.4';
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

let work: string;
let tarball: string;
let project: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'restate-package-'));
  run(process.execPath, ['esbuild.mjs', '--package'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], library)) as { filename: string }[];
  tarball = join(work, packed[0].filename);

  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-restate', version: '1.0.0', private: true }, null, 2));
  // @types/node for the example's console; the same version the project itself builds with.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `@types/node@${rootManifest.devDependencies['@types/node']}`], project);
});

after(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe(`the ${packageName} package`, () => {
  it('holds the builds, the declarations, the README and the LICENSE, and no sources', () => {
    const listing = run('tar', ['-tzf', tarball], work).split('\n').filter((line) => line !== '').map((line) => line.replace(/^package\//, ''));
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/redis.js', 'dist/cjs/redis.d.ts',
      'dist/esm/index.mjs', 'dist/esm/index.d.mts', 'dist/esm/redis.mjs', 'dist/esm/redis.d.mts']) {
      assert.ok(listing.includes(file), `the tarball has no ${file}: ${listing.join(', ')}`);
    }
    const sources = listing.filter((file) => /\.(ts|mts|cts)$/.test(file) && !/\.d\.(ts|mts|cts)$/.test(file));
    assert.deepEqual(sources, [], 'the tarball ships TypeScript sources');
    assert.deepEqual(listing.filter((file) => file.endsWith('.map') || file.includes('tsconfig')), []);
  });

  it('installs only its runtime dependencies: no Redis client for a program that does not use Redis', () => {
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', packageName, 'package.json'), 'utf8')) as { version: string };
    assert.equal(installed.version, manifest.version);
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['chokidar', 'jsonc-parser', 'proper-lockfile']);
    assert.ok(!JSON.stringify(readFileSync(join(project, 'package-lock.json'), 'utf8')).includes('node_modules/@redis/client'),
      'installing the package installed @redis/client');
    // What the core imports from outside Node itself is what the manifest names, so nothing is missing at run time.
    const imports = run('grep', ['-rhoE', "require\\(\"[^.\"][^\"]*\"\\)", join(project, 'node_modules', packageName, 'dist', 'cjs')], project)
      .split('\n').filter((line) => line !== '').map((line) => line.slice('require("'.length, -'")'.length)).filter((name) => !name.startsWith('node:'));
    assert.deepEqual([...new Set(imports)].sort(), [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)].sort());
  });

  it("shows on its own README the example of the repository's README", () => {
    const readme = readFileSync(join(library, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('\n## Example\n')));
    assert.equal(block?.[1], libraryExample());
  });

  it("runs the README's library example as an ES module", () => {
    const example = libraryExample();
    const folder = join(project, 'esm');
    mkdirSync(folder);
    const file = join(folder, 'example.mjs');
    writeFileSync(file, ts.transpileModule(example, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
    assertExampleRan(example, node([file], folder), folder);
  });

  it("runs the README's library example as CommonJS", () => {
    const example = libraryExample();
    const folder = join(project, 'cjs');
    mkdirSync(folder);
    const file = join(folder, 'example.cjs');
    const commonJs = ts.transpileModule(example, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    assert.match(commonJs, new RegExp(`require\\("${packageName}"\\)`));
    writeFileSync(file, commonJs);
    assertExampleRan(example, node([file], folder), folder);
  });

  for (const [resolution, module, files] of [
    ['node16', 'node16', ['example.ts', 'example.mts']],
    ['bundler', 'esnext', ['example.ts']],
  ] as const) {
    it(`type-checks the README's library example with moduleResolution ${resolution}`, () => {
      const folder = join(project, `types-${resolution}`);
      mkdirSync(folder);
      for (const file of files) writeFileSync(join(folder, file), libraryExample());
      writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { module, moduleResolution: resolution, target: 'es2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: false },
        files,
      }, null, 2));
      run(process.execPath, [tsc, '-p', folder], folder);
    });
  }

  it("type-checks the README's library example with the oldest TypeScript it supports, 5.0", () => {
    const folder = join(project, 'types-oldest');
    mkdirSync(folder);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `typescript@${OLDEST_TYPESCRIPT}`], project);
    writeFileSync(join(folder, 'example.ts'), libraryExample());
    for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']]) {
      writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { module, moduleResolution: resolution, target: 'es2022', strict: true, noEmit: true, types: ['node'] },
        files: ['example.ts'],
      }, null, 2));
      run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', folder], folder);
    }
  });

  it('S2 gives one copy of the library to a program that both imports and requires it', () => {
    const file = join(project, 'mixed.mjs');
    writeFileSync(file, `
      import assert from 'node:assert/strict';
      import { createRequire } from 'node:module';
      import * as imported from '${packageName}';
      const required = createRequire(import.meta.url)('${packageName}');
      assert.equal(imported.MISSING, required.MISSING);
      for (const name of Object.keys(required)) assert.equal(imported[name], required[name], name + ' differs');
      assert.deepEqual(Object.keys(imported).sort(), Object.keys(required).sort());
      // An error thrown by the required copy is an instance of the imported classes, and the other way round.
      assert.throws(() => new required.ControllerSync(new required.InMemoryBackend()).getState('/a/../b'), imported.RestatePathError);
      assert.throws(() => imported.resolvePath('/a/../b'), required.RestateError);
      // A backend of the required copy answers a missing node with the MISSING of the imported one.
      assert.equal(new required.InMemoryBackend().read('/missing'), imported.MISSING);
      assert.equal(new imported.ControllerSync(new required.InMemoryBackend()).getState('/missing', { default: imported.MISSING }), required.MISSING);
      console.log('one copy');
    `);
    assert.equal(node([file], project).trim(), 'one copy');
  });

  it('installs the restate command, which prints its help', () => {
    const help = run(join(project, 'node_modules', '.bin', 'restate'), ['--help'], project, 60_000);
    assert.match(help, /\bget PATH\b/);
    assert.match(help, /\bset PATH VALUE\b/);
  });

  it('runs the installed restate command: set and get in a state folder', () => {
    const restate = join(project, 'node_modules', '.bin', 'restate');
    const folder = join(project, 'cli-state');
    run(restate, ['--folder', folder, 'set', '/users/1', '{ "name": "Ada", /* a comment */ }'], project, 60_000);
    assert.deepEqual(JSON.parse(readFileSync(join(folder, 'users', '1.json'), 'utf8')), { name: 'Ada' });
    assert.deepEqual(JSON.parse(run(restate, ['--folder', folder, 'get', '/users'], project, 60_000)), { 1: { name: 'Ada' } });
  });

  it('passes publint', () => {
    const report = run(bin('publint'), ['run', '--strict', tarball], work);
    assert.doesNotMatch(report, /Warnings?:|Errors?:/, report);
  });

  it('passes Are The Types Wrong for node16 (from ESM and CommonJS) and bundlers', () => {
    run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'table-flipped'], work);
  });

  describe('with @redis/client installed beside it', () => {
    before(() => {
      run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `@redis/client@${rootManifest.dependencies['@redis/client']}`], project);
    });

    it('loads the Redis backend from ./redis by import and by require, its errors classes of the one core', () => {
      const file = join(project, 'redis.mjs');
      writeFileSync(file, `
        import assert from 'node:assert/strict';
        import { createServer } from 'node:net';
        import { createRequire } from 'node:module';
        import { RestateBackendError } from '${packageName}';
        import { RedisBackend } from '${packageName}/redis';
        const require = createRequire(import.meta.url);
        assert.equal(require('${packageName}/redis').RedisBackend, RedisBackend);
        // A port nothing listens on: the backend's connection error is the core's class, whichever way it loaded.
        const server = createServer();
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        const port = server.address().port;
        await new Promise((resolve) => server.close(resolve));
        const backend = new (require('${packageName}/redis').RedisBackend)({ url: 'redis://127.0.0.1:' + port, prefix: 'package-test', connectTimeoutMs: 2000 });
        await assert.rejects(backend.read('/a', undefined), (error) => error instanceof RestateBackendError && error instanceof require('${packageName}').RestateError);
        await backend.close();
        console.log('one core');
      `);
      assert.equal(node([file], project).trim(), 'one core');
    });
  });
});
