// JSON text as Python's json.dumps writes it with its defaults: ", " and ": " separators and every
// character outside printable ASCII escaped (ensure_ascii). Floats follow JavaScript's formatting,
// which matches Python's repr for the values the demo and the tests write (e.g. 0.75, not 1e-07).
export function pythonJson(value) {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`).join(', ')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`[python-json] ${value} has no JSON form`);
  }
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
