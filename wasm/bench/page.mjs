#!/usr/bin/env node
// The rows of bench/suite.js in headless Chromium: the package's `web` build next to
// lru-cache's browser build, on a page served from 127.0.0.1. Not a test.
//
//   npm run build && node bench/page.mjs
//   BENCH_QUICK=1 node bench/page.mjs        (fewer ops and rounds)
//   KEYS=100000 OPS=500000 ROUNDS=5 BENCH_JSON=out.json node bench/page.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchChromium, serveDirectory } from '../test/runtimes/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.BENCH_QUICK === '1';
const settings = new URLSearchParams({
  keys: process.env.KEYS ?? '100000',
  ops: process.env.OPS ?? (quick ? '200000' : '500000'),
  rounds: process.env.ROUNDS ?? (quick ? '3' : '5'),
});
const server = await serveDirectory(root);
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  page.on('console', (message) => console.log(`  ${message.text()}`));
  page.on('pageerror', (error) => console.error(`pageerror: ${error.message}`));
  await page.goto(`${server.origin}/bench/page/${process.env.BENCH_PAGE ?? "index.html"}?${settings}`);
  await page.waitForFunction(() => window.chatcacheReport !== undefined, null, { timeout: 30 * 60_000, polling: 1000 });
  const report = await page.evaluate(() => window.chatcacheReport);
  if (report.error) throw new Error(report.error);
  console.log(report.userAgent);
  console.table(report.rows);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await server.close();
}
