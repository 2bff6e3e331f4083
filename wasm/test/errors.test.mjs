// Every bad input: a real TypeError/RangeError with a stable code and a message naming the
// argument, the cache unchanged, and never a thrown string or a WebAssembly trap.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Cache } from 'chatcache';

/** Asserts that `fn` throws `Class` with `code`, a message starting with `arg`, and returns it. */
function refuses(fn, Class, code, arg) {
  let thrown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `expected ${Class.name} ${code}, nothing was thrown`);
  assert.ok(thrown instanceof Class, `expected ${Class.name}, got ${thrown?.constructor?.name}: ${thrown}`);
  assert.equal(thrown.constructor, Class, 'the built-in class itself');
  assert.equal(thrown.code, code, thrown.message);
  if (arg) assert.ok(thrown.message.startsWith(arg), `message names ${arg}: ${thrown.message}`);
  return thrown;
}

describe('keys', () => {
  const cache = new Cache();
  cache.set('keep', 'me');
  const methods = {
    get: (key) => cache.get(key),
    set: (key) => cache.set(key, 'v'),
    add: (key) => cache.add(key, 'v'),
    delete: (key) => cache.delete(key),
    has: (key) => cache.has(key),
    touch: (key) => cache.touch(key, 10),
    ttl: (key) => cache.ttl(key),
    incr: (key) => cache.incr(key),
    decr: (key) => cache.decr(key),
  };
  for (const [name, call] of Object.entries(methods)) {
    it(`${name}: non-string keys are TypeErrors`, () => {
      for (const key of [undefined, null, 1, true, {}, ['a'], Symbol('k'), 1n, () => 'k', new String('k')]) {
        refuses(() => call(key), TypeError, 'invalid_type', 'key');
      }
    });
    it(`${name}: empty and too-long keys are RangeErrors`, () => {
      refuses(() => call(''), RangeError, 'empty_key', 'key');
      refuses(() => call('k'.repeat(1025)), RangeError, 'key_too_long', 'key');
      refuses(() => call('é'.repeat(513)), RangeError, 'key_too_long', 'key'); // 1026 bytes
      call('k'.repeat(1024)); // at the limit: fine
    });
  }
  it('changed nothing', () => {
    assert.equal(cache.get('keep'), 'me');
  });
});

describe('values', () => {
  const cache = new Cache({ maxEntryBytes: 200 });
  cache.set('k', 'old');
  it('refuses values that would not round-trip', () => {
    class Point {
      constructor() {
        this.x = 1;
      }
    }
    const cyclic = {};
    cyclic.self = cyclic;
    const typeErrors = [
      undefined,
      () => 1,
      Symbol('s'),
      10n,
      new Date(0),
      new Map(),
      new Set(),
      new Point(),
      new ArrayBuffer(2),
      new Uint16Array(2),
      new DataView(new ArrayBuffer(1)),
      { nested: undefined },
      { nested: new Uint8Array(1) },
      { toJSON: () => 'x' },
      { [Symbol('k')]: 1 },
      [1, , 3], // eslint-disable-line no-sparse-arrays
      [undefined],
      { deep: { fn() {} } },
      { big: 1n },
      cyclic,
    ];
    for (const value of typeErrors) {
      refuses(() => cache.set('k', value), TypeError, 'invalid_value', 'value');
    }
    for (const value of [NaN, Infinity, -Infinity, { n: NaN }, [Infinity]]) {
      refuses(() => cache.set('k', value), RangeError, 'invalid_value', 'value');
    }
    refuses(() => cache.set('k', 'x'.repeat(200)), RangeError, 'entry_too_large', 'value');
    refuses(() => cache.add('k2', new Uint8Array(200)), RangeError, 'entry_too_large', 'value');
    assert.equal(cache.get('k'), 'old');
    assert.equal(cache.size, 1);
  });
});

describe('strings and sizes', () => {
  it('refuses lone surrogates in keys and string values, keeps U+FFFD', () => {
    const cache = new Cache();
    for (const key of ['a\uD800', '\uDFFFb', 'x\uDC00\uD800']) {
      refuses(() => cache.set(key, 'v'), RangeError, 'invalid_key', 'key');
      refuses(() => cache.get(key), RangeError, 'invalid_key', 'key');
    }
    refuses(() => cache.set('k', 'bad \uD83D'), RangeError, 'invalid_value', 'value');
    refuses(() => cache.setMany([['k', '\uDE00']]), RangeError, 'invalid_value', 'entries[0][1]');
    cache.set('replacement \uFFFD', 'text \uFFFD 🦀');
    assert.equal(cache.get('replacement \uFFFD'), 'text \uFFFD 🦀');
    // Inside JSON values lone surrogates are escaped by JSON.stringify and round-trip.
    cache.set('json', { s: 'a\uD800' });
    assert.deepEqual(cache.get('json'), { s: 'a\uD800' });
    assert.equal(cache.size, 2);
  });

  it('refuses huge values, naming their weight', () => {
    const cache = new Cache({ maxBytes: 1 << 20 });
    const huge = 'x'.repeat(64 << 20);
    const error = refuses(() => cache.set('k', huge), RangeError, 'entry_too_large', 'value');
    assert.match(error.message, new RegExp(`${1 + (64 << 20) + 48} bytes exceeds`));
    refuses(() => cache.set('k', new Uint8Array(64 << 20)), RangeError, 'entry_too_large', 'value');
    refuses(() => cache.set('k', { huge }), RangeError, 'entry_too_large', 'value');
    refuses(() => cache.get('k'.repeat(64 << 20)), RangeError, 'key_too_long', 'key');
    assert.equal(cache.size, 0);
  });

  it('caps maxBytes at 2 GiB', () => {
    assert.equal(new Cache({ maxBytes: 2 ** 31 }).size, 0);
    refuses(() => new Cache({ maxBytes: 2 ** 31 + 1 }), RangeError, 'invalid_number', 'options.maxBytes');
  });

  it('stores a detached Uint8Array as empty bytes', () => {
    const cache = new Cache();
    const bytes = new Uint8Array(8);
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
    cache.set('k', bytes);
    assert.deepEqual(cache.get('k'), new Uint8Array(0));
  });
});

describe('ttls', () => {
  const cache = new Cache();
  cache.set('k', 'old');
  it('NaN, negative, zero and infinite ttls are RangeErrors', () => {
    const cases = [
      [NaN, 'invalid_ttl'],
      [-1, 'invalid_ttl'],
      [-Infinity, 'invalid_ttl'],
      [0, 'zero_ttl'],
      [-0, 'zero_ttl'],
      [Infinity, 'ttl_too_long'],
      [2 ** 53 + 2, 'ttl_too_long'],
    ];
    for (const [ttl, code] of cases) {
      refuses(() => cache.set('k', 'v', { ttl }), RangeError, code, 'options.ttl');
      refuses(() => cache.add('new', 'v', { ttl }), RangeError, code, 'options.ttl');
      refuses(() => cache.setMany([['k', 'v']], { ttl }), RangeError, code, 'options.ttl');
      refuses(() => cache.touch('k', ttl), RangeError, code, 'ttl');
      refuses(() => new Cache({ defaultTtl: ttl }), RangeError, code, 'options.defaultTtl');
    }
    assert.equal(cache.ttl('k'), Infinity);
    assert.equal(cache.has('new'), false);
  });
  it('ttls of the wrong type are TypeErrors', () => {
    for (const ttl of ['10', true, {}, 10n]) {
      refuses(() => cache.set('k', 'v', { ttl }), TypeError, 'invalid_type', 'options.ttl');
      refuses(() => cache.touch('k', ttl), TypeError, 'invalid_type', 'ttl');
    }
    refuses(() => cache.touch('k'), TypeError, 'invalid_type', 'ttl');
    refuses(() => cache.set('k', 'v', 5), TypeError, 'invalid_type', 'options');
    refuses(() => cache.set('k', 'v', 'ttl'), TypeError, 'invalid_type', 'options');
    assert.equal(cache.get('k'), 'old');
  });
});

describe('constructor options', () => {
  it('refuses wrong types, bad numbers and unknown names', () => {
    refuses(() => new Cache(5), TypeError, 'invalid_type', 'options');
    refuses(() => new Cache('big'), TypeError, 'invalid_type', 'options');
    refuses(() => new Cache({ maxSize: 10 }), TypeError, 'invalid_type', 'options.maxSize');
    for (const name of ['maxEntries', 'maxBytes', 'maxEntryBytes', 'maxKeyBytes']) {
      refuses(() => new Cache({ [name]: '10' }), TypeError, 'invalid_type', `options.${name}`);
      for (const value of [0, -1, 1.5, NaN, Infinity, 2 ** 60]) {
        refuses(() => new Cache({ [name]: value }), RangeError, 'invalid_number', `options.${name}`);
      }
    }
    refuses(() => new Cache({ maxBytes: 100, maxEntryBytes: 200 }), RangeError, 'invalid_limits', 'options.maxEntryBytes');
    refuses(() => new Cache({ maxBytes: 40 }), RangeError, 'invalid_limits', 'options.');
    refuses(() => new Cache({ maxKeyBytes: 65_536 }), RangeError, 'invalid_number', 'options.maxKeyBytes');
    refuses(() => new Cache({ maxKeyBytes: 4 }).set('abcde', 1), RangeError, 'key_too_long', 'key');
    refuses(() => new Cache({ now: 5 }), TypeError, 'invalid_type', 'options.now');
    // Small maxBytes lowers the default maxEntryBytes instead of failing.
    assert.equal(new Cache({ maxBytes: 1_000 }).bytes, 0);
  });
});

describe('numbers', () => {
  const cache = new Cache();
  it('incr/decr steps must be safe integers', () => {
    for (const by of [0.5, NaN, Infinity, 2 ** 53]) {
      refuses(() => cache.incr('n', by), RangeError, 'invalid_number', 'by');
      refuses(() => cache.decr('n', by), RangeError, 'invalid_number', 'by');
    }
    for (const by of ['1', null, 1n, {}]) {
      refuses(() => cache.incr('n', by), TypeError, 'invalid_type', 'by');
    }
    assert.equal(cache.has('n'), false);
  });
});

describe('collections', () => {
  const cache = new Cache();
  it('keys and entries must be iterables (not strings)', () => {
    for (const keys of ['abc', 5, null, undefined, { length: 1 }]) {
      refuses(() => cache.getMany(keys), TypeError, 'invalid_type', 'keys');
      refuses(() => cache.deleteMany(keys), TypeError, 'invalid_type', 'keys');
      refuses(() => cache.setMany(keys), TypeError, 'invalid_type', 'entries');
    }
    refuses(() => cache.getMany(['a', 1]), TypeError, 'invalid_type', 'keys[1]');
    refuses(() => cache.setMany([['a', 1], 'b']), TypeError, 'invalid_type', 'entries[1]');
    refuses(() => cache.setMany([[1, 1]]), TypeError, 'invalid_type', 'entries[0][0]');
    refuses(() => cache.setMany([['a', undefined]]), TypeError, 'invalid_value', 'entries[0][1]');
    assert.equal(cache.size, 0);
  });
});

describe('the clock', () => {
  it('refuses readings that are not a usable time', () => {
    let reading = 0;
    let reads = 0;
    const cache = new Cache({ now: () => (reads++, reading) });
    // The clock is read only when an answer depends on it: not for an entry without expiry.
    cache.set('forever', 'v', { ttl: null });
    const before = reads;
    assert.equal(cache.get('forever'), 'v');
    assert.equal(reads, before);
    cache.set('k', 'v', { ttl: 1_000 });
    for (const bad of [NaN, -1, Infinity]) {
      reading = bad;
      refuses(() => cache.get('k'), RangeError, 'invalid_clock', 'now()');
    }
    for (const bad of ['5', undefined, null, {}]) {
      reading = bad;
      refuses(() => cache.get('k'), TypeError, 'invalid_clock', 'now()');
    }
    reading = 0;
    assert.equal(cache.get('k'), 'v');
  });

  it('lets exceptions from the clock through unchanged, and the cache keeps working', () => {
    const boom = new Error('clock broke');
    let fail = true;
    const cache = new Cache({
      now: () => {
        if (fail) throw boom;
        return 0;
      },
    });
    assert.throws(() => cache.set('k', 'v'), (error) => error === boom);
    fail = false;
    cache.set('k', 'v');
    assert.equal(cache.get('k'), 'v');
  });

  it('may call back into the cache', () => {
    let cache;
    let inside = false;
    cache = new Cache({
      now: () => {
        if (!inside) {
          inside = true;
          try {
            cache.has('x');
          } finally {
            inside = false;
          }
        }
        return 0;
      },
    });
    cache.set('x', 1);
    assert.equal(cache.get('x'), 1);
  });
});

describe('hostile objects', () => {
  it('exceptions from getters and proxies pass through and the cache keeps working', () => {
    const cache = new Cache();
    const trap = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('proto'); } });
    const getter = { get ttl() { throw new Error('getter'); } };
    for (const fn of [
      () => cache.set('k', trap),
      () => cache.set('k', 'v', getter),
      () => cache.set('k', { get x() { throw new Error('value getter'); } }),
      () => cache.setMany(trap),
      () => cache.getMany({ [Symbol.iterator]() { throw new Error('iterator'); } }),
      () => cache.load(trap),
      () => new Cache(trap),
    ]) {
      assert.throws(fn, Error);
    }
    cache.set('k', 'v');
    assert.equal(cache.get('k'), 'v');
  });
});

describe('re-entrant calls', () => {
  // User code that runs inside a call (a value's getter, an options getter, the clock) and
  // changes the cache would leave the call holding a stale slot: the call is refused instead,
  // and the cache holds exactly what the user code itself did.
  it('a value whose getter changes the cache is refused, and nothing is misfiled', () => {
    const cache = new Cache({ maxEntries: 4 });
    cache.set('a', 'A');
    cache.set('b', 'B');
    const sneaky = {
      get body() {
        cache.delete('a');
        cache.set('c', 'C');
        return 'text';
      },
    };
    refuses(() => cache.set('a', sneaky), TypeError, 'invalid_value', 'the value or the options');
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('b'), 'B');
    assert.equal(cache.get('c'), 'C');
    assert.equal(cache.size, 2);
    assert.equal(cache.bytes, new Cache().set('b', 'B').set('c', 'C').bytes);
    // The cache keeps working, and the same value without the getter is stored.
    cache.set('a', { body: 'text' });
    assert.deepEqual(cache.get('a'), { body: 'text' });
  });

  it('a getter that evicts or overwrites during a list push or setMany is refused', () => {
    const cache = new Cache();
    cache.listPush('room', 'first', { cap: 10 });
    const item = {
      get text() {
        cache.delete('room');
        return 'x';
      },
    };
    refuses(() => cache.listPush('room', item, { cap: 10 }), TypeError, 'invalid_value');
    assert.equal(cache.listLen('room'), 0);
    cache.listPush('room', 'again', { cap: 10 });
    assert.deepEqual(cache.listRange('room', 0, -1), ['again']);

    const options = {
      get ttl() {
        cache.set('k', 'from the getter');
        return 1_000;
      },
    };
    refuses(() => cache.set('k', 'v', options), TypeError, 'invalid_value');
    assert.equal(cache.get('k'), 'from the getter');
  });

  it('a clock that changes the cache is refused (invalid_clock)', () => {
    let cache;
    let meddle = false;
    cache = new Cache({
      now: () => {
        if (meddle) {
          meddle = false;
          cache.delete('k');
        }
        return 0;
      },
    });
    cache.set('k', 'v', { ttl: 1_000 });
    cache.set('other', 'o');
    meddle = true;
    refuses(() => cache.set('k', 'w'), TypeError, 'invalid_clock', 'now()');
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.get('other'), 'o');
    cache.set('k', 'w');
    assert.equal(cache.get('k'), 'w');
  });
});

describe('no panics', () => {
  it('random calls with random arguments only ever throw Errors (never a trap)', () => {
    let now = 0;
    const cache = new Cache({ maxEntries: 16, maxBytes: 3_000, maxEntryBytes: 1_000, now: () => now });
    const cyclic = {};
    cyclic.self = cyclic;
    const pool = [
      'a', 'b', 'ключ', '🦀', '', '12', '-3', 'x'.repeat(1_100), 'y'.repeat(500),
      0, -0, 1, -1, 0.5, 100, 2 ** 53, 1e300, NaN, Infinity, -Infinity,
      undefined, null, true, 1n, Symbol('s'), () => 0,
      new Uint8Array([1, 2]), new Uint8Array(900), new ArrayBuffer(3), new Float32Array(1),
      {}, { ttl: 5 }, { ttl: 0 }, { ttl: null }, { ttl: 'x' }, [], ['a', 'b'], [['a', 1]],
      [['', 1]], new Map([['m', 'v']]), { a: [1, { b: null }] }, new Date(), cyclic, [1, , 2], // eslint-disable-line no-sparse-arrays
      { version: 1, entries: [{ key: 'z', value: new Uint8Array([65]), expiresAt: null }] },
      { version: 1, entries: [{ key: 'z', value: [65], expiresAt: 5 }] },
      { version: 3, entries: [] },
      new Proxy({}, { get() { throw new Error('trap'); } }),
    ];
    const methods = [
      'get', 'set', 'add', 'delete', 'has', 'touch', 'ttl', 'incr', 'decr', 'getMany',
      'setMany', 'deleteMany', 'clear', 'purgeExpired', 'stats', 'dump', 'load',
    ];
    // A fixed-seed generator (mulberry32), so a failure reproduces.
    let seed = 0x2f6b1c3d;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (items) => items[Math.floor(random() * items.length)];
    let refused = 0;
    for (let step = 0; step < 20_000; step++) {
      if (random() < 0.1) now += Math.floor(random() * 50);
      const method = pick(methods);
      const args = Array.from({ length: Math.floor(random() * 4) }, () => pick(pool));
      try {
        cache[method](...args);
      } catch (error) {
        refused++;
        assert.ok(!(error instanceof WebAssembly.RuntimeError), `step ${step}: ${method} trapped: ${error}`);
        assert.ok(error instanceof Error, `step ${step}: ${method} threw a non-Error: ${String(error)}`);
        assert.equal(typeof error.code === 'string' || error.message === 'trap', true, `step ${step}: ${error}`);
      }
      assert.ok(cache.size <= 16 && cache.bytes <= 3_000, `step ${step}: limits`);
    }
    assert.ok(refused > 1_000, `bad inputs were exercised (${refused})`);
    // Still fully working.
    cache.clear();
    cache.set('end', 'ok');
    assert.equal(cache.get('end'), 'ok');
  });
});
