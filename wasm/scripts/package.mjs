// The npm package's manifest and hand-written entry points (step 5 of build.mjs).
//
// `entries/` is laid over `pkg/` as it is (`entries/workerd/index.js` becomes
// `pkg/workerd/index.js`), then package.json names every entry point by environment:
//
//   chatcache            workerd → workerd/ (the web build, initialised from a compiled .wasm)
//                        deno    → bundler/ (Deno imports .wasm as ES modules, no permissions)
//                        node    → node/ (ESM wrapper and CommonJS glue: one instance)
//                        default → bundler/ (webpack, Vite, any bundler with .wasm ES modules)
//   chatcache/web        web/ (`await init()` first)
//   chatcache/web/wasm   the web build's .wasm file, for bundlers that emit or inline it
//   chatcache/workerd    workerd/, for tools that do not set the `workerd` condition

import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `entries/`, package.json and the README into `pkgDir`, after the builds.
 * Fails if a hand-written entry imports a file that is not in the package.
 */
export function writePackage({ wasmDir, pkgDir, crate, crateName }) {
  const entriesDir = path.join(wasmDir, 'entries');
  fs.cpSync(entriesDir, pkgDir, { recursive: true });
  for (const file of walk(entriesDir)) checkRelativeImports(path.join(pkgDir, path.relative(entriesDir, file)));

  const bundler = { types: './bundler/index.d.ts', default: './bundler/index.js' };
  const workerd = { types: './workerd/index.d.ts', default: './workerd/index.js' };
  const manifest = {
    name: 'chatcache',
    version: crate.version,
    description:
      'A cache for chat apps in browsers, edge runtimes and Node: capped lists for room history, expiring member sets for presence, byte budgets, TTLs, scan-resistant S3-FIFO eviction, snapshots. The policy of the chatcache server, in WebAssembly; values stay JavaScript values.',
    license: crate.license,
    repository: crate.repository,
    keywords: ['cache', 'lru', 's3-fifo', 'ttl', 'wasm', 'chat'],
    type: 'module',
    main: './node/index.cjs',
    types: './node/index.d.cts',
    exports: {
      '.': {
        workerd,
        deno: bundler,
        node: {
          import: { types: './node/index.d.mts', default: './node/index.mjs' },
          require: { types: './node/index.d.cts', default: './node/index.cjs' },
        },
        ...bundler,
      },
      './web': { types: './web/index.d.ts', default: './web/index.js' },
      './web/wasm': { types: './web/wasm.d.ts', default: `./web/${crateName}_bg.wasm` },
      './workerd': workerd,
      './package.json': './package.json',
    },
    files: ['index.d.ts', 'lib/', 'node/', 'web/', 'bundler/', 'workerd/', 'README.md'],
    sideEffects: [`./bundler/${crateName}.js`, './bundler/index.js', './workerd/index.js'],
    engines: { node: '>=20' },
  };
  fs.writeFileSync(path.join(pkgDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.copyFileSync(path.join(wasmDir, 'README.md'), path.join(pkgDir, 'README.md'));
}

/** Fails unless every relative `import`/`export … from` of `file` names a file that exists. */
function checkRelativeImports(file) {
  const source = fs.readFileSync(file, 'utf8');
  for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = path.resolve(path.dirname(file), specifier);
    // A declaration file names the module (`../index.js`); its types are `../index.d.ts`.
    const declared = /\.d\.[cm]?ts$/.test(file) && fs.existsSync(target.replace(/\.([cm]?)js$/, '.d.$1ts'));
    if (!fs.existsSync(target) && !declared) {
      throw new Error(`${file} imports ${specifier}, which the package does not have`);
    }
  }
}

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}
