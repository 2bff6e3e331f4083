// The README's examples, run: every ```js block executes against the package, and its
// annotated lines are assertions:
//
//   expr; // => value (commentary)     expr deep-equals value
//   expr; // throws Class code         expr throws that class with that code
//
// Blocks that use `cache` without creating one get a fresh `new Cache()`. `get`/`set` (the
// idb-keyval example) and `localStorage` are in-memory stand-ins with the real semantics
// (structured clone; strings only).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Cache } from 'chatcache';

const readme = fs.readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md'),
  'utf8',
);
const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const AsyncFunction = (async () => {}).constructor;

function instrument(source) {
  let assertions = 0;
  const lines = source.split('\n').map((line) => {
    const equals = line.match(/^(\s*)(.+?);\s*\/\/ => (.+?)(?:\s+\(.*\))?\s*$/);
    if (equals) {
      assertions++;
      return `${equals[1]}assert.deepStrictEqual((${equals[2]}), (${equals[3]}), ${JSON.stringify(line.trim())});`;
    }
    const throws = line.match(/^(\s*)(.+?);\s*\/\/ throws (\w+) (\w+)\s*$/);
    if (throws) {
      assertions++;
      return `${throws[1]}assert.throws(() => (${throws[2]}), { name: '${throws[3]}', code: '${throws[4]}' });`;
    }
    return line.replace(/^\s*import .* from 'chatcache';$/, '');
  });
  let code = lines.join('\n');
  if (!/\b(const|let) cache = new Cache/.test(code)) code = `const cache = new Cache();\n${code}`;
  return { code, assertions };
}

function standIns() {
  const idb = new Map();
  const local = new Map();
  return {
    set: async (key, value) => void idb.set(key, structuredClone(value)),
    get: async (key) => structuredClone(idb.get(key)),
    localStorage: {
      setItem: (key, value) => void local.set(key, String(value)),
      getItem: (key) => (local.has(key) ? local.get(key) : null),
    },
  };
}

it('the README has examples with assertions', () => {
  assert.ok(blocks.length >= 5, `${blocks.length} js blocks`);
  const total = blocks.map((b) => instrument(b).assertions).reduce((a, b) => a + b, 0);
  assert.ok(total >= 10, `${total} assertions`);
});

blocks.forEach((block, index) => {
  const { code } = instrument(block);
  const title = block.split('\n').find((line) => line.trim() !== '') ?? '';
  it(`README example ${index + 1}: ${title.trim().slice(0, 60)}`, async () => {
    const { set, get, localStorage } = standIns();
    const run = new AsyncFunction('Cache', 'assert', 'set', 'get', 'localStorage', code);
    await run(Cache, assert, set, get, localStorage);
  });
});
