// The package through the bundlers users build apps with — Vite (build and dev server), webpack
// and esbuild, through their Node APIs — one small app per recipe of the README, importing the
// package from a project's node_modules. Each app runs in headless Chromium and must publish
// the scenario's expected report without a page error, console error or warning.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';

import * as esbuild from 'esbuild';
import { build as viteBuild, createServer as viteServer } from 'vite';
import webpack from 'webpack';

import { expected } from './runtimes/scenario.js';
import { openBrowser, serveDirectory } from './runtimes/browser.mjs';
import { makeProject, removeProject } from './runtimes/project.mjs';

/** The Vite config of the README's recipe for `chatcache`: keep it out of dependency pre-bundling. */
const viteDefaultConfig = { optimizeDeps: { exclude: ['chatcache'] } };

/**
 * Each app: how it is built or served, its entry in test/runtimes/bundlers/, and for built apps
 * how many .wasm files the output must hold.
 */
const apps = {
  'vite-build-default': { tool: 'viteBuild', entry: 'default.js', config: viteDefaultConfig, wasmFiles: 1 },
  'vite-build-web': { tool: 'viteBuild', entry: 'web.js', config: {}, wasmFiles: 1 },
  'vite-dev-default': { tool: 'viteDev', entry: 'default.js', config: viteDefaultConfig },
  'vite-dev-web': { tool: 'viteDev', entry: 'web.js', config: {} },
  'webpack-default': { tool: 'webpack', entry: 'default.js', wasmFiles: 1 },
  'webpack-web': { tool: 'webpack', entry: 'web.js', wasmFiles: 1 },
  'esbuild-file': { tool: 'esbuild', entry: 'web-file.js', loader: 'file', wasmFiles: 1 },
  'esbuild-binary': { tool: 'esbuild', entry: 'web-binary.js', loader: 'binary', wasmFiles: 0 },
};

/** Each tool builds `appDir` into `outDir` and resolves to the app's URL, or serves it. */
const tools = {
  async viteBuild(appDir, outDir, { config }) {
    fs.writeFileSync(path.join(appDir, 'index.html'), page('<script type="module" src="./app.js"></script>'));
    await viteBuild({
      ...config,
      root: appDir,
      base: './',
      configFile: false,
      logLevel: 'warn',
      cacheDir: path.join(appDir, '.vite'),
      build: { outDir, emptyOutDir: true },
    });
    return `${files.origin}/${path.basename(outDir)}/index.html`;
  },
  async viteDev(appDir, _outDir, { config }) {
    fs.writeFileSync(path.join(appDir, 'index.html'), page('<script type="module" src="./app.js"></script>'));
    const server = await viteServer({
      ...config,
      root: appDir,
      configFile: false,
      logLevel: 'warn',
      cacheDir: path.join(appDir, '.vite'),
      server: { host: '127.0.0.1', port: 0, hmr: false },
    });
    await server.listen();
    devServers.push(server);
    return server.resolvedUrls.local[0];
  },
  async webpack(appDir, outDir) {
    const stats = await new Promise((resolve, reject) =>
      webpack(
        {
          mode: 'production',
          context: appDir,
          entry: './app.js',
          output: { path: outDir, filename: 'app.js', clean: true },
          // Needed for the bundler build's `import * as wasm from './…_bg.wasm'` (webpack 5).
          experiments: { asyncWebAssembly: true },
          performance: { hints: false },
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      ),
    );
    assert.ok(!stats.hasErrors() && !stats.hasWarnings(), stats.toString('errors-warnings'));
    fs.writeFileSync(path.join(outDir, 'index.html'), page('<script defer src="./app.js"></script>'));
    return `${files.origin}/${path.basename(outDir)}/index.html`;
  },
  async esbuild(appDir, outDir, { loader }) {
    const result = await esbuild.build({
      absWorkingDir: appDir,
      entryPoints: ['app.js'],
      bundle: true,
      format: 'esm',
      loader: { '.wasm': loader },
      outdir: outDir,
      logLevel: 'warning',
    });
    assert.deepEqual([...result.errors, ...result.warnings], []);
    fs.writeFileSync(path.join(outDir, 'index.html'), page('<script type="module" src="./app.js"></script>'));
    return `${files.origin}/${path.basename(outDir)}/index.html`;
  },
};

/** The app's page; an error that stops the app is published as its report, so tests fail fast. */
function page(script) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <link rel="icon" href="data:," />
    <script>
      addEventListener('error', (event) => (window.chatcacheReport ??= { error: String(event.message) }));
      addEventListener('unhandledrejection', (event) => (window.chatcacheReport ??= { error: String(event.reason) }));
    </script>
    ${script}
  </head>
  <body></body>
</html>
`;
}

let project;
let files;
let browser;
const devServers = [];

before(async () => {
  project = makeProject('bundlers', ['scenario.js']);
  fs.mkdirSync(path.join(project, 'dist'));
  files = await serveDirectory(path.join(project, 'dist'));
  browser = await openBrowser();
});

after(async () => {
  await Promise.all(devServers.map((server) => server.close()));
  await browser?.close();
  await files?.close();
  removeProject(project);
});

for (const [name, app] of Object.entries(apps)) {
  it(`${name}: runs in Chromium`, async () => {
    const appDir = path.join(project, name);
    const outDir = path.join(project, 'dist', name);
    fs.mkdirSync(appDir);
    fs.copyFileSync(path.join(project, 'scenario.js'), path.join(appDir, 'scenario.js'));
    fs.copyFileSync(new URL(`./runtimes/bundlers/${app.entry}`, import.meta.url), path.join(appDir, 'app.js'));
    const url = await tools[app.tool](appDir, outDir, app);

    if (app.wasmFiles !== undefined) {
      const emitted = fs.readdirSync(outDir, { recursive: true }).filter((file) => file.endsWith('.wasm'));
      assert.equal(emitted.length, app.wasmFiles, `emitted .wasm files: ${emitted.join(', ')}`);
    }
    const { report, error, problems } = await browser.report(url);
    assert.equal(error, undefined);
    assert.deepEqual(report, expected);
    assert.deepEqual(problems, []);
  });
}
