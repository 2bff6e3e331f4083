// The behaviour every runtime and bundler test checks: one run through the public API of
// `Cache` (values of each kind, TTLs on a hand-driven clock, counters, stats, errors with
// their codes, a snapshot through structuredClone, free), reported as plain JSON.
//
// Plain JavaScript with no imports, so that Deno, Bun, workerd and bundled browser apps all
// load the same file; the host hands in the `Cache` it imported its own way and the
// node:test side compares the report with `expected` below.

/** Runs the scenario against `Cache` and returns what it saw, as JSON-compatible data. */
export function exercise(Cache) {
  let now = 1_000;
  const cache = new Cache({ maxEntries: 100, maxBytes: 64 * 1024, now: () => now });
  const report = {};

  cache.set('room:1:title', 'général 🦀');
  cache.set('user:7', { name: 'Ada', tags: ['admin'], online: true }, { ttl: 30_000 });
  cache.set('avatar:7', new Uint8Array([137, 80, 78, 71]));
  const avatar = cache.get('avatar:7');
  report.values = {
    string: cache.get('room:1:title'),
    json: cache.get('user:7'),
    bytes: avatar instanceof Uint8Array ? [...avatar] : `not a Uint8Array: ${String(avatar)}`,
    missing: cache.get('nobody') === undefined,
  };
  report.has = [cache.has('user:7'), cache.has('nobody')];
  report.ttl = ['user:7', 'room:1:title', 'nobody'].map((key) => String(cache.ttl(key)));
  now += 10_000;
  report.ttlLater = cache.ttl('user:7');
  report.counter = [cache.incr('unread'), cache.incr('unread', 4), cache.decr('unread'), cache.get('unread')];
  report.deleted = [cache.delete('room:1:title'), cache.delete('room:1:title')];
  now += 20_000;
  report.expired = [cache.get('user:7') === undefined, cache.has('user:7')];

  report.errors = [
    () => cache.set('', 'x'),
    () => cache.set('k', undefined),
    () => cache.set('k', 'v', { ttl: 0 }),
    () => cache.set('k', 'x'.repeat(2 << 20)),
    () => {
      cache.set('n', 5);
      cache.incr('n');
    },
    () => new Cache({ maxEntries: 0 }),
  ].map((call) => {
    try {
      call();
      return 'no error';
    } catch (error) {
      return `${error instanceof RangeError ? 'RangeError' : error instanceof TypeError ? 'TypeError' : 'other'} ${error.code}`;
    }
  });
  report.refusedChangedNothing = cache.get('k') === undefined;

  const { hits, misses, inserts, updates, deletes, entries, bytes } = cache.stats();
  report.stats = { hits, misses, inserts, updates, deletes, entries, bytes, size: cache.size };

  const snapshot = structuredClone(cache.dump());
  const copy = new Cache({ now: () => now });
  report.load = copy.load(snapshot);
  const copied = copy.get('avatar:7');
  report.copied = [copy.get('unread'), copy.get('n'), copied instanceof Uint8Array ? [...copied] : String(copied)];
  copy.free();

  cache.free();
  try {
    cache.get('unread');
    report.usableAfterFree = true;
  } catch {
    report.usableAfterFree = false;
  }
  return report;
}

/** The report `exercise` must produce, whatever the runtime. */
export const expected = {
  values: {
    string: 'général 🦀',
    json: { name: 'Ada', tags: ['admin'], online: true },
    bytes: [137, 80, 78, 71],
    missing: true,
  },
  has: [true, false],
  ttl: ['30000', 'Infinity', 'undefined'],
  ttlLater: 20_000,
  counter: [1, 5, 4, '4'],
  deleted: [true, false],
  expired: [true, false],
  errors: [
    'RangeError empty_key',
    'TypeError invalid_value',
    'RangeError zero_ttl',
    'RangeError entry_too_large',
    'TypeError not_an_integer',
    'RangeError invalid_number',
  ],
  refusedChangedNothing: true,
  // Hits: the three values and the counter; misses: 'nobody', the expired user and the
  // refused 'k'. Held: avatar:7 (8 + 1 + 4 + 48 bytes), unread (6 + 1 + 48), n (1 + 1 + 1 + 48).
  stats: { hits: 4, misses: 3, inserts: 5, updates: 2, deletes: 1, entries: 3, bytes: 167, size: 3 },
  load: { imported: 3, expired: 0 },
  copied: ['4', 5, [137, 80, 78, 71]],
  usableAfterFree: false,
};
