import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJsonc, suggestFix } from '../../../extension/commands/jsonc';

describe('JSONC values typed by the user', () => {
  test('JSON and JSONC parse', () => {
    assert.deepEqual(parseJsonc('42'), { ok: true, value: 42 });
    assert.deepEqual(parseJsonc('"text"'), { ok: true, value: 'text' });
    assert.deepEqual(parseJsonc('null'), { ok: true, value: null });
    assert.deepEqual(parseJsonc('{ "a": 1, // comment\n "b": [1, 2,], }'), { ok: true, value: { a: 1, b: [1, 2] } });
  });
  test('errors name the problem and the place', () => {
    const result = parseJsonc('{"a": }');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.message, /value expected at line 1, column 7/i);
    const second = parseJsonc('[1,\n 2\n 3]');
    assert.match(second.ok ? '' : second.message, /line 3/);
  });
  test('empty text and bare words are refused', () => {
    assert.equal(parseJsonc('').ok, false);
    assert.equal(parseJsonc('   ').ok, false);
    assert.equal(parseJsonc('hello').ok, false);
  });
  test('a word without quotes is told to need quotes, with the text to type', () => {
    assert.deepEqual(parseJsonc('light'), { ok: false, message: 'Text needs quotes: "light" (invalid symbol at line 1, column 1)' });
    assert.deepEqual(suggestFix(' dark mode '), { reason: 'text needs quotes', text: '"dark mode"' });
    assert.deepEqual(suggestFix('1.2.3'), { reason: 'text needs quotes', text: '"1.2.3"' });
    assert.deepEqual(suggestFix('#fff'), { reason: 'text needs quotes', text: '"#fff"' });
    assert.deepEqual(suggestFix('[dark, light]'), { reason: 'text needs quotes', text: '["dark", "light"]' });
  });
  test('single quotes, Python literals and bare keys get their fix', () => {
    assert.deepEqual(suggestFix("'light'"), { reason: 'text needs double quotes', text: '"light"' });
    assert.deepEqual(suggestFix("'it\\'s'"), { reason: 'text needs double quotes', text: '"it\'s"' });
    assert.deepEqual(suggestFix('True'), { reason: 'JSON spells it', text: 'true' });
    assert.deepEqual(suggestFix('None'), { reason: 'JSON spells it', text: 'null' });
    assert.deepEqual(suggestFix('{"on": True, "off": None}'), { reason: 'JSON spells True, False and None as true, false and null', text: '{"on": true, "off": null}' });
    assert.deepEqual(suggestFix('{name: "Alice", "age": 3}'), { reason: 'keys need quotes', text: '{"name": "Alice", "age": 3}' });
    const mixed = parseJsonc("{theme: 'dark' /* for now */}");
    assert.equal(mixed.ok, false);
    assert.equal(mixed.ok ? '' : mixed.message, 'Keys need quotes, text needs double quotes: {"theme": "dark" /* for now */} (invalid symbol at line 1, column 2)');
  });
  test('double-quoted strings and comments are left as typed; no fix is made up', () => {
    assert.equal(suggestFix('{"a": "x y" // a comment: b\n'), undefined);
    assert.equal(suggestFix('{"a": }'), undefined);
    assert.equal(suggestFix('[1, 2'), undefined);
    assert.equal(parseJsonc('{"a": }').ok ? '' : (parseJsonc('{"a": }') as { message: string }).message, 'Value expected at line 1, column 7');
  });
  test('a long fix is cut in the message', () => {
    const long = `{${Array.from({ length: 20 }, (_, i) => `key${i}: ${i}`).join(', ')}}`;
    const fix = suggestFix(long);
    assert.equal(fix?.reason, 'keys need quotes');
    assert.ok(fix.text.length <= 80 && fix.text.endsWith('…') && fix.text.startsWith('{"key0": 0'));
  });
});
