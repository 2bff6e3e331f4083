// The package in Cloudflare's runtime, workerd (the npm package `workerd` ships the binary).
// Two Workers are bundled with esbuild the way wrangler bundles (the `workerd`, `worker` and
// `browser` conditions; `.wasm` imports kept as imports of a module file, here by the `copy`
// loader): one imports `chatcache` through the `workerd` export condition, the other
// `chatcache/workerd` with no condition set. A generated config serves both from one
// `workerd serve` on loopback ports it picks itself (reported on --control-fd); the test fetches
// each twice, checks the JSON, and stops workerd by PID.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';

import * as esbuild from 'esbuild';
import workerdPackage from 'workerd';

import { expected } from './runtimes/scenario.js';
import { makeProject, removeProject } from './runtimes/project.mjs';

const workers = {
  condition: { conditions: ['workerd', 'worker', 'browser'] },
  subpath: { conditions: [] },
};
/** The workerd binary (the package's CommonJS `default` export is its path). */
const workerdBinary = workerdPackage.default;
/** Any date the pinned workerd supports; fixed so that upgrades change nothing silently. */
const COMPATIBILITY_DATE = '2025-09-01';

let project;
let workerd;
let exited;
const ports = {};

before(async () => {
  project = makeProject('workerd', ['scenario.js', 'workerd/handler.js', 'workerd/condition.js', 'workerd/subpath.js']);
  const services = [];
  const sockets = [];
  const definitions = [];
  for (const [name, { conditions }] of Object.entries(workers)) {
    await esbuild.build({
      absWorkingDir: project,
      entryPoints: [`${name}.js`],
      bundle: true,
      format: 'esm',
      conditions,
      loader: { '.wasm': 'copy' },
      assetNames: '[name]',
      outdir: `dist/${name}`,
      logLevel: 'warning',
    });
    const wasm = fs.readdirSync(path.join(project, 'dist', name)).filter((f) => f.endsWith('.wasm'));
    assert.deepEqual(wasm, ['chatcache_wasm_bg.wasm'], `${name}: the bundle's .wasm module`);
    services.push(`(name = "${name}", worker = .${name}Worker)`);
    sockets.push(`(name = "${name}", address = "127.0.0.1:0", http = (), service = "${name}")`);
    definitions.push(`const ${name}Worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/${name}/${name}.js"),
    (name = "chatcache_wasm_bg.wasm", wasm = embed "dist/${name}/chatcache_wasm_bg.wasm"),
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`);
  }
  // The shape of the README's config, with one service and socket per Worker.
  fs.writeFileSync(
    path.join(project, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [${services.join(', ')}],
  sockets = [
    ${sockets.join(',\n    ')},
  ],
);

${definitions.join('\n')}`,
  );

  workerd = spawn(workerdBinary, ['serve', 'config.capnp', '--control-fd=3'], {
    cwd: project,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  exited = new Promise((resolve) => workerd.once('exit', resolve));
  // workerd writes one JSON line per socket once it listens: {"event":"listen","socket":…,"port":…}.
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('workerd did not listen within 30 s')), 30_000);
    workerd.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited with ${code} before listening`));
    });
    let buffered = '';
    workerd.stdio[3].on('data', (chunk) => {
      buffered += chunk;
      for (let end; (end = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(end + 1)) {
        const event = JSON.parse(buffered.slice(0, end));
        if (event.event === 'listen') ports[event.socket] = event.port;
      }
      if (Object.keys(ports).length === Object.keys(workers).length) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
});

after(async () => {
  if (workerd && workerd.exitCode === null && workerd.signalCode === null) {
    process.kill(workerd.pid, 'SIGTERM');
    await exited;
  }
  removeProject(project);
});

for (const name of Object.keys(workers)) {
  it(`${name}: the Worker answers with the scenario's results, and its cache persists`, async () => {
    for (const visit of [1, 2]) {
      const response = await fetch(`http://127.0.0.1:${ports[name]}/visit`);
      assert.equal(response.status, 200, await response.clone().text());
      assert.match(response.headers.get('content-type'), /^application\/json/);
      const body = await response.json();
      assert.deepEqual(body, { path: '/visit', visit, report: expected });
    }
  });
}
