#!/usr/bin/env node
// Page-load time with a cold and a warm local cache: the time from navigation start to the
// first rendered message (performance.now() when it is on screen), in a room of 50 messages.
//
//   cold: a fresh browser profile — no HTTP cache, nothing in IndexedDB: the history comes
//         from the server;
//   emptied: IndexedDB deleted but the HTTP cache kept — what the local cache alone saves;
//   warm: the same page reloaded — the history comes from the page's chatcache, restored
//         from IndexedDB, before the server answers.
//
// Each run starts a new Chromium. Prints the median, min and max of each, and the server's hit
// ratio at the end. Needs the demo binary and wasm/pkg built (see scripts/screenshot.mjs).
//
//   node scripts/measure.mjs [runs=7]

import path from 'node:path';

import { getJson, openBrowser, openChat, startServer, tempDir } from '../test/harness.mjs';

const runs = Number(process.argv[2] || 7);
const temp = tempDir();
const server = await startServer({ db: path.join(temp.dir, 'chat.sqlite3') });
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `median ${median.toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)})`;
};
try {
  for (let i = 0; i < 50; i++) {
    const response = await fetch(new URL('/api/rooms/general/messages', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author: `user${i % 10}`, text: `message ${i}: ${'lorem ipsum '.repeat(4)}` }),
    });
    if (response.status !== 201) throw new Error(`seeding: ${response.status} ${await response.text()}`);
  }
  const cold = [];
  const warm = [];
  const emptied = [];
  for (let run = 0; run < runs; run++) {
    const browser = await openBrowser();
    try {
      const page = await openChat(browser, server, { room: 'general', name: 'measure' });
      const first = () =>
        page.waitForFunction(() => window.chatDemo.metrics.firstMessage).then((h) => h.jsonValue());
      const coldFirst = await first();
      if (coldFirst.source !== 'network') throw new Error(`cold run came from ${coldFirst.source}`);
      cold.push(coldFirst.ms);
      await page.waitForFunction(() => window.chatDemo.state().rendered.length === 50);
      await page.evaluate(() => window.chatDemo.saved());
      await page.reload();
      const warmFirst = await first();
      if (warmFirst.source !== 'local') throw new Error(`warm run came from ${warmFirst.source}`);
      warm.push(warmFirst.ms);
      // Empty the local cache but keep the HTTP cache: the same page, IndexedDB deleted.
      await page.close();
      const blank = await browser.context.newPage();
      await blank.goto(new URL('/api/server', server.url).href);
      await blank.evaluate(
        () =>
          new Promise((resolve, reject) => {
            const request = indexedDB.deleteDatabase('chatcache-demo');
            request.onsuccess = resolve;
            request.onerror = () => reject(request.error);
            request.onblocked = () => reject(new Error('blocked'));
          }),
      );
      await blank.close();
      const again = await openChat(browser, server, { room: 'general', name: 'measure' });
      const againFirst = await again
        .waitForFunction(() => window.chatDemo.metrics.firstMessage)
        .then((h) => h.jsonValue());
      if (againFirst.source !== 'network') throw new Error(`emptied run came from ${againFirst.source}`);
      emptied.push(againFirst.ms);
    } finally {
      await browser.close();
    }
  }
  const figures = await getJson(server, '/api/server');
  console.log(`${runs} runs, first of 50 messages on screen after navigation start:`);
  console.log(`  cold local cache (fresh profile, from the server):      ${summary(cold)}`);
  console.log(`  cold local cache (IndexedDB emptied, HTTP cache warm): ${summary(emptied)}`);
  console.log(`  warm local cache (reload, from IndexedDB):              ${summary(warm)}`);
  console.log(
    `server (${figures.selection}): hit ratio ${(figures.hitRatio * 100).toFixed(1)} % ` +
      `(${figures.hits} hits, ${figures.misses} misses)`,
  );
} finally {
  await server.stop();
  temp.remove();
}
