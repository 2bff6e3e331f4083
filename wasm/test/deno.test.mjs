// The package in Deno (the npm package `deno` ships the binary): a project with the package
// installed in node_modules and `"nodeModulesDir": "manual"`, as `npm install` + Deno leave it.
// `npm:chatcache` resolves the `deno` export condition (the bundler build, whose .wasm Deno
// imports as an ES module), so it runs — and type-checks — without any permission.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';

import { expected } from './runtimes/scenario.js';
import { makeProject, removeProject, tool } from './runtimes/project.mjs';

let project;

before(() => {
  project = makeProject('deno', ['scenario.js', 'deno/main.ts', 'deno/web.mjs']);
  fs.writeFileSync(path.join(project, 'deno.json'), '{ "nodeModulesDir": "manual" }\n');
});

after(() => removeProject(project));

function deno(...args) {
  const output = execFileSync(tool('deno'), ['run', '--no-prompt', ...args], {
    cwd: project,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DENO_DIR: path.join(project, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  });
  return JSON.parse(output);
}

it('npm:chatcache type-checks and works with no permissions', () => {
  const result = deno('--check', 'main.ts');
  assert.deepEqual(result.report, expected);
  assert.deepEqual(result.user, { name: 'Ada' });
  assert.equal(result.hits, 1);
  assert.equal(result.sameModule, true, 'npm:chatcache and the bare name are one module');
});

it('npm:chatcache/web works after await init() with --allow-read', () => {
  const result = deno(`--allow-read=${path.join(project, 'node_modules', 'chatcache')}`, 'web.mjs');
  assert.deepEqual(result.report, expected);
});
