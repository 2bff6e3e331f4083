#!/usr/bin/env node
// Takes demo/screenshot.png (shown in the README): a server on the in-memory cache with a fresh
// database, two pages chatting, one of them typing. Needs the demo binary and wasm/pkg built:
//
//   cargo build -p chatcache-demo && (cd demo && npm ci && node scripts/screenshot.mjs)

import path from 'node:path';

import { openBrowser, openChat, repo, startServer, tempDir } from '../test/harness.mjs';

const out = process.argv[2] || path.join(repo, 'demo', 'screenshot.png');
const temp = tempDir();
const server = await startServer({ db: path.join(temp.dir, 'chat.sqlite3') });
const browser = await openBrowser({ viewport: { width: 1040, height: 600 } });
try {
  const ana = await openChat(browser, server, { room: 'caching', name: 'ana' });
  const ben = await openChat(browser, server, { room: 'caching', name: 'ben' });
  const script = [
    [ana, 'Morning! Is the cache warm yet?'],
    [ben, 'Warm since the first page load: the room history is one list in the cache.'],
    [ana, 'And on reload my browser shows it before the server answers.'],
    [ben, 'That is the npm package: a snapshot in IndexedDB, loaded back on start.'],
    [ana, 'Nice. Two servers on one Redis see the same history, too?'],
  ];
  for (const [page, text] of script) {
    await page.evaluate((t) => window.chatDemo.send(t), text);
  }
  await ana.waitForFunction((n) => window.chatDemo.state().rendered.length === n, script.length);
  await ana.evaluate(() => window.chatDemo.saved());
  await ana.reload(); // the history now comes from the page's own cache
  await ana.evaluate(() => window.chatDemo.ready);
  await ben.locator('#text').pressSequentially('Yes: every push happens under');
  await ana.waitForFunction(() => document.querySelector('#typing').textContent.includes('ben'));
  await ana.waitForFunction(() => document.querySelector('#server-ratio').textContent.includes('%'));
  await ana.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.stop();
  temp.remove();
}
