// The extension's .vsix, built by `npm run package` as a developer would on a fresh clone, and looked into: it
// holds the bundles, media, README, CHANGELOG, LICENSE and manifest files, and no sources, tests or source maps.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { repositoryRoot as root } from './readmeExample';

/** Well above today's size (about 0.9 MB), well below what a .vsix that took in sources, maps or packages weighs. */
const MAX_VSIX_BYTES = 2.5 * 1024 * 1024;

/** The entries of a zip archive (a .vsix is one), read from its central directory. */
function zipEntries(archive: Buffer): Map<string, () => Buffer> {
  const endOfDirectory = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(endOfDirectory >= 0, 'the .vsix is not a zip archive');
  const count = archive.readUInt16LE(endOfDirectory + 10);
  let offset = archive.readUInt32LE(endOfDirectory + 16);
  const entries = new Map<string, () => Buffer>();
  for (let index = 0; index < count; index++) {
    assert.equal(archive.readUInt32LE(offset), 0x02014b50, 'a broken central directory');
    const method = archive.readUInt16LE(offset + 10);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localHeader = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.set(name, () => {
      const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
      const data = archive.subarray(dataStart, dataStart + compressedSize);
      return method === 8 ? inflateRawSync(data) : Buffer.from(data);
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

let work: string;
let vsix: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'restate-vsix-'));
  vsix = join(work, 'state-explorer.vsix');
  const result = spawnSync('npm', ['run', 'package', '--', '--out', vsix], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.equal(result.status, 0, `npm run package failed:\n${result.stdout}\n${result.stderr}`);
});

after(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the State Explorer .vsix', () => {
  it('holds the bundles, media, README, CHANGELOG, LICENSE and manifests, and nothing else', () => {
    const names = [...zipEntries(readFileSync(vsix)).keys()].filter((name) => name.startsWith('extension/')).map((name) => name.slice('extension/'.length));
    for (const expected of ['package.json', 'package.nls.json', 'readme.md', 'changelog.md', 'LICENSE.txt', 'dist/extension.js', 'dist/redisClient.js', 'media/dist/webview.js',
      'media/restate.svg', 'media/graph.css', 'media/restate-definitions.schema.json', 'media/screenshot-explorer.png']) {
      assert.ok(names.includes(expected), `the .vsix has no ${expected}: ${names.join(', ')}`);
    }
    const allowed = /^(package\.json|package\.nls(\.[\w-]+)?\.json|readme\.md|changelog\.md|LICENSE\.txt|dist\/(extension|redisClient)\.js|media\/dist\/webview\.js|media\/[\w.-]+\.(css|json|png|svg))$/;
    assert.deepEqual(names.filter((name) => !allowed.test(name)), [], 'the .vsix holds files it should not (sources, tests, maps, packages)');
  });

  it('leaves the Redis client out of the bundle the extension host loads at start-up', () => {
    const entries = zipEntries(readFileSync(vsix));
    const extension = entries.get('extension/dist/extension.js')?.().toString('utf8') ?? '';
    const redisClient = entries.get('extension/dist/redisClient.js')?.().toString('utf8') ?? '';
    // The extension reaches the client only through a require of its own bundle, made when Redis is first used.
    assert.ok(extension.includes('require("./redisClient.js")'), 'dist/extension.js does not load dist/redisClient.js');
    assert.ok(redisClient.length > extension.length, `dist/redisClient.js (${redisClient.length} bytes) is not the larger part: dist/extension.js has ${extension.length}`);
    assert.ok(!extension.includes('RESP3'), 'dist/extension.js holds the Redis client\'s code');
  });

  it('shows the README\'s images from files inside the .vsix, as VS Code\'s extension page reads them', () => {
    const entries = zipEntries(readFileSync(vsix));
    const readme = entries.get('extension/readme.md')?.().toString('utf8') ?? '';
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]);
    assert.ok(images.includes('media/screenshot-explorer.png'), `the README shows no screenshot: ${images.join(', ')}`);
    const missing = images.filter((image) => !/^https?:/.test(image) && !entries.has(`extension/${image.replace(/^\.\//, '')}`));
    assert.deepEqual(missing, [], 'the README shows images the .vsix does not hold');
  });

  it(`weighs at most ${MAX_VSIX_BYTES / 1024 / 1024} MB`, () => {
    const size = statSync(vsix).size;
    assert.ok(size <= MAX_VSIX_BYTES, `the .vsix weighs ${size} bytes`);
  });
});
