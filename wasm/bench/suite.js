// The npm package next to lru-cache on the rows of issue 8, as one function that runs the same
// way in Node (bench/bench.mjs) and in a page (bench/page.mjs, headless Chromium).
//
// Every row times each contender on the same keys and values, in rounds whose order rotates;
// the ratio of a row is the median over rounds of chatcache's rate divided by lru-cache's in
// the same round. Not a test: numbers depend on the machine and its load.

const STRING = 'x'.repeat(100);
const OBJECT = { id: 1, room: 'general', author: 'ada', body: 'x'.repeat(60), reactions: ['👍', '🎉'] };
const HOUR = 3_600_000;

/** A fixed-seed generator, so every run reads the same keys. */
function xorshift(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/**
 * Runs the suite.
 *
 * @param {object} env
 * @param {any} env.Cache chatcache's class
 * @param {any} env.LRUCache lru-cache's class
 * @param {() => number} env.now a high-resolution clock in ms
 * @param {number} [env.keys] keys per cache (default 100,000)
 * @param {number} [env.ops] operations per timed round
 * @param {number} [env.rounds] rounds per row
 * @param {(line: string) => void} [env.log]
 */
export function runSuite({ Cache, LRUCache, now, keys = 100_000, ops = 500_000, rounds = 5, log = () => {} }) {
  const names = Array.from({ length: keys }, (_, i) => `room:${i % 97}:msg:${i}`);
  const missing = Array.from({ length: keys }, (_, i) => `absent:${i}`);
  const random = xorshift(42);
  const order = Uint32Array.from({ length: ops }, () => Math.floor(random() * keys));
  const wide = Uint32Array.from({ length: ops }, () => Math.floor(random() * keys * 2));
  const wideNames = Array.from({ length: keys * 2 }, (_, i) => (i < keys ? names[i] : `room:x:msg:${i}`));
  const rows = [];

  /** ops/s of `body` over the `ops` indices. */
  function time(body) {
    const start = now();
    body();
    return ops / ((now() - start) / 1000);
  }

  function row(name, make) {
    const contenders = make();
    const ratios = [];
    const rates = { chatcache: [], 'lru-cache': [] };
    for (const contender of contenders) contender.body(); // warm-up
    for (let round = 0; round < rounds; round++) {
      const seq = round % 2 === 0 ? contenders : [...contenders].reverse();
      const rate = {};
      for (const contender of seq) rate[contender.name] = time(contender.body);
      ratios.push(rate.chatcache / rate['lru-cache']);
      for (const key of Object.keys(rates)) rates[key].push(rate[key]);
    }
    for (const contender of contenders) contender.close?.();
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const result = {
      row: name,
      chatcache: Math.round(median(rates.chatcache)),
      'lru-cache': Math.round(median(rates['lru-cache'])),
      ratio: Number(median(ratios).toFixed(2)),
    };
    rows.push(result);
    log(`${name}: ${result.ratio}×`);
  }

  for (const [kind, value] of [['string', STRING], ['object', OBJECT]]) {
    for (const ttl of [false, true]) {
      const label = `${kind}${ttl ? ', ttl' : ''}`;
      const filled = () => {
        const chatcache = new Cache({ maxEntries: keys, maxBytes: 1 << 30 });
        const lru = new LRUCache(ttl ? { max: keys, ttl: HOUR } : { max: keys });
        const options = ttl ? { ttl: HOUR } : undefined;
        for (const name of names) {
          chatcache.set(name, value, options);
          lru.set(name, value);
        }
        return { chatcache, lru, options };
      };
      row(`get-hit (${label})`, () => {
        const { chatcache, lru } = filled();
        let sink = 0;
        return [
          { name: 'chatcache', body: () => { for (let i = 0; i < ops; i++) if (chatcache.get(names[order[i]]) !== undefined) sink++; }, close: () => chatcache.free() },
          { name: 'lru-cache', body: () => { for (let i = 0; i < ops; i++) if (lru.get(names[order[i]]) !== undefined) sink++; } },
        ];
      });
      row(`get-miss (${label})`, () => {
        const { chatcache, lru } = filled();
        let sink = 0;
        return [
          { name: 'chatcache', body: () => { for (let i = 0; i < ops; i++) if (chatcache.get(missing[order[i]]) === undefined) sink++; }, close: () => chatcache.free() },
          { name: 'lru-cache', body: () => { for (let i = 0; i < ops; i++) if (lru.get(missing[order[i]]) === undefined) sink++; } },
        ];
      });
      row(`set (${label})`, () => {
        const { chatcache, lru, options } = filled();
        return [
          { name: 'chatcache', body: () => { for (let i = 0; i < ops; i++) chatcache.set(names[order[i]], value, options); }, close: () => chatcache.free() },
          { name: 'lru-cache', body: () => { for (let i = 0; i < ops; i++) lru.set(names[order[i]], value); } },
        ];
      });
      row(`mixed 90/10 over 2× the keys (${label})`, () => {
        const { chatcache, lru, options } = filled();
        return [
          {
            name: 'chatcache',
            body: () => {
              for (let i = 0; i < ops; i++) {
                const name = wideNames[wide[i]];
                if (i % 10 === 0 || chatcache.get(name) === undefined) chatcache.set(name, value, options);
              }
            },
            close: () => chatcache.free(),
          },
          {
            name: 'lru-cache',
            body: () => {
              for (let i = 0; i < ops; i++) {
                const name = wideNames[wide[i]];
                if (i % 10 === 0 || lru.get(name) === undefined) lru.set(name, value);
              }
            },
          },
        ];
      });
    }
  }

  // A room's history of 500 messages: stored as one value, or (chatcache) as a capped list.
  const history = Array.from({ length: 500 }, (_, i) => ({ ...OBJECT, id: i }));
  row('read a 500-message history (one value)', () => {
    const chatcache = new Cache();
    const lru = new LRUCache({ max: 10 });
    chatcache.set('room:1:history', history);
    lru.set('room:1:history', history);
    let sink = 0;
    return [
      { name: 'chatcache', body: () => { for (let i = 0; i < ops; i++) sink += chatcache.get('room:1:history').length; }, close: () => chatcache.free() },
      { name: 'lru-cache', body: () => { for (let i = 0; i < ops; i++) sink += lru.get('room:1:history').length; } },
    ];
  });
  row('last 50 of a 500-message history (chatcache list vs lru-cache array)', () => {
    const chatcache = new Cache();
    const lru = new LRUCache({ max: 10 });
    for (const message of history) chatcache.listPush('room:1:history', message, { cap: 500 });
    lru.set('room:1:history', history);
    let sink = 0;
    const fewer = Math.max(1, Math.floor(ops / 20));
    return [
      { name: 'chatcache', body: () => { for (let i = 0; i < fewer; i++) sink += chatcache.listRange('room:1:history', -50, -1).length; }, close: () => chatcache.free() },
      { name: 'lru-cache', body: () => { for (let i = 0; i < fewer; i++) sink += lru.get('room:1:history').slice(-50).length; } },
    ];
  });
  return rows;
}

/**
 * Bytes per entry of a full cache, counted by `measure()` (heap and array buffers, and for
 * chatcache the growth of its WebAssembly memory), for `count` entries of `value`. With
 * `distinct`, each entry gets its own deep copy of `value` (its `id` set to the entry's number),
 * as a chat history's messages would be: then lru-cache, which keeps the caller's objects, holds
 * one object per entry too, where with one shared `value` it holds the same object every time.
 */
export function fill(kind, { Cache, LRUCache, count, value, ttl, distinct = false }) {
  const names = Array.from({ length: count }, (_, i) => `room:${i % 97}:msg:${i}`);
  const text = distinct ? JSON.stringify(value) : '';
  const valueOf = distinct ? (i) => ({ ...JSON.parse(text), id: i }) : () => value;
  if (kind === 'chatcache') {
    const cache = new Cache({ maxEntries: count, maxBytes: 1 << 30 });
    const options = ttl ? { ttl: HOUR } : undefined;
    for (let i = 0; i < count; i++) cache.set(names[i], valueOf(i), options);
    return cache;
  }
  const cache = new LRUCache(ttl ? { max: count, ttl: HOUR } : { max: count });
  for (let i = 0; i < count; i++) cache.set(names[i], valueOf(i));
  return cache;
}

export { OBJECT, STRING };
