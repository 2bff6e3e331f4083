#!/usr/bin/env node
// The npm package next to lru-cache in Node: the throughput rows of bench/suite.js, bytes per
// entry (heap, array buffers and the growth of WebAssembly memory, in a fresh process per
// measurement) and the .wasm's gzipped size. Not a test.
//
//   npm run build && npm run bench
//   KEYS=100000 OPS=500000 ROUNDS=5 BENCH_JSON=out.json npm run bench
//   BENCH_QUICK=1 npm run bench        (fewer ops and rounds)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { LRUCache } from 'lru-cache';

import { Cache } from '../pkg/node/index.mjs';
import { OBJECT, STRING, fill, runSuite } from './suite.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const keys = Number(process.env.KEYS ?? 100_000);
const ops = Number(process.env.OPS ?? (quick ? 200_000 : 500_000));
const rounds = Number(process.env.ROUNDS ?? (quick ? 3 : 5));

if (process.argv[2] === '--memory') {
  // Child process: one measurement, printed as JSON.
  const [, , , kind, valueKind, ttl, count] = process.argv;
  const require = createRequire(import.meta.url);
  const glue = require('../pkg/node/chatcache_wasm.js');
  const value = valueKind === 'string' ? STRING : OBJECT;
  const distinct = valueKind === 'distinct objects';
  const wasmBytes = () => glue.wasmMemory().buffer.byteLength;
  const used = () => {
    globalThis.gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers + wasmBytes();
  };
  // Warm the module and the allocator, so their fixed costs are not counted per entry.
  fill(kind, { Cache, LRUCache, count: 1_000, value, ttl: ttl === 'ttl', distinct }).free?.();
  const before = used();
  const cache = fill(kind, { Cache, LRUCache, count: Number(count), value, ttl: ttl === 'ttl', distinct });
  const after = used();
  process.stdout.write(JSON.stringify({ perEntry: (after - before) / Number(count), held: cache.size }));
  process.exit(0);
}

function memoryRows() {
  const rows = [];
  // 'distinct objects': one object per entry (see `fill`), beside the rows that store one shared value.
  for (const valueKind of ['string', 'object', 'distinct objects']) {
    for (const ttl of ['none', 'ttl']) {
      const result = {};
      for (const kind of ['chatcache', 'lru-cache']) {
        const out = execFileSync(
          process.execPath,
          ['--expose-gc', fileURLToPath(import.meta.url), '--memory', kind, valueKind, ttl, String(keys)],
          { encoding: 'utf8' },
        );
        result[kind] = JSON.parse(out).perEntry;
      }
      rows.push({
        row: `bytes per entry (${valueKind}${ttl === 'ttl' ? ', ttl' : ''})`,
        chatcache: Math.round(result.chatcache),
        'lru-cache': Math.round(result['lru-cache']),
        ratio: Number((result.chatcache / result['lru-cache']).toFixed(2)),
      });
    }
  }
  return rows;
}

const started = performance.now();
console.log(`node ${process.version}, ${keys} keys, ${ops} ops per round, ${rounds} rounds (median ratio; order rotates)`);
const rows = runSuite({ Cache, LRUCache, now: () => performance.now(), keys, ops, rounds, log: (line) => console.error(line) });
rows.push(...memoryRows());
const wasm = fs.readFileSync(path.join(here, '..', 'pkg', 'web', 'chatcache_wasm_bg.wasm'));
const gzip = zlib.gzipSync(wasm, { level: 9 }).length;
console.table(rows);
console.log(`.wasm: ${wasm.length} bytes, ${gzip} bytes gzipped; ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (process.env.BENCH_JSON) {
  fs.writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ node: process.version, keys, ops, rounds, rows, wasm: { raw: wasm.length, gzip } }, null, 2)}\n`);
}
