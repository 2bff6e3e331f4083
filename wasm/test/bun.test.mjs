// The package in Bun (the npm package `bun` ships the binary), installed in a project's
// node_modules: `import`/`require` of `chatcache` (the Node entry points) and `chatcache/web`.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, it } from 'node:test';

import { expected } from './runtimes/scenario.js';
import { makeProject, removeProject, tool } from './runtimes/project.mjs';

let project;

before(() => {
  project = makeProject('bun', ['scenario.js', 'bun/main.mjs', 'bun/web.mjs']);
});

after(() => removeProject(project));

function bun(file) {
  const output = execFileSync(tool('bun'), ['--no-install', file], {
    cwd: project,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return JSON.parse(output);
}

it('import and require of chatcache give one working Cache', () => {
  const result = bun('main.mjs');
  assert.deepEqual(result.report, expected);
  assert.equal(result.sameModule, true);
});

it('chatcache/web works after await init()', () => {
  assert.deepEqual(bun('web.mjs').report, expected);
});
