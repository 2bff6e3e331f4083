// Every method of the public API, through the package's ESM entry (`import 'chatcache'`
// resolves through pkg/package.json `exports`; scripts/run-tests.mjs links the package).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Cache } from 'chatcache';

/** A cache on a hand-driven clock. */
function clocked(options = {}) {
  const clock = { now: 1_000_000 };
  const cache = new Cache({ ...options, now: () => clock.now });
  return { cache, clock };
}

describe('values', () => {
  it('round-trip strings, bytes and JSON values deep-equal', () => {
    const cache = new Cache();
    const values = {
      empty: '',
      text: 'héllo 🦀 \u0000 ok',
      bytes: new Uint8Array([0, 1, 254, 255]),
      emptyBytes: new Uint8Array(0),
      object: { name: 'Ada', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } },
      array: [1, 'two', [3], { four: 4 }],
      number: 42,
      negative: -3.25,
      zero: 0,
      yes: true,
      no: false,
      nothing: null,
      numericString: '12',
    };
    for (const [key, value] of Object.entries(values)) cache.set(key, value);
    for (const [key, value] of Object.entries(values)) {
      const got = cache.get(key);
      assert.deepEqual(got, value, key);
      if (typeof value !== 'object' || value === null) assert.equal(got, value, key);
    }
    assert.ok(cache.get('bytes') instanceof Uint8Array);
    assert.equal(typeof cache.get('numericString'), 'string');
    // What comes back cannot change the cache: bytes are copies, JSON values are frozen, and
    // the value stored was copied, so changing the original changes nothing either.
    cache.get('bytes')[0] = 99;
    assert.deepEqual(cache.get('bytes'), values.bytes);
    assert.throws(() => {
      cache.get('object').name = 'changed';
    }, TypeError);
    assert.throws(() => cache.get('object').tags.push('c'), TypeError);
    assert.ok(Object.isFrozen(cache.get('object').nested));
    values.object.name = 'changed after set';
    assert.equal(cache.get('object').name, 'Ada');
    assert.equal(cache.get('object'), cache.get('object'), 'a read is the kept value, not a copy');
  });

  it('count key + stored value + 48 bytes per entry', () => {
    const cache = new Cache();
    cache.set('k', 'abc');
    assert.equal(cache.bytes, 1 + 3 + 48);
    cache.set('k', 'héllo');
    assert.equal(cache.bytes, 1 + 6 + 48, 'UTF-8 length');
    cache.set('k', new Uint8Array(10));
    assert.equal(cache.bytes, 1 + 11 + 48, 'tag byte');
    cache.set('k', { a: 1 });
    assert.equal(cache.bytes, 1 + '{"a":1}'.length + 1 + 48, 'JSON text + tag byte');
    assert.equal(cache.size, 1);
  });

  it('-0 reads back as 0, a Buffer as a Uint8Array, a null-prototype object as a plain one', () => {
    const cache = new Cache();
    cache.set('o', Object.assign(Object.create(null), { a: 1 }));
    assert.deepEqual(cache.get('o'), { a: 1 });
    cache.set('z', -0);
    assert.ok(Object.is(cache.get('z'), 0));
    cache.set('b', Buffer.from('hi'));
    const got = cache.get('b');
    assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
    assert.deepEqual([...got], [104, 105]);
  });
});

describe('get / set / add / delete / has', () => {
  it('behave like a map with hit and miss counting', () => {
    const cache = new Cache();
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.set('a', 'x'), cache, 'set returns the cache, as lru-cache does');
    assert.equal(cache.get('a'), 'x');
    assert.equal(cache.has('a'), true);
    assert.equal(cache.has('b'), false);
    assert.equal(cache.add('a', 'y'), false, 'add keeps a live entry');
    assert.equal(cache.get('a'), 'x');
    assert.equal(cache.add('b', 'y'), true);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.size, 1);
    const stats = cache.stats();
    assert.equal(stats.hits, 2);
    assert.equal(stats.misses, 1);
    assert.equal(stats.inserts, 2);
    assert.equal(stats.deletes, 1);
  });

  it('has() does not count as a hit', () => {
    const cache = new Cache();
    cache.set('a', 'x');
    cache.has('a');
    cache.has('missing');
    assert.equal(cache.stats().hits, 0);
    assert.equal(cache.stats().misses, 0);
  });

  it('set replaces a value and its expiry', () => {
    const { cache, clock } = clocked();
    cache.set('a', 'x', { ttl: 100 });
    cache.set('a', 'y');
    clock.now += 1_000;
    assert.equal(cache.get('a'), 'y', 'the new set has no expiry');
    assert.equal(cache.stats().updates, 1);
  });
});

describe('expiry through the now option', () => {
  it('expires at the deadline, exclusive', () => {
    const { cache, clock } = clocked();
    cache.set('a', 'x', { ttl: 100 });
    assert.equal(cache.ttl('a'), 100);
    clock.now += 99;
    assert.equal(cache.get('a'), 'x');
    assert.equal(cache.ttl('a'), 1);
    clock.now += 1;
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.has('a'), false);
    assert.equal(cache.ttl('a'), undefined);
    assert.equal(cache.add('a', 'new'), true, 'add treats an expired key as absent');
  });

  it('applies defaultTtl unless a ttl or null is given', () => {
    const { cache, clock } = clocked({ defaultTtl: 1_000 });
    cache.set('default', 1);
    cache.set('short', 2, { ttl: 10 });
    cache.set('forever', 3, { ttl: null });
    cache.set('alsoDefault', 4, {});
    assert.equal(cache.ttl('default'), 1_000);
    assert.equal(cache.ttl('short'), 10);
    assert.equal(cache.ttl('forever'), Infinity);
    assert.equal(cache.ttl('alsoDefault'), 1_000);
    clock.now += 5_000;
    assert.deepEqual(cache.getMany(['default', 'short', 'forever', 'alsoDefault']), [
      undefined,
      undefined,
      3,
      undefined,
    ]);
  });

  it('rounds fractional ttls up and floors fractional clock readings', () => {
    const { cache, clock } = clocked();
    clock.now = 10.9;
    cache.set('a', 'x', { ttl: 0.2 });
    assert.equal(cache.ttl('a'), 1);
    clock.now = 11.5;
    assert.equal(cache.has('a'), false);
  });

  it('never lets time run backwards', () => {
    const { cache, clock } = clocked();
    cache.set('a', 'x', { ttl: 10 });
    clock.now += 10;
    assert.equal(cache.has('a'), false);
    clock.now -= 5;
    assert.equal(cache.has('a'), false, 'an expired entry never comes back');
  });

  it('a refused call does not move the time on', () => {
    const { cache, clock } = clocked();
    cache.set('a', 'x', { ttl: 10 });
    cache.set('n', 'not a number');
    clock.now += 20;
    assert.throws(() => cache.incr('n'), { code: 'not_an_integer' });
    clock.now -= 15;
    assert.equal(cache.has('a'), true, 'the refused incr at +20 changed nothing');
    assert.equal(cache.ttl('a'), 5);
  });

  it('touch replaces or removes the expiry', () => {
    const { cache, clock } = clocked();
    cache.set('a', 'x', { ttl: 10 });
    assert.equal(cache.touch('a', 500), true);
    assert.equal(cache.ttl('a'), 500);
    assert.equal(cache.touch('a', null), true);
    assert.equal(cache.ttl('a'), Infinity);
    assert.equal(cache.touch('missing', 10), false);
    clock.now += 1e9;
    assert.equal(cache.get('a'), 'x');
  });

  it('purgeExpired reclaims expired entries now', () => {
    const { cache, clock } = clocked();
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, 'v', { ttl: 50 });
    cache.set('stay', 'v');
    clock.now += 50;
    const before = cache.size;
    const purged = cache.purgeExpired();
    assert.equal(before - purged, 1);
    assert.equal(cache.size, 1);
    assert.equal(cache.purgeExpired(), 0);
    assert.equal(cache.stats().evictionsExpired, 10);
  });

  it('reads Date.now() when no clock is given', () => {
    const cache = new Cache();
    cache.set('a', 'x', { ttl: 60_000 });
    const left = cache.ttl('a');
    assert.ok(left > 0 && left <= 60_000, String(left));
    const snapshot = cache.dump();
    const deadline = snapshot.entries[0].expiresAt;
    assert.ok(Math.abs(deadline - (Date.now() + 60_000)) < 60_000, 'deadline on the Unix clock');
  });
});

describe('incr / decr', () => {
  it('follow Redis INCRBY on decimal strings', () => {
    const { cache, clock } = clocked();
    assert.equal(cache.incr('n'), 1);
    assert.equal(cache.incr('n', 10), 11);
    assert.equal(cache.decr('n'), 10);
    assert.equal(cache.decr('n', 15), -5);
    assert.equal(cache.get('n'), '-5');
    assert.equal(cache.ttl('n'), Infinity, 'a new counter is persistent');

    cache.set('t', '7', { ttl: 100 });
    assert.equal(cache.incr('t'), 8);
    assert.equal(cache.ttl('t'), 100, 'an existing counter keeps its expiry');
    clock.now += 100;
    assert.equal(cache.incr('t'), 1, 'an expired counter restarts at 0');
  });

  it('refuse non-integers and overflow, changing nothing', () => {
    const cache = new Cache();
    for (const value of ['x', '1.0', '+1', ' 1', '01', '-0', '']) {
      cache.set('v', value);
      assert.throws(() => cache.incr('v'), { name: 'TypeError', code: 'not_an_integer' }, value);
      assert.equal(cache.get('v'), value);
    }
    cache.set('json', 5);
    assert.throws(() => cache.incr('json'), { code: 'not_an_integer' });
    cache.set('max', '9223372036854775807');
    assert.throws(() => cache.incr('max'), { name: 'RangeError', code: 'overflow' });
    assert.equal(cache.get('max'), '9223372036854775807');
    cache.set('min', '-9223372036854775808');
    assert.throws(() => cache.decr('min'), { name: 'RangeError', code: 'overflow' });
  });
});

describe('many', () => {
  it('getMany, setMany and deleteMany work on arrays, Maps and iterables', () => {
    const { cache } = clocked();
    cache.setMany([
      ['a', 1],
      ['b', 'two'],
    ]);
    cache.setMany(new Map([['c', { three: 3 }]]), { ttl: 50 });
    function* keys() {
      yield 'a';
      yield 'x';
      yield 'c';
    }
    assert.deepEqual(cache.getMany(keys()), [1, undefined, { three: 3 }]);
    assert.equal(cache.ttl('c'), 50);
    assert.deepEqual(cache.getMany([]), []);
    assert.equal(cache.deleteMany(new Set(['a', 'b', 'missing'])), 2);
    assert.equal(cache.deleteMany(['c', 'c']), 1, 'a key removed twice counts once');
    assert.equal(cache.size, 0);
  });

  it('check everything first: one bad entry changes nothing', () => {
    const cache = new Cache();
    cache.set('a', 'old');
    assert.throws(() => cache.setMany([['a', 'new'], ['', 'x']]), { code: 'empty_key' });
    assert.throws(() => cache.setMany([['a', 'new'], ['b', undefined]]), { code: 'invalid_value' });
    assert.throws(() => cache.setMany([['a', 'new'], 'b']), { code: 'invalid_type' });
    assert.equal(cache.get('a'), 'old');
    assert.throws(() => cache.deleteMany(['a', 5]), { code: 'invalid_type' });
    assert.throws(() => cache.getMany(['a', '']), { code: 'empty_key' });
    assert.equal(cache.get('a'), 'old');
    assert.equal(cache.stats().hits, 2, 'only the two get() calls: getMany read nothing');
  });

  it('setMany keeps the last of duplicate keys', () => {
    const cache = new Cache();
    cache.setMany([
      ['k', 1],
      ['k', 2],
    ]);
    assert.equal(cache.get('k'), 2);
  });
});

describe('limits and eviction', () => {
  it('keeps maxEntries and maxBytes after every call', () => {
    const cache = new Cache({ maxEntries: 50, maxBytes: 4_000 });
    for (let i = 0; i < 1_000; i++) {
      cache.set(`key:${i}`, 'x'.repeat(i % 70));
      assert.ok(cache.size <= 50);
      assert.ok(cache.bytes <= 4_000);
    }
    assert.ok(cache.stats().evictionsCapacity > 0);
  });

  it('refuses an entry over maxEntryBytes and keeps the old value', () => {
    const cache = new Cache({ maxEntryBytes: 100 });
    cache.set('k', 'old');
    // 1 (key) + 51 (value) + 48 = 100: exactly at the limit.
    cache.set('k', 'x'.repeat(51));
    assert.throws(() => cache.set('k', 'x'.repeat(52)), {
      name: 'RangeError',
      code: 'entry_too_large',
      message: /^value: /,
    });
    assert.equal(cache.get('k'), 'x'.repeat(51));
  });

  it('is scan-resistant: a one-off scan does not flush a hot key', () => {
    const cache = new Cache({ maxEntries: 100 });
    cache.set('hot', 'v');
    for (let i = 0; i < 10_000; i++) {
      cache.get('hot');
      cache.set(`scan:${i}`, 'v');
    }
    assert.equal(cache.get('hot'), 'v');
  });

  it('clear removes everything and keeps counters', () => {
    const cache = new Cache();
    cache.set('a', 1);
    cache.get('a');
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.stats().hits, 1);
  });
});

describe('stats', () => {
  it('is a plain object with every counter', () => {
    const cache = new Cache();
    const stats = cache.stats();
    assert.equal(Object.getPrototypeOf(stats), Object.prototype);
    assert.deepEqual(stats, {
      hits: 0,
      misses: 0,
      inserts: 0,
      updates: 0,
      deletes: 0,
      evictionsCapacity: 0,
      evictionsExpired: 0,
      entries: 0,
      bytes: 0,
    });
    assert.deepEqual(structuredClone(stats), stats);
  });
});

describe('dump / load', () => {
  it('round-trips through structuredClone with time passing in between', () => {
    const { cache: source, clock } = clocked();
    source.set('short', 'gone soon', { ttl: 100 });
    source.set('long', { n: 1 }, { ttl: 10_000 });
    source.set('bytes', new Uint8Array([1, 2, 3]));
    source.set('counter', '41');
    const snapshot = structuredClone(source.dump());
    assert.equal(snapshot.version, 2);
    assert.equal(snapshot.entries.length, 4);
    assert.ok(snapshot.entries.every((e) => e.value instanceof Uint8Array));

    // Another cache on the same clock, 1 s later.
    clock.now += 1_000;
    const target = new Cache({ now: () => clock.now });
    assert.deepEqual(target.load(snapshot), { imported: 3, expired: 1 });
    assert.equal(target.get('short'), undefined);
    assert.deepEqual(target.get('long'), { n: 1 });
    assert.equal(target.ttl('long'), 9_000, 'the second that passed counts');
    assert.deepEqual(target.get('bytes'), new Uint8Array([1, 2, 3]));
    assert.equal(target.incr('counter'), 42);
    assert.equal(target.ttl('bytes'), Infinity);
  });

  it('loads into a non-empty cache within its limits', () => {
    const source = new Cache();
    for (let i = 0; i < 30; i++) source.set(`k${i}`, 'v');
    const target = new Cache({ maxEntries: 10 });
    target.set('mine', 'kept?');
    const summary = target.load(source.dump());
    assert.equal(summary.imported, 30);
    assert.ok(target.size <= 10);
    assert.equal(target.get('k29'), 'v', 'the most valuable entries come last and stay');
  });

  it('accepts a snapshot that went through JSON as the README shows', () => {
    const source = new Cache();
    source.set('bytes', new Uint8Array([0, 255]));
    source.set('text', 'hi');
    const json = JSON.stringify(source.dump(), (key, value) =>
      value instanceof Uint8Array ? Array.from(value) : value,
    );
    const target = new Cache();
    assert.deepEqual(target.load(JSON.parse(json)), { imported: 2, expired: 0 });
    assert.deepEqual(target.get('bytes'), new Uint8Array([0, 255]));
    assert.equal(target.get('text'), 'hi');
  });

  it('never lets a member set outlive its members (load and touch)', () => {
    const { cache, clock } = clocked();
    const now = clock.now;
    cache.load({
      version: 2,
      entries: [
        { key: 'never', members: [{ member: 'ann', expiresAt: now + 100 }], expiresAt: null },
        { key: 'early', members: [{ member: 'bob', expiresAt: now + 300 }], expiresAt: now + 200 },
      ],
    });
    assert.equal(cache.ttl('never'), 100);
    assert.equal(cache.ttl('early'), 200);
    clock.now += 100;
    assert.equal(cache.purgeExpired(), 1);
    assert.deepEqual(cache.members('early'), ['bob']);
    assert.equal(cache.dump().entries.length, cache.size);
    cache.memberAdd('room', 'cy', { ttl: 100 });
    assert.equal(cache.touch('room', 1_000), true);
    assert.equal(cache.ttl('room'), 100);
  });

  it('keeps member names whatever they contain, through members, dump and load', () => {
    const cache = new Cache();
    // Names that look like the engine's length-prefixed lists, empty-looking digits, and
    // characters of two UTF-16 units.
    const names = ['3:ada', ':', '10:', '0', 'a:b:c', '😀', 'é😀:1'];
    for (const name of names) cache.memberAdd('room', name, { ttl: 60_000 });
    assert.equal(cache.members('room').length, names.length);
    assert.deepEqual(new Set(cache.members('room')), new Set(names));
    const snapshot = cache.dump();
    assert.deepEqual(new Set(snapshot.entries[0].members.map((m) => m.member)), new Set(names));
    const target = new Cache();
    assert.deepEqual(target.load(snapshot), { imported: 1, expired: 0 });
    assert.deepEqual(target.members('room'), cache.members('room'));
    assert.equal(target.memberRemove('room', '3:ada'), true);
    assert.equal(target.members('room').length, names.length - 1);
  });

  it('refuses a bad snapshot as a whole', () => {
    const cache = new Cache({ maxEntryBytes: 100 });
    cache.set('keep', 'me');
    const good = { key: 'a', value: new Uint8Array([104]), expiresAt: null };
    const cases = [
      [null, 'invalid_snapshot'],
      ['snapshot', 'invalid_snapshot'],
      [{ entries: [] }, 'invalid_snapshot'],
      [{ version: 1 }, 'invalid_snapshot'],
      [{ version: 1, entries: [good, { ...good, key: 5 }] }, 'invalid_snapshot'],
      [{ version: 1, entries: [good, { ...good, value: 'text' }] }, 'invalid_snapshot'],
      [{ version: 1, entries: [good, { ...good, value: [1, 256] }] }, 'invalid_snapshot'],
      [{ version: 1, entries: [good, { ...good, expiresAt: -1 }] }, 'invalid_snapshot'],
      [{ version: 1, entries: [good, { ...good, expiresAt: '1' }] }, 'invalid_snapshot'],
      [{ version: 1, entries: [good, { ...good, key: '' }] }, 'empty_key'],
      [{ version: 1, entries: [good, { ...good, value: new Uint8Array(200) }] }, 'entry_too_large'],
      [{ version: 3, entries: [good] }, 'unsupported_snapshot'],
      [{ version: 1, entries: [good, { key: 'l', list: [good.value], expiresAt: null }] }, 'invalid_snapshot'],
      [{ version: 2, entries: [good, { key: 'l', list: [], expiresAt: null }] }, 'invalid_snapshot'],
      [{ version: 2, entries: [good, { key: 'm', members: [{ member: '', expiresAt: 1 }], expiresAt: null }] }, 'empty_member'],
      [{ version: 2, entries: new Array(5) }, 'invalid_snapshot'],
    ];
    for (const [snapshot, code] of cases) {
      assert.throws(() => cache.load(snapshot), { code }, JSON.stringify(snapshot));
    }
    assert.equal(cache.size, 1);
    assert.equal(cache.get('a'), undefined);
  });
});

describe('free', () => {
  it('releases the cache; later use throws a real Error', () => {
    const cache = new Cache();
    cache.set('a', 'x');
    cache.free();
    assert.throws(() => cache.get('a'), Error);
  });

  it('supports Symbol.dispose for `using`', () => {
    const cache = new Cache();
    assert.equal(typeof cache[Symbol.dispose], 'function');
    cache[Symbol.dispose]();
    assert.throws(() => cache.size, Error);
  });
});
