// The cross-backend conformance cases (tests/cases/*.json, format in tests/README.md), run
// against the npm package, so that browsers and servers agree on every case.
//
// Capabilities of this backend: `limits`, `simulated_time` (through the `now` option),
// `exact_weight` (strings are stored untagged, so their weight is exactly the core's), `len`.
// Not `big_integers`: `by` and results are JavaScript numbers.
//
// Values are bytes in the cases. A JavaScript app holds bytes that are UTF-8 text as a string
// and other bytes as a Uint8Array, so that is how they are passed in; results are compared as
// bytes (a string by its UTF-8 encoding, a Uint8Array as it is).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Cache } from 'chatcache';

const casesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'cases');
const CAPABILITIES = new Set(['limits', 'simulated_time', 'exact_weight', 'len', 'snapshots', 'collections']);
const KNOWN_CAPABILITIES = new Set([...CAPABILITIES, 'big_integers']);
const LIMIT_OPTIONS = {
  max_entries: 'maxEntries',
  max_bytes: 'maxBytes',
  max_entry_bytes: 'maxEntryBytes',
  max_key_bytes: 'maxKeyBytes',
};
/** Fields each op may have besides `op` and `expect`. */
const OP_FIELDS = {
  get: ['key'],
  set: ['key', 'value', 'ttl'],
  add: ['key', 'value', 'ttl'],
  delete: ['key'],
  contains: ['key'],
  touch: ['key', 'ttl'],
  ttl: ['key'],
  incr: ['key', 'by'],
  decr: ['key', 'by'],
  clear: [],
  len: [],
  get_many: ['keys'],
  set_many: ['entries', 'ttl'],
  delete_many: ['keys'],
  list_push: ['key', 'value', 'cap', 'ttl'],
  list_range: ['key', 'start', 'stop'],
  list_len: ['key'],
  member_add: ['key', 'member', 'ttl'],
  members: ['key'],
  member_remove: ['key', 'member'],
  round_trip: [],
};

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A key from the case format: a string or `{ repeat, times }`. */
function key(spec) {
  if (typeof spec === 'string') return spec;
  assert.ok(spec && typeof spec.repeat === 'string' && Number.isInteger(spec.times), `bad key ${JSON.stringify(spec)}`);
  return spec.repeat.repeat(spec.times);
}

/** The bytes a value spec stands for. */
function bytesOf(spec) {
  if (typeof spec === 'string') return utf8.encode(spec);
  if (spec && typeof spec.hex === 'string') {
    assert.ok(/^([0-9a-f]{2})*$/i.test(spec.hex), `bad hex ${spec.hex}`);
    return Uint8Array.from(spec.hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
  }
  if (spec && typeof spec.repeat === 'string') return utf8.encode(spec.repeat.repeat(spec.times));
  throw new Error(`bad value ${JSON.stringify(spec)}`);
}

/** The JavaScript value an app would store for these bytes. */
function jsValue(spec) {
  const bytes = bytesOf(spec);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes;
  }
}

/** What came back, as bytes (or null for missing). */
function observedBytes(value) {
  if (value === undefined) return null;
  if (typeof value === 'string') return [...utf8.encode(value)];
  if (value instanceof Uint8Array) return [...value];
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

function expectedBytes(spec) {
  return spec === null ? null : [...bytesOf(spec)];
}

function setOptions(step) {
  return step.ttl === undefined ? { ttl: null } : { ttl: step.ttl };
}

/** Runs one op on `state.cache`; returns the result in the expectation's terms, or `{ error: code }`. */
function apply(state, step) {
  const { cache } = state;
  switch (step.op) {
    case 'get':
      return { value: observedBytes(cache.get(key(step.key))) };
    case 'set':
      cache.set(key(step.key), jsValue(step.value), setOptions(step));
      return 'ok';
    case 'add':
      return cache.add(key(step.key), jsValue(step.value), setOptions(step));
    case 'delete':
      return cache.delete(key(step.key));
    case 'contains':
      return cache.has(key(step.key));
    case 'touch':
      return cache.touch(key(step.key), step.ttl === undefined ? null : step.ttl);
    case 'ttl': {
      const left = cache.ttl(key(step.key));
      if (left === undefined) return 'missing';
      if (left === Infinity) return 'persistent';
      return { remaining: left };
    }
    case 'incr':
      return cache.incr(key(step.key), step.by);
    case 'decr':
      return cache.decr(key(step.key), step.by);
    case 'clear':
      cache.clear();
      return 'ok';
    case 'len':
      cache.purgeExpired();
      return cache.size;
    case 'get_many':
      return { values: cache.getMany(step.keys.map(key)).map(observedBytes) };
    case 'set_many':
      cache.setMany(
        step.entries.map((entry) => [key(entry.key), jsValue(entry.value)]),
        setOptions(step),
      );
      return 'ok';
    case 'delete_many':
      return cache.deleteMany(step.keys.map(key));
    case 'list_push':
      return cache.listPush(key(step.key), jsValue(step.value), step.ttl === undefined ? { cap: step.cap } : { cap: step.cap, ttl: step.ttl });
    case 'list_range':
      return { items: cache.listRange(key(step.key), step.start, step.stop).map(observedBytes) };
    case 'list_len':
      return cache.listLen(key(step.key));
    case 'member_add':
      return cache.memberAdd(key(step.key), key(step.member), { ttl: step.ttl });
    case 'members':
      return { members: cache.members(key(step.key)) };
    case 'member_remove':
      return cache.memberRemove(key(step.key), key(step.member));
    case 'round_trip': {
      // Through structuredClone, as a snapshot goes to IndexedDB and back.
      const snapshot = structuredClone(cache.dump());
      const fresh = new Cache(state.options);
      const summary = fresh.load(snapshot);
      assert.deepEqual(summary, { imported: snapshot.entries.length, expired: 0 });
      cache.free();
      state.cache = fresh;
      return 'ok';
    }
    default:
      throw new Error(`unknown op ${step.op}`);
  }
}

function check(step, actual, where) {
  const { expect } = step;
  if (expect && typeof expect === 'object' && 'error' in expect) {
    assert.deepEqual(actual, { error: expect.error }, where);
    return;
  }
  assert.ok(!(actual && typeof actual === 'object' && 'error' in actual), `${where}: unexpected error ${actual?.error}`);
  if (step.op === 'get') {
    assert.deepEqual(actual, { value: expectedBytes(expect.value) }, where);
  } else if (step.op === 'get_many') {
    assert.deepEqual(actual, { values: expect.values.map(expectedBytes) }, where);
  } else if (step.op === 'list_range') {
    assert.deepEqual(actual, { items: expect.items.map(expectedBytes) }, where);
  } else if (step.op === 'members') {
    assert.deepEqual(actual, { members: expect.members.map(key) }, where);
  } else if (step.op === 'ttl' && typeof expect === 'object') {
    const [lo, hi] = expect.remaining_ms;
    assert.ok(actual && typeof actual.remaining === 'number', `${where}: expected a remaining ttl, got ${JSON.stringify(actual)}`);
    assert.ok(actual.remaining >= lo && actual.remaining <= hi, `${where}: ${actual.remaining} not in ${lo}..=${hi}`);
  } else {
    assert.deepEqual(actual, expect, where);
  }
}

function runCase(testCase) {
  const clock = { now: 1_700_000_000_000 };
  const options = { now: () => clock.now };
  for (const [name, value] of Object.entries(testCase.limits ?? {})) {
    assert.ok(name in LIMIT_OPTIONS, `unknown limit ${name}`);
    options[LIMIT_OPTIONS[name]] = value;
  }
  const state = { cache: new Cache(options), options };
  try {
    testCase.steps.forEach((step, index) => {
      const where = `${testCase.name} step ${index}: ${JSON.stringify(step)}`;
      if ('advance' in step) {
        assert.deepEqual(Object.keys(step), ['advance'], where);
        clock.now += step.advance;
        return;
      }
      const allowed = new Set(['op', 'expect', ...(OP_FIELDS[step.op] ?? [])]);
      for (const field of Object.keys(step)) assert.ok(allowed.has(field), `${where}: unknown field ${field}`);
      let actual;
      try {
        actual = apply(state, step);
      } catch (error) {
        assert.ok(error instanceof TypeError || error instanceof RangeError, `${where}: ${error}`);
        actual = { error: error.code };
      }
      check(step, actual, where);
    });
  } finally {
    state.cache.free();
  }
}

const files = fs.readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort();
const counts = { ran: 0, skipped: 0 };

it('finds the case files', () => {
  assert.ok(files.length > 0, `no case files in ${casesDir}`);
});

for (const file of files) {
  const { cases } = JSON.parse(fs.readFileSync(path.join(casesDir, file), 'utf8'));
  describe(file, () => {
    for (const testCase of cases) {
      const requires = testCase.requires ?? [];
      for (const capability of requires) {
        assert.ok(KNOWN_CAPABILITIES.has(capability), `${testCase.name}: unknown capability ${capability}`);
      }
      const missing = requires.filter((c) => !CAPABILITIES.has(c));
      if (missing.length > 0) {
        counts.skipped++;
        it(testCase.name, { skip: `needs ${missing.join(', ')}` }, () => {});
      } else {
        counts.ran++;
        it(testCase.name, () => runCase(testCase));
      }
    }
  });
}

after(() => {
  console.log(`conformance (wasm): ${counts.ran} ran, ${counts.skipped} skipped`);
});
