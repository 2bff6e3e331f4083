#!/usr/bin/env node
// Builds the publishable npm package into wasm/pkg/:
//
//   pkg/package.json   exports by environment (scripts/package.mjs): workerd, deno, node (CJS +
//                      ESM), bundlers (default), ./web (explicit init), ./web/wasm, ./workerd
//   pkg/lib/           the hand-written Cache class (js/cache.js, js/values.js) and a CommonJS
//                      bundle of it (cache.cjs), bound by each entry to its wasm-bindgen glue
//   pkg/index.d.ts     declarations of the class (entries/index.d.ts), shared by every entry
//   pkg/node/          wasm-bindgen --target nodejs (CommonJS) + index.cjs / index.mjs entries
//   pkg/web/           wasm-bindgen --target web (ESM, `await init()`) + index.js, wasm.d.ts
//   pkg/bundler/       wasm-bindgen --target bundler (ESM importing the .wasm) + index.js
//   pkg/workerd/       entries/workerd/: the web build, initialised from a compiled .wasm
//   pkg/README.md      the package README (wasm/README.md)
//
// Steps: cargo build (the `wasm` profile, wasm32-unknown-unknown), wasm-bindgen per target,
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

// 1. Compile, with the workspace's `wasm` profile (Cargo.toml: opt-level 3, LTO, one
// codegen unit, abort on panic, no debug info).
const profile = 'wasm';
run(
  'cargo',
  ['build', '-p', 'chatcache-wasm', '--target', 'wasm32-unknown-unknown', '--profile', profile],
  { cwd: wasmDir, stdio: ['ignore', 'inherit', 'inherit'] },
);
const input = path.join(metadata.target_directory, 'wasm32-unknown-unknown', profile, `${crateName}.wasm`);

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
  optimize(wasmFile);
  const bytes = fs.readFileSync(wasmFile);
  checkImports(bytes, wasmFile);
  sizes[dir] = { raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
}

// 3. The hand-written class (js/), which every entry binds to its own glue: as ES modules in
// pkg/lib/, and bundled by esbuild into one CommonJS file for Node's `require` (no generated
// code is edited).
const libDir = path.join(pkgDir, 'lib');
fs.mkdirSync(libDir, { recursive: true });
for (const file of ['cache.js', 'values.js']) {
  fs.copyFileSync(path.join(wasmDir, 'js', file), path.join(libDir, file));
}
const esbuild = path.join(wasmDir, 'node_modules', '.bin', 'esbuild');
if (!fs.existsSync(esbuild)) throw new Error('esbuild missing: run `npm ci` in wasm/ first');
run(esbuild, [
  path.join(wasmDir, 'js', 'cache.js'),
  '--bundle',
  '--format=cjs',
  '--platform=neutral',
  '--target=es2022',
  `--outfile=${path.join(libDir, 'cache.cjs')}`,
  '--log-level=warning',
]);
// The nodejs target is CommonJS inside a `"type": "module"` package.
fs.writeFileSync(path.join(pkgDir, 'node', 'package.json'), '{ "type": "commonjs" }\n');

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

/**
 * Runs `wasm-opt -Oz` until the module stops shrinking (a pass can enable more of the next;
 * two or three passes converge), keeping the smallest output.
 */
function optimize(file) {
  let size = fs.statSync(file).size;
  for (let pass = 0; pass < 6; pass++) {
    const out = `${file}.opt`;
    run(wasmOpt, [
      '-Oz',
      '--strip-debug',
      '--strip-producers',
      '--enable-bulk-memory',
      '--enable-mutable-globals',
      '--enable-nontrapping-float-to-int',
      '--enable-sign-ext',
      '--enable-reference-types',
      '--enable-multivalue',
      file,
      '-o',
      out,
    ]);
    const next = fs.statSync(out).size;
    if (next >= size) {
      fs.rmSync(out);
      break;
    }
    fs.renameSync(out, file);
    size = next;
  }
}

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
