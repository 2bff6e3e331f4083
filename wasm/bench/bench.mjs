#!/usr/bin/env node
// get-hit and set throughput of chatcache (the built package) next to lru-cache, in the same
// process run, on the same keys and values. Not a test: numbers vary by machine and load.
//
//   npm run build && npm run bench
//   OPS=2000000 ROUNDS=7 npm run bench

import { LRUCache } from 'lru-cache';

import { Cache } from '../pkg/node/index.mjs';

const KEYS = Number(process.env.KEYS ?? 10_000);
const OPS = Number(process.env.OPS ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const keys = Array.from({ length: KEYS }, (_, i) => `room:${i % 97}:msg:${i}`);
const text = 'x'.repeat(100);
const object = { id: 1, author: 'ada', body: text, reactions: ['👍', '🎉'] };

/** ops/s of `body(i)` over OPS iterations, the median of ROUNDS runs after a warm-up. */
function measure(body) {
  for (let i = 0; i < Math.min(OPS, 100_000); i++) body(i);
  const rates = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) body(i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(OPS / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

function implementations(value) {
  const chatcache = new Cache({ maxEntries: KEYS, maxBytes: 256 << 20 });
  const lru = new LRUCache({ max: KEYS });
  const map = new Map();
  return [
    { name: 'chatcache', get: (k) => chatcache.get(k), set: (k, v) => chatcache.set(k, v), close: () => chatcache.free() },
    { name: 'lru-cache', get: (k) => lru.get(k), set: (k, v) => lru.set(k, v), close() {} },
    { name: 'Map (no eviction, reference)', get: (k) => map.get(k), set: (k, v) => map.set(k, v), close() {} },
  ].map((impl) => {
    for (const key of keys) impl.set(key, value);
    return impl;
  });
}

const rows = [];
for (const [label, value] of [
  ['100-byte string', text],
  ['small JSON object', object],
]) {
  for (const impl of implementations(value)) {
    let sink = 0;
    const getHit = measure((i) => {
      if (impl.get(keys[i % KEYS]) !== undefined) sink++;
    });
    const set = measure((i) => impl.set(keys[(i * 7) % KEYS], value));
    if (sink === 0) throw new Error(`${impl.name}: no hits`);
    impl.close();
    rows.push({ value: label, cache: impl.name, 'get-hit ops/s': Math.round(getHit), 'set ops/s': Math.round(set) });
  }
}

console.log(`node ${process.version}, ${KEYS} keys, ${OPS} ops per round, median of ${ROUNDS} rounds`);
console.table(rows);
