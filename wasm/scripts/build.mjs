#!/usr/bin/env node
// Builds the publishable npm package into wasm/pkg/:
//
//   pkg/package.json   exports by environment (scripts/package.mjs): workerd, deno, node (CJS +
//                      ESM), bundlers (default), ./web (explicit init), ./web/wasm, ./workerd
//   pkg/node/          wasm-bindgen --target nodejs (CommonJS) + index.mjs (ESM wrapper)
//   pkg/web/           wasm-bindgen --target web (ESM, `await init()`) + wasm.d.ts
//   pkg/bundler/       wasm-bindgen --target bundler (ESM importing the .wasm)
//   pkg/workerd/       entries/workerd/: the web build, initialised from a compiled .wasm
//   pkg/README.md      the package README (wasm/README.md)
//
// Steps: cargo build (release, wasm32-unknown-unknown, with LTO), wasm-bindgen per target,
// wasm-opt from the npm `binaryen` package (Debian's binaryen breaks the output), then checks:
// no import from the `env` namespace, and the gzipped .wasm within the size budget.
//
// Usage: node scripts/build.mjs   (or `npm run build`)
// Env:   CARGO_TARGET_DIR is honoured; WASM_BINDGEN overrides the wasm-bindgen binary.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { GZIP_BUDGET } from './budget.mjs';
import { writePackage } from './package.mjs';

const wasmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.join(wasmDir, 'pkg');
const crateName = 'chatcache_wasm';

function run(command, args, options = {}) {
  console.error(`$ ${command} ${args.join(' ')}`);
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

const metadata = JSON.parse(
  run('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: wasmDir }).toString(),
);
const crate = metadata.packages.find((p) => p.name === 'chatcache-wasm');
if (!crate) throw new Error('chatcache-wasm is not in the workspace metadata');

function wasmBindgenVersion() {
  const lock = fs.readFileSync(path.join(wasmDir, '..', 'Cargo.lock'), 'utf8');
  const match = lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!match) throw new Error('wasm-bindgen not found in Cargo.lock');
  return match[1];
}

// 1. Compile. Size and speed settings that the workspace's release profile does not set
// (it keeps debug info for the native benches) are passed for this build only.
const releaseEnv = {
  ...process.env,
  CARGO_PROFILE_RELEASE_LTO: 'true',
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '1',
  CARGO_PROFILE_RELEASE_DEBUG: '0',
  CARGO_PROFILE_RELEASE_OPT_LEVEL: '3',
};
run(
  'cargo',
  ['build', '-p', 'chatcache-wasm', '--target', 'wasm32-unknown-unknown', '--release'],
  { cwd: wasmDir, env: releaseEnv, stdio: ['ignore', 'inherit', 'inherit'] },
);
const input = path.join(metadata.target_directory, 'wasm32-unknown-unknown', 'release', `${crateName}.wasm`);

// 2. The CLI must match the crate exactly, or the generated glue does not fit the module.
const wasmBindgen = process.env.WASM_BINDGEN || 'wasm-bindgen';
const cliVersion = run(wasmBindgen, ['--version']).toString().trim().split(/\s+/)[1];
const crateBindgen = wasmBindgenVersion();
if (cliVersion !== crateBindgen) {
  throw new Error(
    `wasm-bindgen CLI ${cliVersion} does not match the crate ${crateBindgen}; ` +
      `run: cargo install wasm-bindgen-cli --version ${crateBindgen}`,
  );
}

fs.rmSync(pkgDir, { recursive: true, force: true });
fs.mkdirSync(pkgDir, { recursive: true });

const wasmOpt = path.join(wasmDir, 'node_modules', '.bin', 'wasm-opt');
if (!fs.existsSync(wasmOpt)) throw new Error('wasm-opt missing: run `npm ci` in wasm/ first');

const targets = [
  { target: 'nodejs', dir: 'node' },
  { target: 'web', dir: 'web' },
  { target: 'bundler', dir: 'bundler' },
];
const sizes = {};
for (const { target, dir } of targets) {
  const outDir = path.join(pkgDir, dir);
  run(wasmBindgen, ['--target', target, '--out-dir', outDir, '--out-name', crateName, input]);
  const wasmFile = path.join(outDir, `${crateName}_bg.wasm`);
  run(wasmOpt, [
    '-O3',
    '--enable-bulk-memory',
    '--enable-mutable-globals',
    '--enable-nontrapping-float-to-int',
    '--enable-sign-ext',
    '--enable-reference-types',
    '--enable-multivalue',
    wasmFile,
    '-o',
    wasmFile,
  ]);
  const bytes = fs.readFileSync(wasmFile);
  checkImports(bytes, wasmFile);
  sizes[dir] = { raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
}

// 3. Install the JavaScript wrappers of the hot methods (`installFastPaths` in js/values.js):
// one line appended to the file that defines the class in each target, importing the
// snippet that file already imports.
const classFiles = { node: `${crateName}.js`, web: `${crateName}.js`, bundler: `${crateName}_bg.js` };
for (const { dir } of targets) {
  const file = path.join(pkgDir, dir, classFiles[dir]);
  const glue = fs.readFileSync(file, 'utf8');
  const snippet = glue.match(/["'`](\.\/snippets\/[^"'`]+\/js\/values\.js)["'`]/);
  if (!snippet || !/^(export )?class Cache \{/m.test(glue) || !glue.includes('__fastGet(')) {
    throw new Error(`${file}: expected class Cache with __fastGet and an import of js/values.js`);
  }
  const install =
    dir === 'node'
      ? `require(${JSON.stringify(snippet[1])}).installFastPaths(Cache);\n`
      : `import { installFastPaths as __chatcacheInstallFastPaths } from ${JSON.stringify(snippet[1])};\n` +
        `__chatcacheInstallFastPaths(Cache);\n`;
  fs.writeFileSync(file, `${glue}\n${install}`);
}

// 4. Node: the nodejs target is CommonJS, but wasm-bindgen copies our JS snippet as written
// (an ES module). Rewrite the snippet's `export function` declarations into CommonJS exports.
for (const file of walk(path.join(pkgDir, 'node', 'snippets'))) {
  if (!file.endsWith('.js')) continue;
  const source = fs.readFileSync(file, 'utf8');
  const names = [...source.matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
  if (names.length === 0 || /^\s*(import|export)\s(?!function)/m.test(source)) {
    throw new Error(`${file}: expected a snippet made only of \`export function\` declarations`);
  }
  const cjs =
    source.replace(/^export function /gm, 'function ') +
    `\nmodule.exports = { ${names.join(', ')} };\n`;
  fs.writeFileSync(file, cjs);
}
fs.writeFileSync(path.join(pkgDir, 'node', 'package.json'), '{ "type": "commonjs" }\n');
// ESM for Node re-exports the CommonJS build, so `import` and `require` share one instance
// (no dual-package hazard: one module, one memory, `instanceof Cache` agrees).
fs.writeFileSync(
  path.join(pkgDir, 'node', 'index.mjs'),
  `import cjs from './${crateName}.js';\n\nexport const Cache = cjs.Cache;\n`,
);
fs.writeFileSync(
  path.join(pkgDir, 'node', 'index.d.mts'),
  `export * from './${crateName}.js';\n`,
);

// 5. The hand-written entry points (entries/), package.json and README (scripts/package.mjs).
writePackage({ wasmDir, pkgDir, crate, crateName });
// wasm-bindgen writes a .gitignore into each output directory; the package needs none.
for (const { dir } of targets) fs.rmSync(path.join(pkgDir, dir, '.gitignore'), { force: true });

for (const [dir, { raw, gzip }] of Object.entries(sizes)) {
  console.error(`pkg/${dir}/${crateName}_bg.wasm: ${raw} bytes raw, ${gzip} bytes gzipped`);
  if (gzip > GZIP_BUDGET) {
    throw new Error(`pkg/${dir}: gzipped .wasm is ${gzip} bytes, over the ${GZIP_BUDGET} budget`);
  }
}
fs.writeFileSync(path.join(pkgDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);

/** Fails if the module imports anything from `env` (a sign of an unresolved native symbol). */
function checkImports(bytes, file) {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  const env = imports.filter((i) => i.module === 'env');
  if (env.length > 0) {
    throw new Error(`${file} imports from env: ${env.map((i) => i.name).join(', ')}`);
  }
}

function* walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}
