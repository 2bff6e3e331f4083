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
  assert.match(import.meta.resolve('chatcache/web'), /pkg\/web\/index\.js$/);
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

  it(`${build}: the entry binds the hand-written class to this build's glue, without editing it`, () => {
    const entry = fs.readFileSync(path.join(pkgDir, build, build === 'node' ? 'index.cjs' : 'index.js'), 'utf8');
    assert.match(entry, /bindCache\(glue\)/);
    const glue = fs.readFileSync(path.join(pkgDir, build, 'chatcache_wasm.js'), 'utf8')
      + (build === 'bundler' ? fs.readFileSync(path.join(pkgDir, build, 'chatcache_wasm_bg.js'), 'utf8') : '');
    // The glue is wasm-bindgen's own: it defines the engine, not the public class.
    assert.match(glue, /class Engine/);
    assert.doesNotMatch(glue, /bindCache|installFastPaths/);
  });
}

it('the declarations describe the whole API and every entry shares them', () => {
  const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');
  for (const member of [
    'get<T = Value>(key: string): Frozen<T> | undefined',
    'peek<T = Value>(key: string): Frozen<T> | undefined',
    'set<T>(key: string, value: T & Storable<T>, options?: SetOptions): this',
    'add<T>(key: string, value: T & Storable<T>, options?: SetOptions): boolean',
    'constructor(options?: CacheOptions)',
    'incr(key: string, by?: number): number',
    'ttl(key: string): number | undefined',
    'listPush<T>(key: string, value: T & Storable<T>, options: ListPushOptions): number',
    'memberAdd(key: string, member: string, options: MemberAddOptions): boolean',
    'keys(): IterableIterator<string>',
    'dump(): Snapshot',
    'load(snapshot: Snapshot): LoadSummary',
    'readonly size: number',
  ]) {
    assert.ok(dts.includes(member), `index.d.ts lacks ${member}`);
  }
  for (const entry of ['node/index.d.mts', 'node/index.d.cts', 'bundler/index.d.ts', 'web/index.d.ts', 'workerd/index.d.ts']) {
    assert.match(fs.readFileSync(path.join(pkgDir, entry), 'utf8'), /export \* from '\.\.\/index\.js'/, entry);
  }
});

it('the declared error codes are exactly the ones the package throws', async () => {
  const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');
  const union = dts.slice(dts.indexOf('export type CacheErrorCode'), dts.indexOf(';', dts.indexOf('export type CacheErrorCode')));
  const declared = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]).sort();
  const require = createRequire(import.meta.url);
  const glue = require(path.join(pkgDir, 'node', 'chatcache_wasm.js'));
  // Every code comes from the engine, except `not_initialized`, which is thrown before it can run.
  const thrown = [...glue.errorCodes().split(','), 'not_initialized'].sort();
  assert.deepEqual(declared, thrown);
});

it('no getrandom or env shims are linked', () => {
  const require = createRequire(import.meta.url);
  const glue = fs.readFileSync(require.resolve('chatcache'), 'utf8');
  assert.doesNotMatch(glue, /getrandom|__wbindgen_placeholder__\.env/);
});
