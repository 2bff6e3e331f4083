// free() releases a cache's WebAssembly memory, and so does the FinalizationRegistry when a
// cache is garbage-collected without free(): 60 caches of 1 MB each must not keep 60 MB.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'forgotten-free.cjs');

function finalMegabytes(mode) {
  const output = execFileSync(process.execPath, ['--expose-gc', fixture, mode], { encoding: 'utf8' });
  return JSON.parse(output).megabytes;
}

it('free() returns memory for reuse', () => {
  const megabytes = finalMegabytes('free');
  assert.ok(megabytes < 16, `${megabytes} MB of wasm memory after freeing 60 caches of 1 MB`);
});

it('a forgotten free() is cleaned up by the FinalizationRegistry after GC', () => {
  const megabytes = finalMegabytes('forget');
  assert.ok(megabytes < 32, `${megabytes} MB of wasm memory after dropping 60 caches of 1 MB`);
});
