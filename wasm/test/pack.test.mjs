// The package as npm would publish it: `npm pack` pkg/, install the tarball into an empty
// project in a temporary directory (no registry needed: the package has no dependencies),
// and import it there with both module systems.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pkg');
let project;
let files;

before(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcache-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', project], {
      cwd: pkgDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  )[0];
  files = packed.files.map((file) => file.path);
  const installed = path.join(project, 'node_modules', 'chatcache');
  fs.mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(project, packed.filename), '-C', installed, '--strip-components=1']);
  fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
});

after(() => {
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

it('the tarball holds every build, the class, the entries and the README, and nothing else', () => {
  for (const build of ['node', 'web', 'bundler']) {
    assert.ok(files.includes(`${build}/chatcache_wasm.js`), `${build} glue`);
    assert.ok(files.includes(`${build}/chatcache_wasm_bg.wasm`), `${build} wasm`);
    assert.ok(!files.some((f) => f.startsWith(`${build}/snippets/`)), `${build} has no snippets`);
  }
  for (const file of [
    'index.d.ts',
    'lib/cache.js',
    'lib/values.js',
    'lib/cache.cjs',
    'node/index.cjs',
    'node/index.mjs',
    'node/index.d.mts',
    'node/index.d.cts',
    'node/package.json',
    'web/index.js',
    'web/index.d.ts',
    'web/wasm.d.ts',
    'bundler/index.js',
    'bundler/index.d.ts',
    'workerd/index.js',
    'workerd/index.d.ts',
    'README.md',
    'package.json',
  ]) {
    assert.ok(files.includes(file), file);
  }
  assert.deepEqual(
    files.filter((f) => !/^(lib|node|web|bundler|workerd)\//.test(f) && !['README.md', 'package.json', 'index.d.ts'].includes(f)),
    [],
  );
});

it('an installed copy works from ESM and CommonJS', () => {
  const run = (args) => execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8' }).trim();
  const esm = run([
    '--input-type=module',
    '-e',
    "import { Cache } from 'chatcache'; const c = new Cache(); c.set('k', { v: 1 }); console.log(JSON.stringify(c.get('k')));",
  ]);
  assert.equal(esm, '{"v":1}');
  const cjs = run([
    '-e',
    "const { Cache } = require('chatcache'); const c = new Cache(); c.set('k', 'v'); console.log(c.get('k'), require.resolve('chatcache'));",
  ]);
  assert.match(cjs, /^v .*node_modules[\\/]chatcache[\\/]node[\\/]index\.cjs$/);
});
