// Type-checked (tsc --noEmit), never run: the declarations must accept every documented use
// and reject misuse (each `@ts-expect-error` line must be an error, or tsc fails).

import {
  Cache,
  type CacheError,
  type CacheErrorCode,
  type CacheOptions,
  type CacheStats,
  type JsonValue,
  type LoadSummary,
  type Snapshot,
  type Value,
} from 'chatcache';

const options: CacheOptions = {
  maxEntries: 1_000,
  maxBytes: 8 << 20,
  maxEntryBytes: 64 << 10,
  maxKeyBytes: 256,
  defaultTtl: 60_000,
  now: () => Date.now(),
};
const cache = new Cache(options);
const plain = new Cache();

cache.set('room:1', 'general');
cache.set('user:7', { name: 'Ada', tags: ['admin'], age: 36, away: false, bio: null });
cache.set('avatar:7', new Uint8Array([1, 2, 3]), { ttl: 30_000 });
cache.set('forever', [1, 2, 3], { ttl: null });
const added: boolean = cache.add('room:1', 'x');
const value: Value | undefined = cache.get('user:7');
void value;
// Typed reads, as with lru-cache: the caller says what it stored; the value reads back frozen.
interface User {
  name: string;
  tags: string[];
  age: number;
  away: boolean;
  bio: string | null;
}
const user = cache.get<User>('user:7');
const userName: string | undefined = user?.name;
// @ts-expect-error a value read back is frozen, and its type says so
user?.tags.push('more');
const json: JsonValue | undefined = cache.get<JsonValue>('room:1');
void userName;
void json;
// Lists and member sets.
const length: number = cache.listPush('room:1:history', { from: 'ada', text: 'hi' }, { cap: 100, ttl: 60_000 });
const history = cache.listRange<{ from: string; text: string }>('room:1:history', -50);
const firstText: string | undefined = history[0]?.text;
const joined: boolean = cache.memberAdd('room:1:online', 'ada', { ttl: 30_000 });
const online: string[] = cache.members('room:1:online');
const left2: boolean = cache.memberRemove('room:1:online', 'ada');
// @ts-expect-error listPush needs a cap
cache.listPush('room:1:history', 'x', {});
// @ts-expect-error a TTL option set to undefined is allowed, a string is not
cache.set('k', 'v', { ttl: '5' });
cache.set('k', 'v', { ttl: undefined });
const chained: Cache = cache.set('a', 1).set('b', 2);
for (const key of cache.keys()) void key;
void [length, firstText, joined, online, left2, chained];
const removed: boolean = cache.delete('room:1');
const present: boolean = cache.has('room:1');
const touched: boolean = cache.touch('user:7', 1_000) || cache.touch('user:7', null);
const left: number | undefined = cache.ttl('user:7');
const counter: number = cache.incr('n') + cache.incr('n', 5) + cache.decr('n') + cache.decr('n', 2);
const many: (Value | undefined)[] = cache.getMany(['a', 'b']);
cache.setMany([['a', 1], ['b', 'two']], { ttl: 100 });
cache.setMany(new Map<string, Value>([['c', true]]));
const deleted: number = cache.deleteMany(new Set(['a']));
cache.clear();
const purged: number = cache.purgeExpired();
const size: number = cache.size;
const bytes: number = cache.bytes;
const stats: CacheStats = cache.stats();
const hits: number = stats.hits + stats.evictionsCapacity + stats.evictionsExpired;
const snapshot: Snapshot = cache.dump();
const firstDeadline: number | null | undefined = snapshot.entries[0]?.expiresAt;
const summary: LoadSummary = plain.load(structuredClone(snapshot));
const imported: number = summary.imported + summary.expired;

try {
  cache.set('', 'x');
} catch (error) {
  const code: CacheErrorCode = (error as CacheError).code;
  void code;
}

{
  using scoped = new Cache();
  scoped.set('k', 'v');
}
plain.free();

// Values typed with interfaces are checked structurally.
interface Message {
  id: number;
  author: string;
  body: string;
  edited?: boolean;
  reactions: { emoji: string; count: number }[];
  replyTo: number | null;
}
const message: Message = { id: 1, author: 'ada', body: 'hi', reactions: [], replyTo: null };
cache.set('msg:1', message);
cache.add('msg:2', message, { ttl: 1_000 });
cache.setMany(new Map<string, Message>([['msg:3', message]]));
cache.setMany([
  ['a', message],
  ['b', new Uint8Array(1)],
  ['c', 'text'],
]);
const readBack = cache.get('msg:1');
if (readBack !== undefined) cache.set('copy', readBack);

interface Dated {
  at: Date;
}
declare const dated: Dated;
// @ts-expect-error a Date inside an interface is not JSON-compatible
cache.set('k', dated);
// @ts-expect-error functions are not values
cache.set('k', () => 1);
// @ts-expect-error typed arrays are stored only at the top level
cache.set('k', { bytes: new Uint8Array(1) });
// @ts-expect-error bigint is not JSON
cache.add('k', 10n);
// @ts-expect-error a Map of Dates
cache.setMany(new Map([['k', new Date()]]));
declare const unknownValue: unknown;
// @ts-expect-error narrow unknown values first
cache.set('k', unknownValue);

// @ts-expect-error keys are strings
cache.get(42);
// @ts-expect-error undefined is not a storable value
cache.set('k', undefined);
// @ts-expect-error Dates are not JSON values
cache.set('k', new Date());
// @ts-expect-error ttl is a number of ms
cache.set('k', 'v', { ttl: '5s' });
// @ts-expect-error unknown option
new Cache({ maxSize: 10 });
// @ts-expect-error touch needs a ttl (or null)
cache.touch('k');
// @ts-expect-error size is read-only
cache.size = 3;

void [added, removed, present, touched, left, counter, many, deleted, purged, size, bytes, hits, firstDeadline, imported];
