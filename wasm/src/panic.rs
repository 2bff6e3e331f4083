//! Reporting a panic before the module traps.
//!
//! A panic is a bug: every input is checked before it reaches code that could panic, and the
//! tests feed the cache bad input in loops to make sure. If one happens anyway, the module
//! traps and the caller gets a `WebAssembly.RuntimeError`; first the panic's message and
//! location go to `console.error`, which is what a bug report needs.
//!
//! The package's `.wasm` links no `std`, so this is the crate's `#[panic_handler]`. Its message
//! is put together by hand: formatting it (`format!`, `Display`) would bring `core::fmt` into the
//! `.wasm`, so a message with arguments (a bounds check's) is reported by its location alone.
//! Where `std` is linked (the tests, native builds), `std` handles panics and
//! [`install_hook`] sets a hook that writes to `console.error` instead.

use crate::prelude::*;

use wasm_bindgen::prelude::wasm_bindgen;

use crate::error::Text;

#[wasm_bindgen]
extern "C" {
    /// `console.error(message)`.
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// The report of a panic with `message` at `location`.
fn report(message: Option<&str>, location: Option<&core::panic::Location<'_>>) -> String {
    let mut text = Text::new()
        .s("chatcache panicked, which is a bug (please report it): ")
        .s(message.unwrap_or("(a message with arguments)"));
    if let Some(at) = location {
        text = text
            .s(" at ")
            .s(at.file())
            .s(":")
            .n(at.line().into())
            .s(":")
            .n(at.column().into());
    }
    text.into()
}

/// Reports the panic and traps.
#[cfg(all(target_family = "wasm", not(feature = "std")))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    console_error(&report(info.message().as_str(), info.location()));
    core::arch::wasm32::unreachable()
}

/// Installs a panic hook that reports to `console.error`, once per module instance (where
/// `std` handles panics; without `std` the panic handler above reports).
pub(crate) fn install_hook() {
    #[cfg(any(feature = "std", not(target_family = "wasm")))]
    {
        use core::sync::atomic::{AtomicBool, Ordering};
        static INSTALLED: AtomicBool = AtomicBool::new(false);
        if INSTALLED.swap(true, Ordering::Relaxed) {
            return;
        }
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            console_error(&report(message, info.location()));
        }));
    }
}
