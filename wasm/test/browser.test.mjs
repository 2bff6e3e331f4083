// A real page in headless Chromium: a tiny static server on 127.0.0.1 serves the `web` build
// and test/page/, Playwright (playwright-core driving the system /usr/bin/chromium) opens the
// page, and the test checks what the page reports.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const wasmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};
const ROOTS = { '/pkg/': path.join(wasmDir, 'pkg'), '/page/': path.join(wasmDir, 'test', 'page') };

let server;
let origin;
let context;
let profile;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const prefix = Object.keys(ROOTS).find((p) => url.pathname.startsWith(p));
    const file = prefix && path.resolve(ROOTS[prefix], `.${url.pathname.slice(prefix.length - 1)}`);
    if (!file || !file.startsWith(ROOTS[prefix]) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcache-chromium-'));
  // A fresh profile per run (Playwright takes it as the persistent context's directory).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The page loads from 127.0.0.1 only; no host name is looked up at all.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

it('the web build works in a real page', async () => {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${origin}/page/index.html`);
  await page.waitForFunction(() => window.chatcacheResults !== undefined, null, { timeout: 30_000 });
  const results = await page.evaluate(() => window.chatcacheResults);
  assert.deepEqual(results.failed, []);
  assert.equal(results.passed.length, 20, results.passed.join('\n'));
  assert.deepEqual(problems, []);
  await page.close();
});
