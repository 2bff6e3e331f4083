// The npm package's manifest (step 5 of build.mjs): package.json, which names every entry
// point by environment, and the README.
//
//   chatcache            node    → node/ (ESM wrapper and CommonJS glue: one instance)
//                        default → bundler/ (webpack, Vite, any bundler with .wasm ES modules)
//   chatcache/web        web/ (`await init()` first)
//   chatcache/web/wasm   the web build's .wasm file

import fs from 'node:fs';
import path from 'node:path';

/** Writes package.json and the README into `pkgDir`, after the builds. */
export function writePackage({ wasmDir, pkgDir, crate, crateName }) {
  const manifest = {
    name: 'chatcache',
    version: crate.version,
    description:
      'A cache for chat apps in browsers, edge runtimes and Node: byte budgets, TTLs, scan-resistant S3-FIFO eviction, snapshots. The same core as the chatcache server, in WebAssembly.',
    license: crate.license,
    repository: crate.repository,
    keywords: ['cache', 'lru', 's3-fifo', 'ttl', 'wasm', 'chat'],
    type: 'module',
    main: `./node/${crateName}.js`,
    types: `./node/${crateName}.d.ts`,
    exports: {
      '.': {
        node: {
          import: { types: './node/index.d.mts', default: './node/index.mjs' },
          require: { types: `./node/${crateName}.d.ts`, default: `./node/${crateName}.js` },
        },
        types: `./bundler/${crateName}.d.ts`,
        default: `./bundler/${crateName}.js`,
      },
      './web': { types: `./web/${crateName}.d.ts`, default: `./web/${crateName}.js` },
      './web/wasm': `./web/${crateName}_bg.wasm`,
      './package.json': './package.json',
    },
    files: ['node/', 'web/', 'bundler/', 'README.md'],
    sideEffects: [`./bundler/${crateName}.js`, './bundler/snippets/*'],
    engines: { node: '>=20' },
  };
  fs.writeFileSync(path.join(pkgDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.copyFileSync(path.join(wasmDir, 'README.md'), path.join(pkgDir, 'README.md'));
}
