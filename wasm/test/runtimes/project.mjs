// A consumer's project in a temporary directory, set up the way `npm install chatcache` would
// leave it: the tarball `npm pack` makes of pkg/, unpacked into node_modules/chatcache, and a
// package.json that depends on it. The runtime and bundler tests copy their app files in and
// import the package by name, through its exports map, exactly as users do.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const wasmDir = path.resolve(here, '..', '..');
const pkgDir = path.join(wasmDir, 'pkg');

/** The path of a development tool's binary in wasm/node_modules/.bin. */
export function tool(name) {
  const bin = path.join(wasmDir, 'node_modules', '.bin', name);
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npm ci\` in wasm/`);
  return bin;
}

/**
 * Creates the project and copies `files` (paths relative to test/runtimes/) into its root.
 * Returns its directory; `removeProject(dir)` deletes it.
 */
export function makeProject(name, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chatcache-${name}-`));
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: pkgDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  const installed = path.join(dir, 'node_modules', 'chatcache');
  fs.mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(dir, packed.filename), '-C', installed, '--strip-components=1']);
  const manifest = {
    name: `${name}-app`,
    private: true,
    type: 'module',
    dependencies: { chatcache: `file:./${packed.filename}` },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of files) fs.copyFileSync(path.join(here, file), path.join(dir, path.basename(file)));
  return dir;
}

export function removeProject(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
