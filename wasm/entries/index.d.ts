// Declarations of the `Cache` class, shared by every entry point.

/** A JSON-compatible value: stored as JSON and read back deep-equal (and frozen). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * A value the cache stores: a string, a `Uint8Array` (bytes) or a JSON-compatible value. Each
 * reads back as the same kind of value; objects and arrays read back frozen.
 */
export type Value = JsonValue | Uint8Array;

/**
 * `T` if every part of it is JSON-compatible, else a type `T` does not match. Works for types
 * declared with `interface` (which `JsonValue` does not accept) and refuses functions, `Date`s,
 * `Map`s, `bigint`s, `undefined` and typed arrays inside objects.
 */
export type JsonCompatible<T> = T extends string | number | boolean | null
  ? T
  : T extends Function
    ? never
    : T extends readonly (infer U)[]
      ? readonly JsonCompatible<U>[]
      : T extends object
        ? { [K in keyof T]: JsonCompatible<T[K]> }
        : never;

/** What a value of type `T` must match to be stored: a `Uint8Array`, or JSON-compatible. */
export type Storable<T> = T extends Uint8Array ? Uint8Array : JsonCompatible<T>;

/** What a stored value of type `T` reads back as: frozen, all the way down. */
export type Frozen<T> = T extends Uint8Array
  ? Uint8Array
  : T extends readonly (infer U)[]
    ? readonly Frozen<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Frozen<T[K]> }
      : T;

/** Options of `new Cache(options)`. Every field is optional; `undefined` means the default. */
export interface CacheOptions {
  /** Most entries held at once (default 100,000). */
  maxEntries?: number | undefined;
  /**
   * Most bytes held at once (default 64 MiB, at most 2 GiB). Each entry counts its key's UTF-8
   * length, its stored value's length and 48 bytes of overhead.
   */
  maxBytes?: number | undefined;
  /** Largest single entry, counted the same way (default 1 MiB, or `maxBytes` if smaller). */
  maxEntryBytes?: number | undefined;
  /** Longest key in bytes of UTF-8 (default 1,024, at most 65,535). */
  maxKeyBytes?: number | undefined;
  /** Time to live in ms of writes that do not give one (default: no expiry). */
  defaultTtl?: number | undefined;
  /** The clock: returns the time in ms (default `Date.now`). */
  now?: (() => number) | undefined;
}

/** Options of `set`, `add` and `setMany`. */
export interface SetOptions {
  /** Time to live in ms; `undefined` or left out: the cache's `defaultTtl`; `null`: no expiry. */
  ttl?: number | null | undefined;
}

/** Options of `listPush`. */
export interface ListPushOptions {
  /** How many items the list keeps (1 to 1,000,000): the oldest are dropped beyond it. */
  cap: number;
  /** The list's time to live in ms; left out, the list keeps its expiry (a new list has none). */
  ttl?: number | undefined;
}

/** Options of `memberAdd`. */
export interface MemberAddOptions {
  /** How long the member is live, in ms. */
  ttl: number;
}

/** Counters since the cache was created, and its size now. */
export interface CacheStats {
  /** Reads (`get`, `getMany`, `listRange`, `members`) that found a live entry. */
  hits: number;
  /** Reads that found nothing. */
  misses: number;
  /** New entries stored. */
  inserts: number;
  /** Live entries overwritten (or pushed to, or added to). */
  updates: number;
  /** Live entries removed by `delete`. */
  deletes: number;
  /** Live entries evicted to stay within the limits. */
  evictionsCapacity: number;
  /** Expired entries reclaimed. */
  evictionsExpired: number;
  /** Entries held now (as `size`). */
  entries: number;
  /** Bytes held now (as `bytes`). */
  bytes: number;
}

/** A byte value in a `Snapshot`. */
export interface SnapshotValueEntry {
  key: string;
  /** The stored bytes (an array of byte numbers is accepted by `load`, after JSON). */
  value: Uint8Array;
  /** Absolute deadline in ms on the cache's clock, or `null` for no expiry. */
  expiresAt: number | null;
}

/** A list in a `Snapshot` (format 2). */
export interface SnapshotListEntry {
  key: string;
  /** The items' stored bytes, oldest first. */
  list: Uint8Array[];
  expiresAt: number | null;
}

/** A member set in a `Snapshot` (format 2). */
export interface SnapshotMembersEntry {
  key: string;
  /** The live members with their own absolute deadlines. */
  members: { member: string; expiresAt: number }[];
  expiresAt: number | null;
}

/** One entry of a `Snapshot`. */
export type SnapshotEntry = SnapshotValueEntry | SnapshotListEntry | SnapshotMembersEntry;

/** What `dump()` returns and `load()` takes: plain data that survives `structuredClone`. */
export interface Snapshot {
  /** 2 (what `dump()` writes); `load()` also reads 1 (byte values only). */
  version: number;
  /** Least valuable first. */
  entries: SnapshotEntry[];
}

/** What `load()` did. */
export interface LoadSummary {
  /** Entries stored. */
  imported: number;
  /** Entries skipped because their deadline had passed. */
  expired: number;
}

/** The `code` property of every error the cache throws. */
export type CacheErrorCode =
  | "invalid_type"
  | "invalid_number"
  | "invalid_ttl"
  | "invalid_value"
  | "invalid_key"
  | "invalid_clock"
  | "invalid_snapshot"
  | "freed"
  | "not_initialized"
  | "empty_key"
  | "key_too_long"
  | "entry_too_large"
  | "zero_ttl"
  | "ttl_too_long"
  | "not_an_integer"
  | "overflow"
  | "invalid_limits"
  | "wrong_type"
  | "invalid_cap"
  | "empty_member"
  | "member_too_long"
  | "unsupported_snapshot";

/** An error thrown by the cache: a `TypeError`, `RangeError` or `Error` with a stable `code`. */
export type CacheError = (TypeError | RangeError | Error) & { code: CacheErrorCode };

/**
 * An in-memory cache of strings, bytes and JSON values, capped lists and expiring member sets,
 * with entry and byte limits, per-entry expiry and scan-resistant S3-FIFO eviction: the policy
 * of the chatcache server, in WebAssembly. Values stay JavaScript values (copied and frozen
 * when stored), so reading one costs no copy and no parse.
 */
export class Cache {
  constructor(options?: CacheOptions);

  /**
   * The value under `key`, or `undefined`. Counts a hit or a miss. `T` is what the caller
   * knows was stored there (as with lru-cache, it is not checked); the value reads back frozen.
   */
  get<T = Value>(key: string): Frozen<T> | undefined;
  /** The value under `key`, without counting it or marking it as used. */
  peek<T = Value>(key: string): Frozen<T> | undefined;
  /** Whether a live entry of any kind is under `key` (no counter or eviction effects). */
  has(key: string): boolean;
  /** Time to live in ms (at least 1), `Infinity` for no expiry, `undefined` if missing. */
  ttl(key: string): number | undefined;
  /** The values under `keys`, in order; every key is checked first. */
  getMany<T = Value>(keys: Iterable<string>): (Frozen<T> | undefined)[];

  /** Stores `value` under `key`, replacing whatever was there; returns the cache. */
  set<T>(key: string, value: T & Storable<T>, options?: SetOptions): this;
  /** Stores `value` only if no live entry is under `key`; returns whether it was stored. */
  add<T>(key: string, value: T & Storable<T>, options?: SetOptions): boolean;
  /** Stores every `[key, value]` pair; every entry is checked before any is stored. */
  setMany<E extends readonly [string, unknown]>(
    entries: Iterable<E> & Iterable<readonly [string, Storable<E[1]>]>,
    options?: SetOptions,
  ): void;
  /** Removes the entry under `key`; returns whether a live one was removed. */
  delete(key: string): boolean;
  /** Removes the entries under `keys`; returns how many live ones were removed. */
  deleteMany(keys: Iterable<string>): number;
  /** Replaces the expiry of the live entry under `key`: `ttl` ms, or `null` for none. */
  touch(key: string, ttl: number | null): boolean;
  /** Adds `by` (default 1, a safe integer) to the decimal integer under `key` (Redis INCRBY). */
  incr(key: string, by?: number): number;
  /** Subtracts `by` (default 1) from the decimal integer under `key`. */
  decr(key: string, by?: number): number;
  /** Removes every entry; counters are kept. */
  clear(): void;
  /** Reclaims every expired entry now; returns how many. */
  purgeExpired(): number;

  /** Appends `value` to the list under `key`, keeping the newest `cap`; returns the new length. */
  listPush<T>(key: string, value: T & Storable<T>, options: ListPushOptions): number;
  /** The list's items from `start` (default 0) to `stop` (default -1) inclusive, as Redis LRANGE. */
  listRange<T = Value>(key: string, start?: number, stop?: number): Frozen<T>[];
  /** The number of items in the list under `key` (0 if there is none). */
  listLen(key: string): number;

  /** Adds or refreshes `member`, live for `ttl` ms; returns whether it was not live before. */
  memberAdd(key: string, member: string, options: MemberAddOptions): boolean;
  /** The live members of the member set under `key`, in code point order. */
  members(key: string): string[];
  /** Removes `member`; returns whether it was live. */
  memberRemove(key: string, member: string): boolean;

  /** Keys of the live entries, in insertion order. */
  keys(): IterableIterator<string>;
  /** Values of the live entries (lists as arrays of items, member sets as arrays of members). */
  values(): IterableIterator<Value | readonly Value[] | string[]>;
  /** `[key, value]` of the live entries, in insertion order. */
  entries(): IterableIterator<[string, Value | readonly Value[] | string[]]>;

  /** Entries held (expired ones included until reclaimed). */
  readonly size: number;
  /** Bytes held: per entry, key + stored value + 48. */
  readonly bytes: number;
  /** The counters since the cache was created. */
  stats(): CacheStats;

  /** Every live entry, as plain data that survives `structuredClone`. */
  dump(): Snapshot;
  /** Restores a snapshot (format 1 or 2); if anything is wrong, nothing changes. */
  load(snapshot: Snapshot): LoadSummary;

  /** Releases the WebAssembly memory now; later calls throw (code `freed`). */
  free(): void;
  [Symbol.dispose](): void;
}
