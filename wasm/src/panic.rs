//! Reporting a panic before the module traps.
//!
//! A panic is a bug: every input is checked before it reaches code that could panic, and the
//! tests feed the cache bad input in loops to make sure. If one happens anyway, the module
//! aborts and the caller gets a `WebAssembly.RuntimeError`; on `wasm32-unknown-unknown` the
//! standard hook prints nowhere, so this hook first writes the panic message and location to
//! `console.error`, which is what a bug report needs.

use std::sync::Once;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// `console.error(message)`.
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Installs the hook once per module instance.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            console_error(&format!(
                "chatcache panicked, which is a bug (please report it): {info}"
            ));
        }));
    });
}
