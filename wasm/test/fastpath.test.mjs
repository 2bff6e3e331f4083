// The fast paths of get/set/add/has/delete (keys and values written straight into a scratch
// area of WebAssembly memory, see src/scratch.rs) against the general path: every size and
// kind of key and value on both sides of each threshold, re-entrant calls from the caller's
// code while a call holds its scratch region, and the error order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Cache } from 'chatcache';

function code(fn) {
  try {
    fn();
  } catch (error) {
    return `${error.constructor.name} ${error.code}`;
  }
  return 'no error';
}

describe('fast paths', () => {
  it('keys of every length and kind round-trip and stay distinct', () => {
    const cache = new Cache({ maxKeyBytes: 4096 });
    const keys = [];
    for (const n of [1, 2, 31, 32, 33, 64, 100, 1023, 1024, 1025, 4096]) {
      keys.push('k'.repeat(n), `${n}${'é'.repeat(Math.max(0, (n >> 1) - 4))}`);
    }
    keys.push('🦀', 'a🦀b', '\u007f', '\u0080', 'ÿ', 'room:42:msg:1');
    keys.forEach((key, i) => cache.set(key, `v${i}`));
    keys.forEach((key, i) => {
      assert.equal(cache.get(key), `v${i}`, key);
      assert.equal(cache.has(key), true);
    });
    assert.equal(cache.size, new Set(keys).size);
    keys.forEach((key) => cache.delete(key));
    assert.equal(cache.size, 0);
  });

  it('values of every size and kind round-trip', () => {
    const cache = new Cache({ maxBytes: 64 << 20, maxEntryBytes: 8 << 20 });
    const values = [];
    for (const n of [0, 1, 31, 32, 33, 100, 1000, 21_000, 22_000, 65_000, 70_000, 1 << 20]) {
      values.push('x'.repeat(n), 'é'.repeat(n), '🦀'.repeat(n >> 1), { s: 'y'.repeat(n) });
      values.push({ s: '🎉'.repeat(n >> 2) }, new Uint8Array(n).fill(7));
    }
    values.forEach((value, i) => cache.set(`k${i}`, value));
    values.forEach((value, i) => assert.deepEqual(cache.get(`k${i}`), value, `k${i}`));
    values.forEach((value, i) => assert.equal(cache.add(`k${i}`, value), false));
    values.forEach((value, i) => assert.equal(cache.add(`n${i}`, value), true));
    values.forEach((value, i) => assert.deepEqual(cache.get(`n${i}`), value, `n${i}`));
  });

  it('weights count the stored bytes exactly as before', () => {
    const cache = new Cache();
    cache.set('k', 'abc');
    assert.equal(cache.bytes, 1 + 3 + 48);
    cache.set('k', 'héllo');
    assert.equal(cache.bytes, 1 + 6 + 48);
    cache.set('k', { a: 1 });
    assert.equal(cache.bytes, 1 + 1 + '{"a":1}'.length + 48);
    cache.set('k', new Uint8Array(3));
    assert.equal(cache.bytes, 1 + 4 + 48);
  });

  it('refuse bad input with the same errors, key first, then value, then ttl', () => {
    const cache = new Cache({ maxKeyBytes: 8, maxEntryBytes: 100, maxBytes: 1000 });
    assert.equal(code(() => cache.get('')), 'RangeError empty_key');
    assert.equal(code(() => cache.get('123456789')), 'RangeError key_too_long');
    assert.equal(code(() => cache.get('ééééé')), 'RangeError key_too_long');
    assert.equal(code(() => cache.has(7)), 'TypeError invalid_type');
    assert.equal(code(() => cache.delete('\ud800')), 'RangeError invalid_key');
    assert.equal(code(() => cache.set('', undefined, { ttl: -1 })), 'RangeError empty_key');
    assert.equal(code(() => cache.set('k', undefined, { ttl: -1 })), 'TypeError invalid_value');
    assert.equal(code(() => cache.set('k', 'a\udc00', { ttl: -1 })), 'RangeError invalid_value');
    assert.equal(code(() => cache.set('k', 'x'.repeat(52), { ttl: -1 })), 'RangeError entry_too_large');
    assert.equal(code(() => cache.set('k', 'é'.repeat(26))), 'RangeError entry_too_large');
    assert.equal(code(() => cache.set('k', { s: 'x'.repeat(50) })), 'RangeError entry_too_large');
    assert.equal(code(() => cache.set('k', 'x'.repeat(51), { ttl: -1 })), 'RangeError invalid_ttl');
    assert.equal(code(() => cache.add('k', 'x', { ttl: 0 })), 'RangeError zero_ttl');
    cache.set('k', 'x'.repeat(51));
    assert.equal(cache.get('k'), 'x'.repeat(51));
    assert.equal(code(() => cache.set('k', { n: NaN })), 'RangeError invalid_value');
    assert.equal(cache.get('k'), 'x'.repeat(51));
  });

  it('survive re-entrant calls from a JSON getter, a ttl getter and the clock', () => {
    let reenter = false;
    let time = 1000;
    const cache = new Cache({
      now: () => {
        if (reenter) {
          reenter = false;
          cache.set('from-clock', { big: 'c'.repeat(30_000) });
          assert.equal(cache.get('from-clock').big.length, 30_000);
        }
        return time;
      },
    });
    const value = {
      get a() {
        cache.set('from-getter', 'g'.repeat(40_000));
        cache.set('from-getter-2', 'short');
        assert.equal(cache.has('outer'), false);
        return 1;
      },
    };
    cache.set('outer', value);
    assert.deepEqual(cache.get('outer'), { a: 1 });
    assert.equal(cache.get('from-getter'), 'g'.repeat(40_000));
    assert.equal(cache.get('from-getter-2'), 'short');

    const options = {
      get ttl() {
        cache.set('from-ttl', 'é'.repeat(10_000));
        cache.delete('nothing');
        return 5000;
      },
    };
    cache.set('outer2', 'kept', options);
    assert.equal(cache.get('outer2'), 'kept');
    assert.equal(cache.get('from-ttl'), 'é'.repeat(10_000));

    for (const call of [
      () => cache.set('outer3', 'v3'),
      () => assert.equal(cache.get('outer3'), 'v3'),
      () => assert.equal(cache.has('outer3'), true),
      () => assert.equal(cache.add('outer4', { n: 4 }), true),
      () => assert.equal(cache.delete('outer4'), true),
    ]) {
      reenter = true;
      call();
      assert.equal(reenter, false);
    }
    assert.equal(cache.get('from-clock').big.length, 30_000);
    time += 5000;
    assert.equal(cache.get('outer2'), undefined);
  });

  it('work across memory growth and with several caches', () => {
    const a = new Cache({ maxBytes: 256 << 20 });
    const b = new Cache();
    for (let i = 0; i < 2000; i++) {
      a.set(`a${i}`, 'z'.repeat(10_000));
      b.set(`b${i}`, { i });
      assert.equal(a.get(`a${i}`).length, 10_000);
      assert.deepEqual(b.get(`b${i}`), { i });
    }
    a.free();
    b.free();
  });

  it('still refuses cycles and accepts deep values', () => {
    const cache = new Cache();
    const cyclic = { a: [1, { b: null }] };
    cyclic.a[1].b = cyclic;
    assert.equal(code(() => cache.set('c', cyclic)), 'TypeError invalid_value');
    let deep = 0;
    for (let i = 0; i < 500; i++) deep = { d: deep };
    cache.set('d', deep);
    assert.deepEqual(cache.get('d'), deep);
    const shared = { s: 1 };
    cache.set('s', [shared, shared, { shared }]);
    assert.deepEqual(cache.get('s'), [shared, shared, { shared }]);
  });

  it('keep the prototype as declared: no fast-path helpers, same arities', () => {
    const names = Object.getOwnPropertyNames(Cache.prototype);
    assert.deepEqual(names.filter((name) => name.startsWith('__fast')), []);
    for (const [name, length] of [['get', 1], ['has', 1], ['delete', 1], ['set', 3], ['add', 3]]) {
      assert.equal(typeof Cache.prototype[name], 'function', name);
      assert.equal(Cache.prototype[name].length, length, name);
      assert.equal(Object.getOwnPropertyDescriptor(Cache.prototype, name).enumerable, false, name);
    }
  });

  it('decode every stored form like the general path', () => {
    const cache = new Cache();
    cache.set('bom', '\ufeffx');
    assert.equal(cache.get('bom'), '\ufeffx');
    cache.set('empty', '');
    assert.equal(cache.get('empty'), '');
    cache.set('bytes', new Uint8Array(0));
    assert.deepEqual(cache.get('bytes'), new Uint8Array(0));
    const bad = [0xfe, 0x7b, 0x62];
    const foreign = [0x80, 0x00];
    const badUtf8Json = [0xfe, 0xc0];
    cache.load({
      version: 1,
      entries: [
        { key: 'bad-json', value: new Uint8Array(bad), expiresAt: null },
        { key: 'foreign', value: new Uint8Array(foreign), expiresAt: null },
        { key: 'bad-utf8-json', value: new Uint8Array(badUtf8Json), expiresAt: null },
      ],
    });
    assert.deepEqual(cache.get('bad-json'), new Uint8Array(bad));
    assert.deepEqual(cache.get('foreign'), new Uint8Array(foreign));
    assert.deepEqual(cache.get('bad-utf8-json'), new Uint8Array(badUtf8Json));
    assert.equal(Object.getPrototypeOf(cache.get('foreign')), Uint8Array.prototype);
  });

  it('count hits, misses and writes as the general path does', () => {
    const cache = new Cache();
    assert.equal(cache.get('a'), undefined);
    cache.set('a', '1');
    assert.equal(cache.add('a', '2'), false);
    assert.equal(cache.add('b', '2'), true);
    assert.equal(cache.get('a'), '1');
    assert.equal(cache.has('b'), true);
    assert.equal(cache.delete('b'), true);
    assert.equal(cache.delete('b'), false);
    const { hits, misses, inserts, deletes } = cache.stats();
    assert.deepEqual({ hits, misses, inserts, deletes }, { hits: 1, misses: 1, inserts: 2, deletes: 1 });
  });

  it('use the default ttl and the clock option', () => {
    let time = 0;
    const timed = new Cache({ now: () => time, defaultTtl: 10 });
    timed.set('k', 'v');
    time = 9;
    assert.equal(timed.get('k'), 'v');
    time = 10;
    assert.equal(timed.get('k'), undefined);
    const real = new Cache({ defaultTtl: 60_000 });
    real.set('k', 'v');
    assert.ok(real.ttl('k') <= 60_000 && real.ttl('k') > 59_000);
  });

  it('throw after free', () => {
    const cache = new Cache();
    cache.set('k', 'v');
    cache.free();
    for (const call of [() => cache.get('k'), () => cache.set('k', 'v'), () => cache.has('k')]) {
      assert.throws(call, Error);
    }
  });

  it('stay correct when a patched Date.now re-enters the cache', () => {
    const cache = new Cache();
    cache.set('outer-key', 'outer value');
    cache.set('inner-key-that-is-longer', 'inner value');
    const realNow = Date.now;
    let reenter = 0;
    Date.now = () => {
      if (reenter > 0) {
        reenter--;
        assert.equal(cache.get('inner-key-that-is-longer'), 'inner value');
        cache.set('inner-key-that-is-longer', 'inner value');
        assert.equal(cache.has('inner-key-that-is-longer'), true);
      }
      return realNow();
    };
    try {
      for (const [call, expected] of [
        [() => cache.get('outer-key'), 'outer value'],
        [() => cache.has('outer-key'), true],
        [() => cache.set('outer-key', 'again'), undefined],
        [() => cache.get('outer-key'), 'again'],
        [() => cache.add('outer-2', 'two'), true],
        [() => cache.get('outer-2'), 'two'],
        [() => cache.delete('outer-2'), true],
      ]) {
        reenter = 1;
        assert.equal(call(), expected);
      }
    } finally {
      Date.now = realNow;
    }
    assert.equal(cache.get('inner-key-that-is-longer'), 'inner value');
    assert.equal(cache.size, 2);
  });
});
