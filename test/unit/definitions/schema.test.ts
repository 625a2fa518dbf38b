// The JSON schema that gives completion and checks in .vscode/restate.jsonc must agree with the parser.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDefinitions } from '../../../extension/definitions/config';

const root = join(__dirname, '..', '..', '..');

interface ObjectSchema {
  required?: string[];
  properties: Record<string, { type: string }>;
}

function entrySchema(kind: 'derivations' | 'trackers'): ObjectSchema {
  const schema = JSON.parse(readFileSync(join(root, 'media', 'restate-definitions.schema.json'), 'utf8')) as {
    properties: Record<string, { items: ObjectSchema }>;
  };
  return schema.properties[kind].items;
}

describe('the definitions file schema', () => {
  it('is contributed for .vscode/restate.jsonc and ships in media/', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: { jsonValidation: { fileMatch: string; url: string }[] };
    };
    const entry = manifest.contributes.jsonValidation.find((candidate) => candidate.fileMatch === '.vscode/restate.jsonc');
    assert.ok(entry, 'no jsonValidation entry for .vscode/restate.jsonc');
    assert.ok(existsSync(join(root, entry.url)), `${entry.url} does not exist`);
  });

  it('requires exactly the fields the parser requires', () => {
    assert.deepEqual(entrySchema('derivations').required, ['dest', 'sources', 'transform']);
    assert.deepEqual(entrySchema('trackers').required, ['name', 'expression']);
    assert.deepEqual(Object.keys(entrySchema('derivations').properties).sort(), ['dest', 'sources', 'transform']);
    assert.deepEqual(Object.keys(entrySchema('trackers').properties).sort(), ['dest', 'expression', 'name']);
  });

  it('a file the schema describes is accepted by the parser without problems', () => {
    const text = `{
      // comments are allowed
      "derivations": [{ "dest": "/doubled", "sources": ["/counter"], "transform": "sources[0] * 2" }],
      "trackers": [{ "name": "themeWatch", "expression": "get('/settings/beta') ? 'dark' : 'light'", "dest": "/theme" }]
    }`;
    const parsed = parseDefinitions(text);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.derivations.length, 1);
    assert.equal(parsed.trackers.length, 1);
  });

  it('a derivation missing a required field is a problem for the parser too', () => {
    const parsed = parseDefinitions('{ "derivations": [{ "dest": "/x", "sources": ["/a"] }] }');
    assert.ok(parsed.problems.some((problem) => problem.message.includes('transform')), JSON.stringify(parsed.problems));
  });
});
