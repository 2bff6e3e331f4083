//! chatcache for JavaScript: the [`chatcache_core`] store behind a `Cache` class, built with
//! wasm-bindgen for Node (CJS and ESM), browsers and bundlers.
//!
//! The JavaScript API is the contract; see `wasm/README.md` for it with examples. This crate
//! is the boundary and nothing more:
//!
//! - **Time is read here**, once per call: `Date.now()`, or the `now` option. The core never
//!   sees a JavaScript type or a clock.
//! - **Values become bytes here** (`src/codec.rs` documents the tagged format and how values count
//!   against `maxBytes`), and keys, numbers and options are checked here, so that every
//!   refusal is a real `TypeError`/`RangeError` with a `code` and a message naming the
//!   argument (`src/error.rs`).
//! - **No JavaScript code runs while the store is borrowed.** Arguments (which may run the
//!   caller's getters) and the clock are read first; then the store is borrowed for pure Rust
//!   work only. A callback that re-enters the cache therefore works, and no JavaScript
//!   exception ever unwinds through a Rust frame that holds state.
//!
//! A panic is a bug: argument checking covers every input, and the tests feed the cache bad
//! input in a loop and check that nothing traps. Should one happen anyway, a panic hook
//! writes it to `console.error` before the module traps (`src/panic.rs`).
#![forbid(unsafe_code)]

mod cache;
mod codec;
mod convert;
mod error;
mod panic;
mod scratch;
mod snapshot;
mod types;

#[cfg(all(test, target_arch = "wasm32"))]
mod bad_input_tests;

pub use cache::Cache;
