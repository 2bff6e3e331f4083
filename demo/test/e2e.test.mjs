// The chat demo end to end, in real headless Chromium: two pages in one room, a reload that
// shows the history from the page's own cache before the network answers, and 30 posts sent at
// once from three pages, each kept exactly once (in SQLite, in the server's cache and on every
// page). Run on the in-memory cache with one server, and on a real redis-server with two server
// processes sharing the database and Redis (pages split between them); and once with Redis down
// at start-up, where the page says the server runs on the memory fallback.
//
// Needs `cargo build -p chatcache-demo` and the npm package in wasm/pkg (scripts/test.sh builds
// both). Servers and redis-server run on free loopback ports and are stopped by PID.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { freePort, getJson, openBrowser, openChat, startRedis, startServer, tempDir } from './harness.mjs';

/** The scenarios, against `servers` (one, or two sharing a database and Redis). */
function chatScenarios(setup) {
  let servers;
  let browser;
  let temp;

  before(async () => {
    temp = tempDir();
    servers = await setup(path.join(temp.dir, 'chat.sqlite3'));
    browser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    for (const server of servers ?? []) {
      assert.equal(await server.stop(), 0, `a clean shutdown on SIGTERM\n${server.output()}`);
    }
    temp?.remove();
  });

  const pageFor = (i, room, name) => openChat(browser, servers[i % servers.length], { room, name });
  const texts = (page) => page.locator('#messages li p').allTextContents();

  let ana;
  let ben;

  it('shows a post in one page on the other, with who is online', async () => {
    ana = await pageFor(0, 'general', 'ana');
    ben = await pageFor(1, 'general', 'ben');
    await ana.locator('#text').fill('hello from ana');
    await ana.locator('#text').press('Enter');
    await ben.locator('#messages li p', { hasText: 'hello from ana' }).waitFor();
    await ben.locator('#text').fill('hi ana, ben here');
    await ben.locator('#composer button').click();
    await ana.locator('#messages li p', { hasText: 'hi ana, ben here' }).waitFor();
    assert.deepEqual(await texts(ana), ['hello from ana', 'hi ana, ben here']);
    assert.deepEqual(await texts(ben), ['hello from ana', 'hi ana, ben here']);
    await ana.locator('#online li', { hasText: 'ben' }).waitFor();
    await ben.locator('#online li', { hasText: 'ana' }).waitFor();
    assert.deepEqual([...ana.problems, ...ben.problems], []);
  });

  it('shows the history after a reload from the page cache, before the network answers', async (t) => {
    await ben.waitForFunction(() => window.chatDemo.state().rendered.length === 2);
    await ben.evaluate(() => window.chatDemo.saved());
    // Hold every history request of the reloaded page until the history is on screen.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    let requests = 0;
    await ben.route('**/api/rooms/*/messages*', async (route) => {
      if (route.request().method() === 'GET') {
        requests += 1;
        await held;
      }
      await route.fallback();
    });
    await ben.reload();
    await ben.evaluate(() => window.chatDemo.ready);
    await ben.waitForFunction(() => window.chatDemo.metrics.firstMessage !== null);
    const { metrics, local } = await ben.evaluate(() => ({
      metrics: window.chatDemo.metrics,
      local: window.chatDemo.state().local,
    }));
    assert.deepEqual(await texts(ben), ['hello from ana', 'hi ana, ben here']);
    assert.equal(metrics.firstMessage.source, 'local');
    assert.equal(metrics.firstHistoryResponse, null, 'no history response had arrived');
    assert.ok(requests >= 1, 'the page did ask the server');
    // Two local hits (the room list and the history), no miss: nothing had to wait for the server.
    assert.deepEqual([local.hits, local.misses], [2, 0], JSON.stringify(local));
    t.diagnostic(`warm reload: first message rendered at ${metrics.firstMessage.ms.toFixed(0)} ms (local cache)`);
    release();
    await ben.unroute('**/api/rooms/*/messages*');
    await ben.waitForFunction(() => window.chatDemo.metrics.firstHistoryResponse !== null);
    // New posts still arrive after the reload.
    await ana.evaluate(() => window.chatDemo.send('after the reload'));
    await ben.locator('#messages li p', { hasText: 'after the reload' }).waitFor();
    assert.deepEqual(ben.problems, []);
  });

  it('keeps 30 posts sent at once from three pages, each exactly once', async () => {
    const writers = await Promise.all(['cleo', 'dan', 'eve'].map((name, i) => pageFor(i, 'rust', name)));
    const reader = await pageFor(1, 'rust', 'fay');
    const sent = await Promise.all(
      writers.map((page, w) =>
        page.evaluate(
          (w) => Promise.all(Array.from({ length: 10 }, (_, i) => window.chatDemo.send(`burst ${w}-${i}`))),
          w,
        ),
      ),
    );
    const expected = Array.from({ length: 30 }, (_, n) => `burst ${Math.floor(n / 10)}-${n % 10}`).sort();
    const seqs = sent.flat().map((m) => m.seq);
    assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));

    for (const page of [...writers, reader]) {
      await page.waitForFunction(() => window.chatDemo.state().rendered.length === 30, null, { timeout: 15_000 });
      const { rendered } = await page.evaluate(() => window.chatDemo.state());
      assert.deepEqual(rendered, Array.from({ length: 30 }, (_, i) => i + 1), 'in order, once each');
      assert.deepEqual((await texts(page)).sort(), expected);
      const local = await page.evaluate(() => window.chatDemo.localHistory());
      assert.deepEqual(local.map((m) => m.seq), rendered, "the page's cache holds each once");
      assert.deepEqual(page.problems, []);
    }
    for (const server of servers) {
      const { store, cache } = await getJson(server, '/api/rooms/rust/inspect');
      assert.deepEqual(store.map((m) => m.text).sort(), expected, 'SQLite holds each once');
      const cached = cache.filter((item) => item.kind === 'message');
      assert.deepEqual(cached.map((m) => m.text).sort(), expected, 'the cached list holds each once');
      assert.deepEqual(cached.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 1), 'in order');
    }
  });

  it("reports the servers' figures", async (t) => {
    for (const server of servers) {
      const figures = await getJson(server, '/api/server');
      assert.equal(figures.fallback, false);
      assert.ok(figures.hits > 0 && figures.history.cache > 0, JSON.stringify(figures));
      t.diagnostic(
        `${server.url} ${figures.selection}: hit ratio ${(figures.hitRatio * 100).toFixed(1)} % ` +
          `(${figures.hits} hits, ${figures.misses} misses); history answers: ` +
          `${figures.history.cache} from the cache, ${figures.history.fill} after a fill, ${figures.history.store} from SQLite`,
      );
    }
  });
}

describe('on the in-memory cache, one server', () => {
  chatScenarios(async (db) => [await startServer({ db })]);
});

describe('on Redis, two server processes sharing the database and the cache', () => {
  let redis;
  chatScenarios(async (db) => {
    redis = await startRedis();
    const env = { USE_REDIS: 'true', REDIS_URL: redis.url };
    const servers = await Promise.all([startServer({ db, env }), startServer({ db, env })]);
    for (const server of servers) {
      const figures = await getJson(server, '/api/server');
      assert.equal(figures.backend, 'redis', figures.selection);
    }
    return servers;
  });
  after(async () => redis?.stop()); // after the servers' own `after`
});

describe('with Redis down at start-up', () => {
  it('the page says the server runs on the memory fallback', async () => {
    const temp = tempDir();
    const port = await freePort(); // nothing listens there
    const server = await startServer({
      db: path.join(temp.dir, 'chat.sqlite3'),
      env: { USE_REDIS: 'true', REDIS_URL: `redis://127.0.0.1:${port}/0` },
    });
    const browser = await openBrowser();
    try {
      const page = await openChat(browser, server, { room: 'general', name: 'ana' });
      const banner = page.locator('#banner');
      await banner.waitFor({ state: 'visible' });
      assert.match(await banner.textContent(), /in-memory fallback/);
      assert.equal(await page.locator('#server-backend').textContent(), 'memory (fallback)');
      // The chat works on the fallback.
      await page.evaluate(() => window.chatDemo.send('still here'));
      await page.locator('#messages li p', { hasText: 'still here' }).waitFor();
    } finally {
      await browser.close();
      assert.equal(await server.stop(), 0, server.output());
      temp.remove();
    }
  });
});
