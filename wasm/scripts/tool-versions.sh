# Exact versions of the crates.io tools that run the wasm-bindgen tests in browsers, sourced by
# scripts/ensure-tools.sh and wasm/scripts/test.sh. (wasm-bindgen-cli is not here: it must equal
# the wasm-bindgen crate in Cargo.lock, and both scripts read it from there.)
# shellcheck shell=bash disable=SC2034
wasm_pack_version=0.15.1
geckodriver_version=0.37.1
