// `chatcache/web/wasm` is the package's WebAssembly file, `chatcache_wasm_bg.wasm`, for
// bundlers that emit or inline it. What an import of it gives depends on how the bundler loads
// `.wasm` files: a URL string (esbuild's `file` loader, …), its bytes (esbuild's `binary`
// loader) or a compiled module (workerd, wrangler). Each is something `init` from
// `chatcache/web` accepts as `module_or_path`; bytes and modules also suit `initSync`.
declare const wasm: string | Uint8Array | WebAssembly.Module;
export default wasm;
