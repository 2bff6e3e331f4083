// A real page in headless Chromium: a tiny static server on 127.0.0.1 serves the `web` build
// and test/page/, Playwright (playwright-core driving the system /usr/bin/chromium) opens the
// page, and the test checks what the page reports.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { launchChromium, serveDirectory } from './runtimes/browser.mjs';

const wasmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let server;
let browser;

before(async () => {
  // wasm/ itself: the page is test/page/, the package it imports is /pkg/web/.
  server = await serveDirectory(wasmDir);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

it('the web build works in a real page', async () => {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.origin}/test/page/index.html`);
  await page.waitForFunction(() => window.chatcacheResults !== undefined, null, { timeout: 30_000 });
  const results = await page.evaluate(() => window.chatcacheResults);
  assert.deepEqual(results.failed, []);
  assert.equal(results.passed.length, 20, results.passed.join('\n'));
  assert.deepEqual(problems, []);
  await page.close();
});
