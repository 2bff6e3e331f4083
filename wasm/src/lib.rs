//! chatcache for JavaScript: the [`chatcache_core`] policy behind the npm package's `Cache`
//! class, built with wasm-bindgen for Node (CJS and ESM), browsers, bundlers and edge runtimes.
//!
//! The JavaScript API is the contract; see `wasm/README.md`. The class itself is hand-written
//! JavaScript (`js/cache.js`) that owns one [`Engine`] and keeps the keys and values, so a value
//! read back is the JavaScript value that was stored — no copy, no parse. The engine holds the
//! policy: S3-FIFO queues and ghosts, the expiry heap, weights, limits, counters, list item
//! lengths and member sets, the order of a snapshot. This crate is that engine and nothing more:
//!
//! - **Numbers in, numbers out.** Calls take slot numbers, lengths, TTLs and the time, and
//!   return slot numbers or a status; extra results and the slots the policy removed go to a
//!   header in the module's memory that JavaScript reads. The strings that cross are member
//!   names (a list of them as one length-prefixed string, `src/names.rs`), error codes and
//!   messages, and the `NAME=value` lists of the constants and counters; JavaScript builds every
//!   object and array (options are read in JavaScript too).
//! - **Reads need no call.** JavaScript decides a hit from the slot's deadline code and bumps its
//!   access count through typed arrays over the policy's per-slot vectors, whose addresses the
//!   header publishes (see [`engine::Header`]).
//! - **Refusals are typed errors** with the core's codes (`src/error.rs`); a call that fails
//!   returns [`engine::FAILED`] (or `undefined`) and changes nothing, and
//!   [`Engine::failure_is_type`], [`Engine::failure_code`] and [`Engine::failure`] give the
//!   class, code and message JavaScript throws.
//! - **No `core::fmt`** behind the exports: messages are built by hand from the core's message
//!   pieces, which keeps formatting machinery out of the `.wasm`.
//! - **No JavaScript runs inside a call** (the options object is read before anything is
//!   built), so re-entrant or throwing user code cannot leave the engine half-changed.
//!
//! A panic is a bug: the crate's panic handler writes it to `console.error` before the module
//! traps (`src/panic.rs`).
//!
//! The crate is `no_std` (with `alloc`): the package's `.wasm` links no `std`, which leaves out
//! its panic machinery and the formatting behind it. The feature `std` (the tests) and native
//! builds link `std`, whose panic handler then takes the place of the crate's own.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(feature = "std", not(target_family = "wasm")))]
extern crate std;

/// What `std`'s prelude would bring, for the modules of this `no_std` crate.
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::string::String;
    pub(crate) use alloc::vec::Vec;
}

mod convert;
pub mod engine;
mod error;
mod names;
mod options;
mod panic;

pub use engine::Engine;

/// The global allocator: talc in place of the standard library's dlmalloc (a few kilobytes
/// smaller in the `.wasm`). The module is single-threaded (no `atomics` target feature).
// Not in the crate's unit tests, which also link the crate itself (its `std` dev-dependency)
// and so would have two.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics"), not(test)))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
pub use error::error_codes;
