// Runs in Chromium: imports the `web` build of the package, exercises the cache, and
// publishes what it checked on `window.chatcacheResults` for the Playwright test to read.

import init, { Cache } from '/pkg/web/index.js';

const results = { passed: [], failed: [] };

function check(name, condition, detail = '') {
  (condition ? results.passed : results.failed).push(detail ? `${name}: ${detail}` : name);
}

function thrown(fn) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function equalJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Stores `value` under `key` in a fresh IndexedDB database and reads it back. */
async function throughIndexedDb(value) {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(`chatcache-test-${Date.now()}`, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('snapshots');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = (mode) => db.transaction('snapshots', mode).objectStore('snapshots');
  await new Promise((resolve, reject) => {
    const request = tx('readwrite').put(value, 'cache');
    request.onsuccess = resolve;
    request.onerror = () => reject(request.error);
  });
  const stored = await new Promise((resolve, reject) => {
    const request = tx('readonly').get('cache');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return stored;
}

async function run() {
  await init();

  let now = 1_000;
  const cache = new Cache({ maxEntries: 100, maxBytes: 64 * 1024, now: () => now });

  cache.set('room:1:title', 'général 🦀');
  cache.set('user:7', { name: 'Ada', tags: ['admin'], online: true });
  cache.set('avatar:7', new Uint8Array([137, 80, 78, 71]));
  check('string round trip', cache.get('room:1:title') === 'général 🦀');
  check('json round trip', equalJson(cache.get('user:7'), { name: 'Ada', tags: ['admin'], online: true }));
  const avatar = cache.get('avatar:7');
  check('bytes round trip', avatar instanceof Uint8Array && equalJson([...avatar], [137, 80, 78, 71]));
  check('missing is undefined', cache.get('nope') === undefined);
  const utf8 = (text) => new TextEncoder().encode(text).length;
  check('bytes counted', cache.bytes === (12 + utf8('général 🦀') + 48) + (6 + '{"name":"Ada","tags":["admin"],"online":true}'.length + 1 + 48) + (8 + 5 + 48), String(cache.bytes));

  cache.set('typing:alice', '1', { ttl: 3_000 });
  check('ttl reported', cache.ttl('typing:alice') === 3_000);
  now += 3_000;
  check('expired at the deadline', cache.has('typing:alice') === false);
  check('no expiry is Infinity', cache.ttl('room:1:title') === Infinity);

  check('incr', cache.incr('unread') === 1 && cache.incr('unread', 4) === 5 && cache.get('unread') === '5');

  const empty = thrown(() => cache.set('', 'x'));
  check('empty key is a RangeError with a code', empty instanceof RangeError && empty.code === 'empty_key', String(empty));
  const wrongType = thrown(() => cache.get(7));
  check('non-string key is a TypeError', wrongType instanceof TypeError && wrongType.code === 'invalid_type');
  const badTtl = thrown(() => cache.set('k', 'v', { ttl: NaN }));
  check('NaN ttl is a RangeError', badTtl instanceof RangeError && /options\.ttl/.test(badTtl.message));
  const badValue = thrown(() => cache.set('k', new Map()));
  check('a Map is refused', badValue instanceof TypeError && badValue.code === 'invalid_value');

  for (let i = 0; i < 1_000; i++) cache.set(`scan:${i}`, 'x'.repeat(i % 50));
  check('limits hold', cache.size <= 100 && cache.bytes <= 64 * 1024, `${cache.size} entries, ${cache.bytes} bytes`);

  // Snapshot -> IndexedDB -> a new cache, 1 s later on the same clock.
  cache.set('soon', 'gone', { ttl: 500 });
  cache.set('later', 'kept', { ttl: 5_000 });
  const stored = await throughIndexedDb(cache.dump());
  now += 1_000;
  const restored = new Cache({ now: () => now });
  const summary = restored.load(stored);
  check('snapshot through IndexedDB', restored.get('later') === 'kept' && restored.get('soon') === undefined, JSON.stringify(summary));
  check('time between dump and load counts', restored.ttl('later') === 4_000, String(restored.ttl('later')));
  check('structuredClone keeps bytes', restored.get('avatar:7') instanceof Uint8Array);

  const stats = cache.stats();
  check('stats is a plain object', Object.getPrototypeOf(stats) === Object.prototype && stats.hits > 0);
  check('FinalizationRegistry available', typeof FinalizationRegistry === 'function');

  restored.free();
  const afterFree = thrown(() => restored.get('later'));
  check('use after free throws an Error', afterFree instanceof Error);
  cache.free();
}

run()
  .catch((error) => results.failed.push(`uncaught: ${error && error.stack ? error.stack : String(error)}`))
  .finally(() => {
    document.getElementById('log').textContent = JSON.stringify(results, null, 2);
    window.chatcacheResults = results;
  });
