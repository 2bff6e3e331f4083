//! TypeScript declarations for the option, value and result types of the `Cache` class.
//!
//! The class itself is declared by wasm-bindgen from the Rust signatures, with the parameter
//! and return types given by `unchecked_param_type` / `unchecked_return_type`; the types they
//! name are declared here. The writing methods (`set`, `add`, `setMany`) are declared here
//! instead, as generic methods merged into the class: TypeScript does not let a value typed
//! with an `interface` match an index-signature type like `JsonValue`, so those methods
//! check the value's own type structurally with `Storable<T>`.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A JSON-compatible value: stored as JSON text and read back deep-equal. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * A value the cache stores: a string (stored as UTF-8), a `Uint8Array` (stored as bytes) or a
 * JSON-compatible value (stored as JSON text). Each reads back as the same kind of value.
 */
export type Value = JsonValue | Uint8Array;

/**
 * `T` if every part of it is JSON-compatible, else a type `T` does not match. Works for types
 * declared with `interface` (which `JsonValue` does not accept) and refuses functions,
 * `Date`s, `Map`s, `bigint`s, `undefined` and typed arrays inside objects.
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

/** Options of `new Cache(options)`. Every field is optional. */
export interface CacheOptions {
  /** Most entries held at once (default 100,000). */
  maxEntries?: number;
  /**
   * Most bytes held at once (default 64 MiB, at most 2 GiB). Each entry counts its key's UTF-8
   * length, its stored value's length and 48 bytes of overhead.
   */
  maxBytes?: number;
  /** Largest single entry, counted the same way (default 1 MiB, or `maxBytes` if smaller). */
  maxEntryBytes?: number;
  /** Longest key in bytes of UTF-8 (default 1,024, at most 65,535). */
  maxKeyBytes?: number;
  /** Time to live in ms of writes that do not give one (default: no expiry). */
  defaultTtl?: number;
  /** The clock: returns the time in ms (default `Date.now`). */
  now?: () => number;
}

/** Options of `set`, `add` and `setMany`. */
export interface SetOptions {
  /** Time to live in ms; leave out for the cache's `defaultTtl`, `null` for no expiry. */
  ttl?: number | null;
}

/** Counters since the cache was created, and its size now. */
export interface CacheStats {
  /** `get` calls that found a live entry. */
  hits: number;
  /** `get` calls that found nothing. */
  misses: number;
  /** New entries stored. */
  inserts: number;
  /** Live entries overwritten. */
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

/** One entry of a `Snapshot`. */
export interface SnapshotEntry {
  key: string;
  /**
   * The stored bytes. `load` also accepts an array of byte numbers (a snapshot that went
   * through JSON; see the README).
   */
  value: Uint8Array;
  /** Absolute deadline in ms on the cache's clock, or `null` for no expiry. */
  expiresAt: number | null;
}

/** What `dump()` returns and `load()` takes: plain data that survives `structuredClone`. */
export interface Snapshot {
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
  | "reentrant_call"
  | "empty_key"
  | "key_too_long"
  | "entry_too_large"
  | "zero_ttl"
  | "ttl_too_long"
  | "not_an_integer"
  | "overflow"
  | "invalid_limits"
  | "unsupported_snapshot";

export interface Cache {
  /**
   * Stores `value` under `key`, replacing any previous value.
   *
   * `options.ttl` is the time to live in ms; leave it out for the cache's `defaultTtl`, or
   * pass `null` for no expiry. If the entry is refused (too large, bad key or TTL), the
   * previous value is kept.
   */
  set<T>(key: string, value: T & Storable<T>, options?: SetOptions): void;
  /**
   * Stores `value` under `key` only if no live entry is there. Returns `true` if stored.
   * Options as for `set`.
   */
  add<T>(key: string, value: T & Storable<T>, options?: SetOptions): boolean;
  /**
   * Stores every `[key, value]` pair of `entries` (an array of pairs, a `Map`, any
   * iterable), with the same `options` as `set`. Every entry is checked before any is
   * stored, so a bad entry leaves the cache unchanged.
   */
  setMany<E extends readonly [string, unknown]>(
    entries: Iterable<E> & Iterable<readonly [string, Storable<E[1]>]>,
    options?: SetOptions,
  ): void;
}

/** An error thrown by the cache: a `TypeError` or `RangeError` with a stable `code`. */
export type CacheError = (TypeError | RangeError) & { code: CacheErrorCode };
"#;
