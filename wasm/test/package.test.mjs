// The built package itself: its exports, its declarations, and its .wasm (imports, size,
// cleanup through FinalizationRegistry).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { GZIP_BUDGET } from '../scripts/budget.mjs';


const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pkg');
const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const builds = ['node', 'web', 'bundler'];

it('every file the exports map names exists', () => {
  const targets = [];
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value);
    else for (const inner of Object.values(value)) collect(inner);
  };
  collect(manifest.exports);
  assert.ok(targets.length >= 8);
  for (const target of targets) {
    assert.ok(fs.existsSync(path.join(pkgDir, target)), `${target} is missing`);
  }
});

it('import.meta.resolve picks the ESM entry for Node', async () => {
  const url = import.meta.resolve('chatcache');
  assert.match(url, /pkg\/node\/index\.mjs$/);
  assert.match(import.meta.resolve('chatcache/web'), /pkg\/web\/chatcache_wasm\.js$/);
});

for (const build of builds) {
  it(`${build}: the .wasm imports nothing from env and fits the size budget`, () => {
    const bytes = fs.readFileSync(path.join(pkgDir, build, 'chatcache_wasm_bg.wasm'));
    const module = new WebAssembly.Module(bytes);
    const imports = WebAssembly.Module.imports(module);
    assert.ok(imports.length > 0);
    assert.deepEqual(imports.filter((i) => i.module === 'env'), []);
    const gzipped = zlib.gzipSync(bytes, { level: 9 }).length;
    assert.ok(gzipped <= GZIP_BUDGET, `${gzipped} bytes gzipped, budget ${GZIP_BUDGET}`);
  });

  it(`${build}: glue registers a FinalizationRegistry and declarations describe the API`, () => {
    const glue = fs.readFileSync(path.join(pkgDir, build, 'chatcache_wasm.js'), 'utf8')
      + (build === 'bundler' ? fs.readFileSync(path.join(pkgDir, build, 'chatcache_wasm_bg.js'), 'utf8') : '');
    assert.match(glue, /new FinalizationRegistry/);
    const dts = fs.readFileSync(path.join(pkgDir, build, 'chatcache_wasm.d.ts'), 'utf8');
    for (const member of [
      'get(key: string): Value | undefined',
      'set<T>(key: string, value: T & Storable<T>, options?: SetOptions): void',
      'add<T>(key: string, value: T & Storable<T>, options?: SetOptions): boolean',
      'constructor(options?: CacheOptions)',
      'incr(key: string, by?: number): number',
      'ttl(key: string): number | undefined',
      'dump(): Snapshot',
      'load(snapshot: Snapshot): LoadSummary',
      'readonly size: number',
    ]) {
      assert.ok(dts.includes(member), `${build} d.ts lacks ${member}`);
    }
  });
}

it('no getrandom or env shims are linked', () => {
  const require = createRequire(import.meta.url);
  const glue = fs.readFileSync(require.resolve('chatcache'), 'utf8');
  assert.doesNotMatch(glue, /getrandom|__wbindgen_placeholder__\.env/);
});
