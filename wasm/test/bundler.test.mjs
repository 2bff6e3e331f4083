// The bundler build (`default` condition of the exports map) imports its .wasm as an ES
// module, the way webpack 5 and Vite's wasm plugin load it. Node runs that too with
// --experimental-wasm-modules, so the build is exercised here in a child process.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pkg', 'bundler', 'index.js');

it('the bundler build loads its .wasm as a module and works', () => {
  const script = `
    const { Cache } = await import(${JSON.stringify(pathToFileURL(entry).href)});
    const cache = new Cache({ maxEntries: 5 });
    cache.set('room:1', { title: 'general' });
    cache.set('bytes', new Uint8Array([1, 2]));
    let code;
    try { cache.set('', 1); } catch (error) { code = error.code; }
    console.log(JSON.stringify({ room: cache.get('room:1'), bytes: [...cache.get('bytes')], code, size: cache.size }));
  `;
  const output = execFileSync(
    process.execPath,
    ['--experimental-wasm-modules', '--no-warnings', '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  assert.deepEqual(JSON.parse(output), {
    room: { title: 'general' },
    bytes: [1, 2],
    code: 'empty_key',
    size: 2,
  });
});
