#!/usr/bin/env node
// `npm test`: the JavaScript tests against the built package in pkg/.
//
// 1. links node_modules/chatcache -> pkg/, so tests import the package by name through its
//    `exports` map, exactly as users do;
// 2. node:test on test/*.test.{mjs,cjs} (API, errors, CJS, package checks, the conformance
//    cases, and the Playwright page test in headless Chromium);
// 3. tsc --noEmit on test/types/usage.ts against the generated declarations.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const wasmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.join(wasmDir, 'pkg');
if (!fs.existsSync(path.join(pkgDir, 'package.json'))) {
  console.error('pkg/ is missing: run `npm run build` first');
  process.exit(1);
}

const link = path.join(wasmDir, 'node_modules', 'chatcache');
fs.rmSync(link, { recursive: true, force: true });
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync(path.relative(path.dirname(link), pkgDir), link, 'dir');

function step(name, command, args) {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: wasmDir, stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`--- ${name}: ${result.status === 0 ? 'ok' : 'FAILED'} in ${seconds} s`);
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const testDir = path.join(wasmDir, 'test');
const files = fs
  .readdirSync(testDir)
  .filter((f) => /\.test\.(mjs|cjs)$/.test(f))
  .sort()
  .map((f) => path.join('test', f));
step('node:test', process.execPath, ['--test', '--test-reporter=spec', ...files]);
step('tsc --noEmit', process.execPath, [
  path.join(wasmDir, 'node_modules', 'typescript', 'bin', 'tsc'),
  '--noEmit',
  '-p',
  path.join('test', 'types'),
]);
