// Headless Chromium for the page, bundler and benchmark runs: Playwright (playwright-core driving the system
// /usr/bin/chromium, no browser download) with a fresh profile, and a static server on
// 127.0.0.1 for built apps. `report(url)` opens a page and returns what it published on
// `window.chatcacheReport`, with every page error, console error and warning it saw.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Serves the files under `root` on a free loopback port; returns its origin and `close()`. */
export async function serveDirectory(root) {
  const server = http.createServer((request, response) => {
    const { pathname } = new URL(request.url, 'http://127.0.0.1');
    const file = path.join(root, path.normalize(decodeURIComponent(pathname)));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Launches headless Chromium on a fresh profile that only reaches 127.0.0.1; returns the
 * Playwright context and `close()`, which also removes the profile.
 */
export async function launchChromium() {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcache-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
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
      // The pages load from 127.0.0.1 only; no host name is looked up at all.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Starts Chromium for `report(url)`; call `close()` when done. */
export async function openBrowser() {
  const { context, close } = await launchChromium();
  return {
    async report(url) {
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
      });
      try {
        await page.goto(url);
        await page.waitForFunction(() => window.chatcacheReport !== undefined, null, { timeout: 30_000 });
        return { ...(await page.evaluate(() => window.chatcacheReport)), problems };
      } catch (error) {
        throw new Error(`${url}: ${error.message}\n${problems.join('\n')}`, { cause: error });
      } finally {
        await page.close();
      }
    },
    close,
  };
}
