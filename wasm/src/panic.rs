//! Reporting a panic before the module traps.
//!
//! A panic is a bug: every input is checked before it reaches code that could panic, and the
//! tests feed the cache bad input in loops to make sure. If one happens anyway, the module
//! aborts and the caller gets a `WebAssembly.RuntimeError`; on `wasm32-unknown-unknown` the
//! standard hook prints nowhere, so this hook first writes the panic message and location to
//! `console.error`, which is what a bug report needs.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::wasm_bindgen;

use crate::error::Text;

#[wasm_bindgen]
extern "C" {
    /// `console.error(message)`.
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Installs the hook once per module instance.
///
/// The message is put together by hand (no `format!`): the hook's own formatting would add
/// `core::fmt` code the `.wasm` otherwise does without. A flag stands in for `Once`, whose
/// poisoning and re-entrancy messages would be dead weight in a single-threaded module.
pub(crate) fn install_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::Relaxed) {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let mut text = Text::new()
            .s("chatcache panicked, which is a bug (please report it): ")
            .s(message);
        if let Some(at) = info.location() {
            text = text
                .s(" at ")
                .s(at.file())
                .s(":")
                .n(at.line().into())
                .s(":")
                .n(at.column().into());
        }
        console_error(&String::from(text));
    }));
}
